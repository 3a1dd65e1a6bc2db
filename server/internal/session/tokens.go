package session

import (
	"container/list"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/tickwire/tickwire/game"
)

// ResumeTokenBytes is the length of a resume token: 192 bits from crypto/rand.
const ResumeTokenBytes = 24

// joinTokenBytes is the randomness of a join token (base64url-encoded on the wire).
const joinTokenBytes = 24

// ResumeGrant is what a resume token is bound to.
type ResumeGrant struct {
	RoomID string
	Player game.PlayerID
}

// JoinGrant is what a join token is bound to: one player in one room, until Expires. UserID, Claims and Verified are
// the identity the issuer verified (the matchmaker, from the player's token); empty and false: a seat by name only.
type JoinGrant struct {
	RoomID   string
	Name     string
	UserID   string
	Claims   map[string]string
	Verified bool
	Expires  time.Time
}

// ErrUnknownToken: the resume token is unknown, forged, expired, or dead (its successor was proven received).
var ErrUnknownToken = errors.New("session: unknown resume token")

// ErrSupersededAttempt: a connection that arrived later has already redeemed the resume token: this attempt is older
// than the client's latest one and must not take the player from it.
var ErrSupersededAttempt = errors.New("session: a newer connection resumed with this token")

// Tokens is the table of resume and join tokens, safe for concurrent use. Each kind is bounded in size, so a flood of
// abandoned sessions costs at most size entries each.
//
// Join tokens are single-use: TakeJoin removes the token, so a replayed token is unknown. A join the server refused
// without admitting the player, because the room was busy (4002, "reconnect later"), gives its token back with
// ReturnJoin: the client retries with the same token while it is valid.
//
// A resume token lives for the whole stay of its player. While a connection holds it (from the join or resume that
// issued it until that connection ends), it never expires; when the connection ends (Disconnected), its lifetime
// starts: it is remembered for resumeTTL from that moment, which must exceed the room's grace period so that a resume
// after the grace period is told "expired" rather than "unknown". So a player who plays for an hour and then drops
// resumes like one who dropped after a minute.
//
// Resume tokens form one chain per player, committed in two steps so that a resume is never lost to a connection
// that dies between the server's Welcome and the client's reading it. A connection that resumes with token T gets a
// successor T' in its Welcome; T stays redeemable (for the same player in the same room) until the holder of T' proves
// it received T': by sending any frame on that connection (ConfirmResume), or by resuming with T' itself. Then T is
// dead. Redeeming T again before that invalidates the T' issued to the previous attempt, so at most one successor is
// ever live: the latest one. Attempts that redeem the same token are serialized (TakeResume waits for the previous
// one to end), so the table and the room see them in the same order.
//
// "Latest" is the order in which the attempts' connections arrived (Arrival), not the order in which their frames
// happen to be handled: a client whose first attempt's socket died retries on a new connection, and the dead
// connection's Join, still in the server's receive buffer, may be handled after the retry's. It is refused
// (ErrSupersededAttempt) instead of taking the player back from the retry.
type Tokens struct {
	// Static after construction.
	now        func() time.Time
	maxJoinTTL time.Duration
	resumeTTL  time.Duration
	size       int

	arrivals atomic.Uint64 // the last number Arrival returned

	// mu makes each step over one or more entries atomic; the fields of a *resumeEntry are guarded by mu too.
	mu sync.Mutex
	// resume holds every resume token. Each entry is on exactly one of two lists: held (a connection holds it; in
	// the order they were stored) or idle (no connection holds it; in the order their lifetime started, which is
	// also the order they expire in, since every idle entry lives resumeTTL).
	resume map[string]*resumeEntry
	held   list.List
	idle   list.List
	join   *expirable.LRU[string, JoinGrant]
}

// resumeEntry is one resume token's state. Guarded by Tokens.mu.
type resumeEntry struct {
	key   string
	grant ResumeGrant
	prev  string        // the token this one succeeds, still redeemable until this one is proven received ("": none)
	next  string        // the successor issued to the last attempt that redeemed this token, not yet proven ("": none)
	busy  chan struct{} // non-nil while an attempt holds this token (and its reserved successor); closed when it ends
	// arrival is the Arrival of the connection of the latest attempt that redeemed this token (0: none yet).
	arrival uint64
	// elem is the entry's place on Tokens.held or Tokens.idle; expires is zero while held, else the moment the token
	// is forgotten.
	elem    *list.Element
	expires time.Time
}

// NewTokens makes a table holding at most size tokens of each kind. A resume token is remembered while a connection
// holds it and for resumeTTL after that connection ends (longer than the grace period, so that a late resume is
// recognised as expired rather than forged); join tokens for at most maxJoinTTL.
func NewTokens(size int, resumeTTL, maxJoinTTL time.Duration) *Tokens {
	return &Tokens{
		now:        time.Now,
		maxJoinTTL: maxJoinTTL,
		resumeTTL:  resumeTTL,
		size:       size,
		resume:     make(map[string]*resumeEntry),
		join:       expirable.NewLRU[string, JoinGrant](size, nil, maxJoinTTL),
	}
}

// NewResumeToken returns fresh random token bytes (not yet stored: BindResume or TakeResume stores it).
func NewResumeToken() []byte {
	b := make([]byte, ResumeTokenBytes)
	if _, err := rand.Read(b); err != nil {
		panic("session: crypto/rand failed: " + err.Error())
	}
	return b
}

// Arrival returns a number above every one it returned before. The transport takes one for each connection as it
// is accepted and passes it to TakeResume, which orders the resume attempts of a token by it.
func (t *Tokens) Arrival() uint64 { return t.arrivals.Add(1) }

// ResumeLen is the number of resume tokens remembered (held and idle).
func (t *Tokens) ResumeLen() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.resume)
}

// getLocked returns the live entry of key; an idle entry past its expiry is forgotten (and expired ones before it).
func (t *Tokens) getLocked(key string) (*resumeEntry, bool) {
	e, ok := t.resume[key]
	if !ok {
		return nil, false
	}
	if !e.expires.IsZero() && !t.now().Before(e.expires) {
		t.expireLocked()
		return nil, false
	}
	return e, true
}

// addLocked stores e as held by a connection under key (replacing any entry of that key), then keeps the table within
// its bound: expired entries go first, then the oldest idle ones, then the oldest held ones.
func (t *Tokens) addLocked(key string, e *resumeEntry) {
	t.removeLocked(key)
	e.key = key
	e.elem = t.held.PushBack(e)
	t.resume[key] = e
	t.expireLocked()
	for len(t.resume) > t.size {
		l := &t.idle
		if l.Len() == 0 {
			l = &t.held
		}
		t.removeLocked(l.Front().Value.(*resumeEntry).key)
	}
}

func (t *Tokens) removeLocked(key string) {
	e, ok := t.resume[key]
	if !ok {
		return
	}
	delete(t.resume, key)
	if e.expires.IsZero() {
		t.held.Remove(e.elem)
	} else {
		t.idle.Remove(e.elem)
	}
	e.elem = nil
}

// expireLocked forgets the idle entries whose lifetime is over: they are at the front of the idle list.
func (t *Tokens) expireLocked() {
	now := t.now()
	for f := t.idle.Front(); f != nil; f = t.idle.Front() {
		e := f.Value.(*resumeEntry)
		if now.Before(e.expires) {
			return
		}
		t.removeLocked(e.key)
	}
}

// Disconnected says that the connection holding tok ended: tok's lifetime starts now. The player may resume with it
// (or with its unconfirmed predecessor, whose own lifetime is unchanged) for resumeTTL. Unknown tokens are ignored.
func (t *Tokens) Disconnected(tok []byte) {
	if len(tok) != ResumeTokenBytes {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.resume[string(tok)]
	if !ok || !e.expires.IsZero() {
		return
	}
	t.held.Remove(e.elem)
	e.expires = t.now().Add(t.resumeTTL)
	e.elem = t.idle.PushBack(e)
	t.expireLocked()
}

// BindResume stores tok as the resume token of player in room (a join: tok has no predecessor), held by the joining
// connection. A join whose Welcome carries tok should reserve it with ReserveResume before the room can send that
// Welcome instead.
func (t *Tokens) BindResume(tok []byte, roomID string, player game.PlayerID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.addLocked(string(tok), &resumeEntry{grant: ResumeGrant{RoomID: roomID, Player: player}})
}

// ResumeReservation holds the resume token of a join under way, from ReserveResume until Bind or Cancel.
type ResumeReservation struct {
	t   *Tokens
	tok string
	e   *resumeEntry
}

// ReserveResume stores tok, the resume token a join under way will send in its Welcome, before the room can send
// that Welcome: a client may resume with it as soon as it reads it (its connection dropped at once, or another
// connection takes over the player). Such a resume waits, as for a token another attempt holds, until the join ends:
// Bind makes the token redeemable, Cancel forgets it. The caller must call one of them.
func (t *Tokens) ReserveResume(tok []byte) *ResumeReservation {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := &resumeEntry{busy: make(chan struct{})}
	t.addLocked(string(tok), e)
	return &ResumeReservation{t: t, tok: string(tok), e: e}
}

// Bind binds the reserved token to player in room: the join succeeded.
func (r *ResumeReservation) Bind(roomID string, player game.PlayerID) {
	r.end(&ResumeGrant{RoomID: roomID, Player: player})
}

// Cancel forgets the reserved token: the join failed. It does nothing after Bind.
func (r *ResumeReservation) Cancel() { r.end(nil) }

func (r *ResumeReservation) end(g *ResumeGrant) {
	t := r.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if r.e.busy == nil {
		return
	}
	if g != nil {
		r.e.grant = *g
	} else if cur, ok := t.resume[r.tok]; ok && cur == r.e {
		t.removeLocked(r.tok)
	}
	close(r.e.busy)
	r.e.busy = nil
}

// ResumeClaim is one resume attempt's hold on a redeemed token and on the successor reserved for it, from TakeResume
// until Done.
type ResumeClaim struct {
	// Grant is what the redeemed token is bound to.
	Grant ResumeGrant

	t         *Tokens
	tok, next string
	e, ne     *resumeEntry
	done      bool
}

// TakeResume redeems tok for one resume attempt and reserves next as its successor (the token the attempt's Welcome
// carries, held by the attempt's connection). Redeeming tok kills its own predecessor (the client holds tok, so it
// received it) and the successor issued to any earlier attempt with tok. While another attempt holds tok, TakeResume
// waits for it to end, at most until ctx is done (then it returns ctx's error). A token that is not redeemable gives
// ErrUnknownToken; one that an attempt from a later connection (a higher arrival, from Arrival) already redeemed
// gives ErrSupersededAttempt, and stays as that attempt left it. The caller must call Done on the claim.
func (t *Tokens) TakeResume(ctx context.Context, tok, next []byte, arrival uint64) (*ResumeClaim, error) {
	if len(tok) != ResumeTokenBytes || len(next) != ResumeTokenBytes || string(tok) == string(next) {
		return nil, ErrUnknownToken
	}
	key := string(tok)
	t.mu.Lock()
	for {
		e, ok := t.getLocked(key)
		if !ok {
			t.mu.Unlock()
			return nil, ErrUnknownToken
		}
		if arrival < e.arrival {
			t.mu.Unlock()
			return nil, ErrSupersededAttempt
		}
		if e.busy == nil {
			e.arrival = arrival
			t.dropPrevLocked(key, e)
			if e.next != "" {
				t.removeLocked(e.next)
			}
			ch := make(chan struct{})
			ne := &resumeEntry{grant: e.grant, prev: key, busy: ch}
			e.next, e.busy = string(next), ch
			t.addLocked(e.next, ne)
			t.mu.Unlock()
			return &ResumeClaim{Grant: e.grant, t: t, tok: key, next: e.next, e: e, ne: ne}, nil
		}
		ch := e.busy
		t.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		t.mu.Lock()
	}
}

// Done ends the attempt. resumed: the room took the player back and sends the reserved successor in its Welcome,
// which is now redeemable (and the redeemed token stays redeemable until the successor is proven received);
// otherwise the successor is forgotten and the redeemed token is left as it was. Only the first call counts.
func (c *ResumeClaim) Done(resumed bool) {
	t := c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if c.done {
		return
	}
	c.done = true
	if !resumed {
		if c.e.next == c.next {
			c.e.next = ""
		}
		if cur, ok := t.resume[c.next]; ok && cur == c.ne {
			t.removeLocked(c.next)
		}
	}
	close(c.e.busy)
	c.e.busy, c.ne.busy = nil, nil
}

// ConfirmResume records that the holder of tok proved it received tok (it sent a frame on the connection whose
// Welcome carried tok): tok's predecessor is dead from now on. Cheap when there is nothing to do.
func (t *Tokens) ConfirmResume(tok []byte) {
	if len(tok) != ResumeTokenBytes {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.getLocked(string(tok)); ok {
		t.dropPrevLocked(string(tok), e)
	}
}

// dropPrevLocked kills the predecessor of the token key (entry e), unless it was redeemed again since (then key is
// no longer its successor, and key itself was dropped).
func (t *Tokens) dropPrevLocked(key string, e *resumeEntry) {
	if e.prev == "" {
		return
	}
	if p, ok := t.resume[e.prev]; ok && p.next == key {
		t.removeLocked(e.prev)
	}
	e.prev = ""
}

// DropResume forgets a resume token and its predecessor (the player left for good).
func (t *Tokens) DropResume(tok []byte) {
	if len(tok) != ResumeTokenBytes {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.resume[string(tok)]; ok {
		t.dropPrevLocked(string(tok), e)
		t.removeLocked(string(tok))
	}
}

// IssueJoinToken returns a single-use token that lets one client join roomID as playerName within ttl (capped at the
// table's maximum; 0 means the maximum). The token is URL-safe text, but clients send it in Join, never in a URL.
func (t *Tokens) IssueJoinToken(roomID, playerName string, ttl time.Duration) string {
	return t.IssueJoinGrant(JoinGrant{RoomID: roomID, Name: playerName}, ttl)
}

// IssueJoinGrant returns a single-use token bound to g (its Expires is set here from ttl, as for IssueJoinToken).
func (t *Tokens) IssueJoinGrant(g JoinGrant, ttl time.Duration) string {
	if ttl <= 0 || ttl > t.maxJoinTTL {
		ttl = t.maxJoinTTL
	}
	b := make([]byte, joinTokenBytes)
	if _, err := rand.Read(b); err != nil {
		panic("session: crypto/rand failed: " + err.Error())
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	g.Expires = t.now().Add(ttl)
	t.join.Add(tok, g)
	return tok
}

// TakeJoin consumes a join token; an expired one is consumed and refused.
func (t *Tokens) TakeJoin(tok string) (JoinGrant, bool) {
	if len(tok) != base64.RawURLEncoding.EncodedLen(joinTokenBytes) {
		return JoinGrant{}, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	g, ok := t.join.Peek(tok)
	if !ok {
		return JoinGrant{}, false
	}
	t.join.Remove(tok)
	if !t.now().Before(g.Expires) {
		return JoinGrant{}, false
	}
	return g, true
}

// ReturnJoin gives back a join token that TakeJoin took (g is what TakeJoin returned), for a join the server refused
// before the room admitted the player because it was busy: the token is valid again until its original expiry, for
// one more try. An expired token is not returned.
func (t *Tokens) ReturnJoin(tok string, g JoinGrant) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.now().Before(g.Expires) {
		t.join.Add(tok, g)
	}
}

// HasJoin reports whether tok is a live join token of this table, without taking it (a cluster node asks its peers
// where a token it does not know was issued).
func (t *Tokens) HasJoin(tok string) bool {
	if len(tok) != base64.RawURLEncoding.EncodedLen(joinTokenBytes) {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	g, ok := t.join.Peek(tok)
	return ok && t.now().Before(g.Expires)
}

// HasResume reports whether tok is a resume token this table remembers, without redeeming it.
func (t *Tokens) HasResume(tok []byte) bool {
	if len(tok) != ResumeTokenBytes {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.getLocked(string(tok))
	return ok
}

// TakeJoinsFor removes and returns the live join tokens of roomID (a room moving to another node takes its players'
// unused join tokens along: ReturnJoin stores each there).
func (t *Tokens) TakeJoinsFor(roomID string) map[string]JoinGrant {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var out map[string]JoinGrant
	for _, tok := range t.join.Keys() {
		g, ok := t.join.Peek(tok)
		if !ok || g.RoomID != roomID {
			continue
		}
		t.join.Remove(tok)
		if now.Before(g.Expires) {
			if out == nil {
				out = make(map[string]JoinGrant)
			}
			out[tok] = g
		}
	}
	return out
}
