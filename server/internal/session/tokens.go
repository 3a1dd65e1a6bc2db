package session

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
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

// JoinGrant is what a join token is bound to: one player name in one room, until Expires.
type JoinGrant struct {
	RoomID  string
	Name    string
	Expires time.Time
}

// Tokens is the table of resume and join tokens. Both kinds are single-use: Take removes the token, so a replayed
// token is unknown. Each kind lives in its own size-bounded, expiring LRU, so a flood of abandoned sessions costs at
// most size entries each. Safe for concurrent use.
type Tokens struct {
	// Static after construction.
	now        func() time.Time
	maxJoinTTL time.Duration

	// mu makes a lookup and its removal one step (expirable.LRU locks each call on its own).
	mu     sync.Mutex
	resume *expirable.LRU[string, ResumeGrant]
	join   *expirable.LRU[string, JoinGrant]
}

// NewTokens makes a table holding at most size tokens of each kind; resume tokens are remembered for resumeTTL (longer
// than the grace period, so that a late resume is recognised as expired rather than forged) and join tokens for at
// most maxJoinTTL.
func NewTokens(size int, resumeTTL, maxJoinTTL time.Duration) *Tokens {
	return &Tokens{
		now:        time.Now,
		maxJoinTTL: maxJoinTTL,
		resume:     expirable.NewLRU[string, ResumeGrant](size, nil, resumeTTL),
		join:       expirable.NewLRU[string, JoinGrant](size, nil, maxJoinTTL),
	}
}

// NewResumeToken returns fresh random token bytes (not yet stored: Bind stores it once the player id is known).
func NewResumeToken() []byte {
	b := make([]byte, ResumeTokenBytes)
	if _, err := rand.Read(b); err != nil {
		panic("session: crypto/rand failed: " + err.Error())
	}
	return b
}

// BindResume stores tok as the resume token of player in room.
func (t *Tokens) BindResume(tok []byte, roomID string, player game.PlayerID) {
	t.resume.Add(string(tok), ResumeGrant{RoomID: roomID, Player: player})
}

// TakeResume consumes a resume token.
func (t *Tokens) TakeResume(tok []byte) (ResumeGrant, bool) {
	if len(tok) != ResumeTokenBytes {
		return ResumeGrant{}, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	g, ok := t.resume.Peek(string(tok))
	if ok {
		t.resume.Remove(string(tok))
	}
	return g, ok
}

// DropResume forgets a resume token (the player left for good).
func (t *Tokens) DropResume(tok []byte) {
	if len(tok) == ResumeTokenBytes {
		t.resume.Remove(string(tok))
	}
}

// IssueJoinToken returns a single-use token that lets one client join roomID as playerName within ttl (capped at the
// table's maximum; 0 means the maximum). The token is URL-safe text, but clients send it in Join, never in a URL.
func (t *Tokens) IssueJoinToken(roomID, playerName string, ttl time.Duration) string {
	if ttl <= 0 || ttl > t.maxJoinTTL {
		ttl = t.maxJoinTTL
	}
	b := make([]byte, joinTokenBytes)
	if _, err := rand.Read(b); err != nil {
		panic("session: crypto/rand failed: " + err.Error())
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	t.join.Add(tok, JoinGrant{RoomID: roomID, Name: playerName, Expires: t.now().Add(ttl)})
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
