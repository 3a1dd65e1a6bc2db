// Package limits bounds what one source address, and everyone together, may hold of the server: WebSockets and
// upgrades per second per source, open matchmaking tickets, failed private-code lookups and service API
// authentication failures per source, and global caps on rooms (per mode too) with a room-creation rate, on sockets
// that have not finished the handshake, on HTTP connections and on long-polls. Every refusal names a Reason, which the
// caller maps to an HTTP status or a WebSocket close code and a metric (OnRefuse).
//
// A source is an IPv4 address or an IPv6 /64 (one host's usual share). Per-source state lives in a bounded
// least-recently-used table (Config.Sources entries) plus the sources that currently hold something (an open
// connection or ticket), which the global caps bound: memory stays bounded however many sources there are. A source
// pushed out of the table loses only its rate history, which an attacker cannot exploit without being that many
// sources already.
//
// A Limiter is safe to call from several goroutines. Time is passed in (now) wherever a rate is involved.
package limits

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2/simplelru"
)

// Reason names a refusal. The values are the metric's reason label.
type Reason string

// Refusal reasons.
const (
	SourceConnections  Reason = "source_connections"   // the source's concurrent WebSockets (HTTP 429)
	SourceUpgradeRate  Reason = "source_upgrade_rate"  // the source's upgrades per second (HTTP 429)
	SourceHTTPConns    Reason = "source_http_conns"    // the source's concurrent HTTP connections (HTTP 429, closed)
	SourceTickets      Reason = "source_tickets"       // the source's open matchmaking tickets (HTTP 429)
	SourceCodeGuesses  Reason = "source_code_guesses"  // the source's failed private-code lookups (HTTP 429)
	SourceAuthFailures Reason = "source_auth_failures" // the source's service API 401s (HTTP 429)
	Handshakes         Reason = "handshakes"           // sockets not yet past Hello/Join, server-wide (HTTP 503)
	HTTPConns          Reason = "http_conns"           // HTTP connections, server-wide (HTTP 503, closed)
	LongPolls          Reason = "long_polls"           // long-polls in flight, server-wide (HTTP 503)
	Rooms              Reason = "rooms"                // rooms, server-wide (4002, HTTP 503)
	ModeRooms          Reason = "mode_rooms"           // rooms of one mode (4002, HTTP 503)
	RoomRate           Reason = "room_rate"            // rooms created per second, server-wide (4002, HTTP 503)
	TicketBytes        Reason = "ticket_bytes"         // a matchmaking ticket's body too large (HTTP 413)
)

// Config sets the limits; a zero or negative value turns that limit off (DefaultConfig has the server's defaults).
type Config struct {
	Sources int // per-source table size (entries); at least 16

	SourceConnections  int     // concurrent WebSockets per source
	SourceUpgradeRate  float64 // upgrades per second per source (sustained)
	SourceUpgradeBurst int     // above SourceUpgradeRate
	SourceHTTPConns    int     // concurrent HTTP connections (before upgrade or keep-alive) per source
	SourceTickets      int     // open matchmaking tickets per source
	// SourceCodeMisses failed private-code lookups per source are allowed at once; one comes back every
	// CodeMissRefill.
	SourceCodeMisses int
	CodeMissRefill   time.Duration
	// SourceAuthFailures failed service API authentications (401) per source are allowed at once; one comes back
	// every AuthFailRefill.
	SourceAuthFailures int
	AuthFailRefill     time.Duration

	Handshakes int     // sockets that have not finished Hello/Join, server-wide
	HTTPConns  int     // HTTP connections, server-wide (hijacked WebSockets no longer count)
	LongPolls  int     // long-polls in flight, server-wide
	Rooms      int     // rooms, server-wide
	ModeRooms  int     // rooms of one mode
	RoomRate   float64 // rooms created per second (sustained), server-wide
	RoomBurst  int     // above RoomRate

	// OnRefuse is called for every refusal (a metric); nil: nothing.
	OnRefuse func(Reason)
}

// Limiter enforces a Config. Static after New except as noted.
type Limiter struct {
	cfg Config

	handshakes atomic.Int64
	httpConns  atomic.Int64
	longPolls  atomic.Int64

	mu      sync.Mutex // guards everything below
	table   *lru.LRU[netip.Prefix, *source]
	holding map[netip.Prefix]*source // sources with something open, in the table or pushed out of it
	rooms   bucket
}

// source is one source's state. Guarded by Limiter.mu.
type source struct {
	key       netip.Prefix
	conns     int
	httpConns int
	tickets   int
	upgrades  bucket
	codeMiss  bucket
	authFail  bucket
}

func (s *source) holds() bool { return s.conns > 0 || s.httpConns > 0 || s.tickets > 0 }

// bucket is a token bucket: tokens refill at rate per second up to burst. The zero bucket is full at first use.
type bucket struct {
	tokens float64
	last   int64 // unix ns of the last refill; 0: never used
}

func (b *bucket) refill(now time.Time, rate float64, burst int) {
	t := now.UnixNano()
	if b.last == 0 {
		b.tokens, b.last = float64(burst), t
		return
	}
	if d := t - b.last; d > 0 {
		b.tokens = min(float64(burst), b.tokens+float64(d)*rate/1e9)
		b.last = t
	}
}

// take removes one token if there is one.
func (b *bucket) take(now time.Time, rate float64, burst int) bool {
	b.refill(now, rate, burst)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// has reports whether a token is there, taking none.
func (b *bucket) has(now time.Time, rate float64, burst int) bool {
	b.refill(now, rate, burst)
	return b.tokens >= 1
}

// New makes a Limiter.
func New(cfg Config) *Limiter {
	cfg.Sources = max(cfg.Sources, 16)
	l := &Limiter{cfg: cfg, holding: map[netip.Prefix]*source{}}
	l.table, _ = lru.NewLRU[netip.Prefix, *source](cfg.Sources, nil) // only fails for a size below 1
	return l
}

// Key is the source of address a: the address itself (IPv4), or its /64 (IPv6).
func Key(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p
	}
	return netip.PrefixFrom(a, a.BitLen())
}

// refuse reports r and returns it.
func (l *Limiter) refuse(r Reason) Reason {
	if l.cfg.OnRefuse != nil {
		l.cfg.OnRefuse(r)
	}
	return r
}

// sourceLocked returns the state of key, made if needed.
func (l *Limiter) sourceLocked(key netip.Prefix) *source {
	if s, ok := l.table.Get(key); ok {
		return s
	}
	s, ok := l.holding[key]
	if !ok {
		s = &source{key: key}
	}
	l.table.Add(key, s)
	return s
}

// settleLocked keeps s in holding while it holds something.
func (l *Limiter) settleLocked(s *source) {
	if s.holds() {
		l.holding[s.key] = s
	} else {
		delete(l.holding, s.key)
	}
}

// Len reports the sources in the table and those holding something (for tests and figures).
func (l *Limiter) Len() (table, holding int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.table.Len(), len(l.holding)
}

// Hold is something a source holds until Release (a connection, a ticket). Release is idempotent; the zero Hold
// releases nothing.
type Hold struct {
	l    *Limiter
	s    *source
	kind uint8
	done atomic.Bool
}

const (
	holdConn uint8 = iota + 1
	holdHTTP
	holdTicket
)

// Release gives the hold back.
func (h *Hold) Release() {
	if h == nil || h.l == nil || h.done.Swap(true) {
		return
	}
	l := h.l
	l.mu.Lock()
	defer l.mu.Unlock()
	switch h.kind {
	case holdConn:
		h.s.conns--
	case holdHTTP:
		h.s.httpConns--
	case holdTicket:
		h.s.tickets--
	}
	l.settleLocked(h.s)
}

// Upgrade admits a WebSocket upgrade from a: within the source's upgrade rate and its connection cap. The Hold is
// the connection's place until it closes.
func (l *Limiter) Upgrade(a netip.Addr, now time.Time) (*Hold, Reason) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.sourceLocked(Key(a))
	if l.cfg.SourceConnections > 0 && s.conns >= l.cfg.SourceConnections {
		return nil, l.refuse(SourceConnections)
	}
	if l.cfg.SourceUpgradeRate > 0 && !s.upgrades.take(now, l.cfg.SourceUpgradeRate, max(l.cfg.SourceUpgradeBurst, 1)) {
		return nil, l.refuse(SourceUpgradeRate)
	}
	s.conns++
	l.settleLocked(s)
	return &Hold{l: l, s: s, kind: holdConn}, ""
}

// HTTPConn admits a new HTTP connection from a: within the server-wide cap, then (when perSource) the source's.
// Give it back with HTTPConnDone.
func (l *Limiter) HTTPConn(a netip.Addr, perSource bool) (*Hold, Reason) {
	if l.httpConns.Add(1) > int64(l.cfg.HTTPConns) && l.cfg.HTTPConns > 0 {
		l.httpConns.Add(-1)
		return nil, l.refuse(HTTPConns)
	}
	if l.cfg.SourceHTTPConns <= 0 || !perSource {
		return &Hold{}, "" // counted server-wide only
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.sourceLocked(Key(a))
	if s.httpConns >= l.cfg.SourceHTTPConns {
		l.httpConns.Add(-1)
		return nil, l.refuse(SourceHTTPConns)
	}
	s.httpConns++
	l.settleLocked(s)
	return &Hold{l: l, s: s, kind: holdHTTP}, ""
}

// HTTPConnDone gives back an HTTP connection admitted by HTTPConn (closed or hijacked). Call it once per admission.
func (l *Limiter) HTTPConnDone(h *Hold) {
	l.httpConns.Add(-1)
	h.Release()
}

// HTTPConnsOpen is the number of HTTP connections counted now.
func (l *Limiter) HTTPConnsOpen() int { return int(l.httpConns.Load()) }

// Ticket admits a matchmaking ticket from a: within the source's open tickets, and, for a private-code lookup,
// within its budget of failed lookups. The Hold is the ticket's place until it leaves the queue.
func (l *Limiter) Ticket(a netip.Addr, withCode bool, now time.Time) (*Hold, Reason) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.sourceLocked(Key(a))
	if l.cfg.SourceTickets > 0 && s.tickets >= l.cfg.SourceTickets {
		return nil, l.refuse(SourceTickets)
	}
	if withCode && l.cfg.SourceCodeMisses > 0 &&
		!s.codeMiss.has(now, perSecond(l.cfg.CodeMissRefill), l.cfg.SourceCodeMisses) {
		return nil, l.refuse(SourceCodeGuesses)
	}
	s.tickets++
	l.settleLocked(s)
	return &Hold{l: l, s: s, kind: holdTicket}, ""
}

// CodeMissed records that a lookup of h's source found no room for its private code.
func (l *Limiter) CodeMissed(h *Hold, now time.Time) {
	if h == nil || h.s == nil || l.cfg.SourceCodeMisses <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	h.s.codeMiss.take(now, perSecond(l.cfg.CodeMissRefill), l.cfg.SourceCodeMisses)
}

// AuthAllowed reports whether source a may still try to authenticate to the service API.
func (l *Limiter) AuthAllowed(a netip.Addr, now time.Time) Reason {
	if l.cfg.SourceAuthFailures <= 0 {
		return ""
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.sourceLocked(Key(a))
	if !s.authFail.has(now, perSecond(l.cfg.AuthFailRefill), l.cfg.SourceAuthFailures) {
		return l.refuse(SourceAuthFailures)
	}
	return ""
}

// AuthFailed records a failed service API authentication (a 401) of source a.
func (l *Limiter) AuthFailed(a netip.Addr, now time.Time) {
	if l.cfg.SourceAuthFailures <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sourceLocked(Key(a)).authFail.take(now, perSecond(l.cfg.AuthFailRefill), l.cfg.SourceAuthFailures)
}

// Handshake admits a socket into the handshake (upgraded, Hello and Join not yet done); call HandshakeDone once it
// is past Join or closed.
func (l *Limiter) Handshake() Reason {
	if l.cfg.Handshakes > 0 && l.handshakes.Add(1) > int64(l.cfg.Handshakes) {
		l.handshakes.Add(-1)
		return l.refuse(Handshakes)
	}
	if l.cfg.Handshakes <= 0 {
		l.handshakes.Add(1)
	}
	return ""
}

// HandshakeDone gives back a place taken by Handshake.
func (l *Limiter) HandshakeDone() { l.handshakes.Add(-1) }

// Handshaking is the number of sockets in their handshake now.
func (l *Limiter) Handshaking() int { return int(l.handshakes.Load()) }

// LongPoll admits a long-poll; call the returned func when it ends.
func (l *Limiter) LongPoll() (func(), Reason) {
	if l.cfg.LongPolls > 0 && l.longPolls.Add(1) > int64(l.cfg.LongPolls) {
		l.longPolls.Add(-1)
		return nil, l.refuse(LongPolls)
	}
	if l.cfg.LongPolls <= 0 {
		l.longPolls.Add(1)
	}
	var once sync.Once
	return func() { once.Do(func() { l.longPolls.Add(-1) }) }, ""
}

// LongPollsOpen is the number of long-polls in flight.
func (l *Limiter) LongPollsOpen() int { return int(l.longPolls.Load()) }

// Room admits the creation of a room of a mode, given the rooms running now (all, and of that mode).
func (l *Limiter) Room(rooms, modeRooms int, now time.Time) Reason {
	if l.cfg.Rooms > 0 && rooms >= l.cfg.Rooms {
		return l.refuse(Rooms)
	}
	if l.cfg.ModeRooms > 0 && modeRooms >= l.cfg.ModeRooms {
		return l.refuse(ModeRooms)
	}
	if l.cfg.RoomRate > 0 {
		l.mu.Lock()
		ok := l.rooms.take(now, l.cfg.RoomRate, max(l.cfg.RoomBurst, 1))
		l.mu.Unlock()
		if !ok {
			return l.refuse(RoomRate)
		}
	}
	return ""
}

// TicketBytesRefused reports (and counts) a ticket body over the limit.
func (l *Limiter) TicketBytesRefused() { l.refuse(TicketBytes) }

// perSecond is the rate of one token every d (0: none).
func perSecond(d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(time.Second) / float64(d)
}
