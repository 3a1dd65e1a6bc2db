// Package client is a headless Go client for Tickwire servers (protocol version 2): it connects (directly or
// through a Matchmaker), joins a room, sends one input per tick addressed to the tick it is for (InputClock), rebuilds
// the room's world from full and delta snapshots (proto/snapcodec), checks it against the server's state hash,
// measures input acknowledgement latency, input lead, round-trip time and the server clock, optionally predicts the
// player's own entity (Predictor), and resumes by itself after a dropped connection within the room's grace period,
// resending the inputs the server had not yet applied, re-addressed to fresh ticks.
//
// A Client is safe for use by several goroutines. It runs no goroutine of its own besides the WebSocket read loop of
// its current connection (and a short-lived one while resuming): the caller drives inputs and pings, at the times
// NextInputAt gives, so that a load tool can drive thousands of clients from a few schedulers. Snapshots are decoded
// on the read goroutine without allocating.
//
// Input accounting is exact: every input gets the next sequence number when it is written, and the tick its input
// clock gives. The server applies inputs in sequence order, at most one per tick, and reports the highest sequence it
// applied (last_input_seq). An input ends as exactly one of: acknowledged (a snapshot or a resume Welcome reports a
// sequence at or above it: applied once), late (a snapshot of a tick at or after the input's tick reports a lower
// sequence: the room had already run that tick and dropped it), or lost (still pending when the client ends: Close,
// or a failure it cannot resume from). After a resume the pending inputs are resent with the same sequence numbers
// to new ticks, so none is lost or applied twice.
//
// # Use
//
// Dial connects to a server's WebSocket endpoint (Config.URL, or a Matchmaker such as HTTPMatchmaker), joins by mode,
// join token or resume token, and returns once the Welcome has arrived (Client.Welcome: the room's schema, tick rate,
// input fields and limits). Then, one input per tick: wait until NextInputAt, call SendInputTick (or SendInput) with
// one value per Welcome.input field. ErrNotConnected (resuming), ErrInputBacklog (Config.InputHistory inputs pending)
// and ErrInputEarly mean the input was not sent: try again at the next tick. Read the world with WithWorld (do not
// call the Client inside it), receive events with a Handler (embed NopHandler), read the counters with Stats, the
// round trip and server clock with Clock (Ping, or Config.PingInterval), the input clock with InputClockState.
// Close drains the inputs in flight and leaves the room. A client that ended by itself closes Done; Err says why: a
// *DisconnectError carrying the server's close code, matched with errors.Is against ErrRoomFull, ErrSuperseded and
// the other Err values of the protocol's codes, or one wrapping ErrResumeFailed. The Example starts a server in the
// same process and plays 30 ticks.
//
// Config.Predictor (NewPredictor with the game's Model) predicts the player's own entity by tick, as the browser SDK
// does; InputClock and Predictor also work on their own. The client speaks ProtocolVersion; a server that does not
// closes with ErrUnsupportedVersion.
package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lxzan/gws"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/proto/snapcodec"
)

// Matchmaker finds a room for a mode and says where to connect. It is the seam for a matchmaking service: the
// client asks it for an Assignment before connecting when Config.Matchmaker is set and no token is given.
type Matchmaker interface {
	Match(ctx context.Context, mode, name string) (Assignment, error)
}

// TokenMatchmaker is a Matchmaker that can submit the player's signed player token with its ticket (HTTPMatchmaker
// is one): the client uses it when Config.PlayerToken is set.
type TokenMatchmaker interface {
	MatchWithToken(ctx context.Context, mode, name, playerToken string) (Assignment, error)
}

// Assignment is a matchmaker's answer: the server's WebSocket URL and the single-use token that admits the player.
type Assignment struct {
	URL       string
	JoinToken string
}

// Handler receives a client's events. Methods run on the connection's read goroutine (OnDisconnect possibly on the
// goroutine that called Close): keep them short. The world passed to OnSnapshot is the client's own and valid only
// during the call; no lock is held, so the handler may call the Client's methods. The client keeps its world packed
// and unpacks it for OnSnapshot unless the Handler is NopHandler itself; read it with WithPacked instead to avoid
// that.
type Handler interface {
	OnWelcome(c *Client, w *proto.Welcome)
	OnSnapshot(c *Client, w *snapcodec.World, lastInputSeq uint32)
	OnEvent(c *Client, ev *proto.Event)
	OnMatchResult(c *Client, r *proto.MatchResult)
	// OnDisconnect reports the end of a connection; resuming says whether the client is trying to resume.
	OnDisconnect(c *Client, err *DisconnectError, resuming bool)
}

// ViewHandler is an optional extension of Handler for games with per-player views (interest management, hidden
// entities): after each snapshot, before OnSnapshot, OnEnter is called for each entity that appeared in the client's
// world and OnExit for each that left it (an entity whose kind changed does both), compared with the world before
// it, across resumes too. The entity is valid only during the call. Same goroutine and rules as Handler.
type ViewHandler interface {
	OnEnter(c *Client, e *game.Entity)
	OnExit(c *Client, e *game.Entity)
}

// NopHandler ignores every event; embed it to implement only some of Handler.
type NopHandler struct{}

func (NopHandler) OnWelcome(*Client, *proto.Welcome)            {}
func (NopHandler) OnSnapshot(*Client, *snapcodec.World, uint32) {}
func (NopHandler) OnEvent(*Client, *proto.Event)                {}
func (NopHandler) OnMatchResult(*Client, *proto.MatchResult)    {}
func (NopHandler) OnDisconnect(*Client, *DisconnectError, bool) {}

// Config says how to connect and join. Zero values get the documented defaults.
type Config struct {
	// URL is the server's WebSocket endpoint, e.g. ws://127.0.0.1:8080/ws; a URL without a path gets /ws.
	URL string
	// Matchmaker, when set and neither JoinToken nor ResumeToken is, is asked for the URL and a join token.
	Matchmaker Matchmaker
	// Exactly one way to join: JoinToken, ResumeToken, or quick play by Mode (default "arena").
	JoinToken   string
	ResumeToken []byte
	Mode        string
	// Name is the display name (at most 32 bytes).
	Name string
	// PlayerToken is the signed player token from the game's backend (a JWT), sent in Join for quick play and with a
	// JoinToken, and with the matchmaking ticket (through a TokenMatchmaker). The server verifies it and the player
	// plays as that user; a refused token ends Dial with ErrUnauthenticated or ErrPlayerTokenExpired. Empty: anonymous.
	PlayerToken string
	// ClientName goes into Hello.client; default "tickwire-go/2".
	ClientName string

	// DialTimeout bounds one connection attempt: TCP, WebSocket handshake and the Welcome. Default 5s.
	DialTimeout time.Duration
	// NoResume turns automatic resumption off: a dropped connection ends the client.
	NoResume bool
	// InputHistory is how many sent inputs may be unacknowledged at once (kept for resending). Default 15: a room
	// queues at most 16 inputs per player (server.GameOptions.InputQueueSize) and the server allows a burst of 60
	// frames, so everything a resume resends fits in both; more in flight would be dropped or rate-limited (4508).
	// SendInput returns ErrInputBacklog at the limit: an input that is never sent cannot be lost.
	InputHistory int
	// DrainTimeout: Close waits for the server to acknowledge the inputs in flight, and gives up once this long has
	// passed without a frame from the server (a resume under way counts as progress). Default 2s.
	DrainTimeout time.Duration
	// PingInterval makes SendInput also send a Ping when this much time has passed since the last one (0: never;
	// call Ping yourself). Pings measure RTT and the server clock offset.
	PingInterval time.Duration
	// WriteTimeout bounds a blocked write before the connection is considered dead. Default 5s.
	WriteTimeout time.Duration
	// SilenceTimeout: a joined, reading connection that receives nothing for this long is considered dead and dropped
	// (then resumed), as when a server cut it off without the client seeing the close. Checked when inputs are sent
	// and while Close drains. Default 3s; negative: never.
	SilenceTimeout time.Duration
	// TLS configures wss connections; nil: the system's roots and the URL's host name.
	TLS *tls.Config
	// SocketReadBuffer sets the socket's kernel receive buffer (SO_RCVBUF) when > 0; small values make a stalled
	// client's backlog reach the server quickly.
	SocketReadBuffer int
	// NetDial opens the TCP connection to address (host:port); nil: a net.Dialer. A test can wrap the connection to
	// add latency or jitter.
	NetDial func(ctx context.Context, network, address string) (net.Conn, error)
	// LocalAddr, when set, is the source address of the client's connections (ignored when NetDial is set). A load
	// tool spreads its clients over 127.0.0.0/8 this way, so that a server's per-source limits see many sources.
	LocalAddr net.IP
	// Predictor, when set, predicts the player's own entity from the inputs sent and the snapshots received.
	Predictor *Predictor

	// Stats receives the client's counters; nil: the client makes its own (see Client.Stats).
	Stats *Stats
	// Handler receives events; nil: none.
	Handler Handler
	// Logger; nil: slog.Default().
	Logger *slog.Logger
}

// Validate rejects a configuration that cannot work.
func (cfg *Config) Validate() error {
	n := 0
	if cfg.JoinToken != "" {
		n++
	}
	if len(cfg.ResumeToken) > 0 {
		n++
	}
	if n > 1 {
		return errors.New("client: set at most one of JoinToken and ResumeToken")
	}
	if cfg.URL == "" && cfg.Matchmaker == nil {
		return errors.New("client: URL or Matchmaker is required")
	}
	if cfg.InputHistory < 0 || cfg.InputHistory > 1<<16 {
		return errors.New("client: InputHistory out of range")
	}
	return nil
}

func (cfg *Config) setDefaults() {
	if cfg.Mode == "" {
		cfg.Mode = "arena"
	}
	if cfg.ClientName == "" {
		cfg.ClientName = "tickwire-go/2"
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if cfg.InputHistory == 0 {
		cfg.InputHistory = 15
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 2 * time.Second
	}
	if cfg.SilenceTimeout == 0 {
		cfg.SilenceTimeout = 3 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 5 * time.Second
	}
	if cfg.Stats == nil {
		cfg.Stats = NewStats()
	}
	if cfg.Handler == nil {
		cfg.Handler = NopHandler{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
}

type state uint8

const (
	stateConnecting state = iota // first connection not yet welcomed
	stateJoined                  // a connection is open and welcomed
	stateResuming                // the connection dropped; resumeLoop is reconnecting
	stateClosing                 // Close is shutting the connection down
	stateClosed                  // ended; done is closed
)

// sentInput is an input the server has not acknowledged yet.
type sentInput struct {
	seq    uint32
	tick   uint32 // the tick it is addressed to (changed when it is resent after a resume)
	n      uint8
	values [game.MaxInputValues]int32
	sentAt time.Time
}

// Client is one player's connection to a room. See the package documentation.
type Client struct {
	// Static after Dial.
	cfg     Config
	stats   *Stats
	log     *slog.Logger
	url     string
	address string // host:port to dial
	done    chan struct{}

	lastRecv atomic.Int64 // UnixNano of the last frame received on the current connection

	mu sync.Mutex // guards everything below

	// Connection.
	state        state
	draining     bool // Close is waiting for acknowledgements: no new inputs
	conn         *gws.Conn
	gate         *gateConn
	handshake    chan error       // set while a connection waits for its Welcome
	pendingClose *DisconnectError // from a Disconnect frame on the current connection
	killed       bool             // the current connection was dropped on purpose (Drop, resync)
	dropAt       time.Time
	lastResync   time.Time
	err          error
	stalled      bool // Stall(true): not reading, so silence means nothing

	// Room, from the latest Welcome.
	welcome      *proto.Welcome
	resumeToken  []byte
	grace        time.Duration
	hashInterval uint32
	codec        *snapcodec.Codec

	// World, packed (a kind's fields only): world is current, next is scratch for decoding; they are swapped after
	// each snapshot. gen counts the worlds world has held (each snapshot, each reset).
	world, next snapcodec.Packed
	gen         uint64
	// seen is the world of the previous connection, kept across a resume so that enter and exit are reported
	// against what the player last saw (seenSet: the next snapshot is compared with it).
	seen    snapcodec.Packed
	seenSet bool
	// full is world unpacked into game.Entity values, for WithWorld and a Handler's OnSnapshot: filled only when
	// one of them asks, and current while fullGen == gen. Written under mu by the read goroutine or WithWorld.
	full    snapcodec.World
	fullGen uint64
	// entity is the scratch entity a ViewHandler receives. Read goroutine only.
	entity      game.Entity
	lastSnapAt  time.Time
	matchResult *proto.MatchResult

	// Inputs: ring holds the sent inputs that are neither acknowledged nor known late, in sequence (and tick) order.
	sent, acked  uint32 // the highest sequence sent; the highest reported applied (last_input_seq)
	ring         []sentInput
	head, count  int
	wbuf         []byte
	fbuf         []byte // wbuf framed for the socket (plain connections)
	lastDeadline time.Time
	lastPing     time.Time
	clock        *InputClock // from the first Welcome; restarted by every Welcome
	joinSentAt   time.Time   // when the current connection's Join was written (the handshake's round trip)
	snapEvery    uint32      // ticks between snapshots

	// Per connection, for the applied-per-tick figures: the previous snapshot's tick and the first tick an input was
	// addressed to on this connection.
	prevSnapTick uint32
	firstTick    uint32

	// Clock.
	rtt, offset time.Duration

	msgSeq uint32 // the last Message.seq sent (SendMessage)

	resumes int // successful resumes of this client
	resyncs int // input clock re-syncs already counted in stats

	// Read side scratch, owned by the read goroutine.
	snap snapshotFrame
	sf   proto.ServerFrame
}

// Dial connects, joins and waits for the Welcome. A join by token (Config.JoinToken, or the Matchmaker's) that the
// server refuses as busy (4002) is retried with backoff until it is admitted, the token is refused, or ctx ends. The
// returned client keeps running (and resuming) until Close or a terminal disconnect.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	join := &proto.Join{Name: cfg.Name, PlayerToken: cfg.PlayerToken}
	switch {
	case cfg.JoinToken != "":
		join.Target = &proto.Join_JoinToken{JoinToken: cfg.JoinToken}
	case len(cfg.ResumeToken) > 0:
		join.Target = &proto.Join_ResumeToken{ResumeToken: cfg.ResumeToken}
	case cfg.Matchmaker != nil:
		var (
			a   Assignment
			err error
		)
		if tm, ok := cfg.Matchmaker.(TokenMatchmaker); ok && cfg.PlayerToken != "" {
			a, err = tm.MatchWithToken(ctx, cfg.Mode, cfg.Name, cfg.PlayerToken)
			join.PlayerToken = "" // the seat was verified with the ticket
		} else {
			a, err = cfg.Matchmaker.Match(ctx, cfg.Mode, cfg.Name)
		}
		if err != nil {
			return nil, fmt.Errorf("client: matchmaking: %w", err)
		}
		cfg.URL = a.URL
		join.Target = &proto.Join_JoinToken{JoinToken: a.JoinToken}
	default:
		join.Target = &proto.Join_Mode{Mode: cfg.Mode}
	}
	u, addr, err := parseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg:     cfg,
		stats:   cfg.Stats,
		log:     cfg.Logger,
		url:     u,
		address: addr,
		done:    make(chan struct{}),
		ring:    make([]sentInput, cfg.InputHistory),
	}
	if err := c.join(ctx, join); err != nil {
		c.mu.Lock()
		c.state = stateClosed
		c.err = err
		close(c.done)
		c.mu.Unlock()
		return nil, err
	}
	return c, nil
}

func parseURL(raw string) (string, string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("client: bad URL: %w", err)
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return "", "", fmt.Errorf("client: URL scheme must be ws or wss: %q", raw)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/ws"
	}
	addr := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "wss" {
			port = "443"
		}
		addr = net.JoinHostPort(u.Hostname(), port)
	}
	return u.String(), addr, nil
}

// Done is closed when the client has ended (Close, or a disconnect it could not resume from).
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is the error that ended the client (nil while running or after a clean Close). A server-side end is a
// *DisconnectError; a failed resume wraps ErrResumeFailed and the last attempt's error.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Stats returns the counters the client updates (shared when Config.Stats was given).
func (c *Client) Stats() *Stats { return c.stats }

// Welcome returns the latest Welcome (of the last join or resume).
func (c *Client) Welcome() *proto.Welcome {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.welcome
}

// PlayerID is this player's id in the room (its entity id in the arena).
func (c *Client) PlayerID() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.welcome.GetPlayerId()
}

// UserID is the user id the server verified for this player (from Config.PlayerToken, or the join token of a
// verified seat), and verified says whether it did; "" and false for an anonymous player.
func (c *Client) UserID() (userID string, verified bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.welcome.GetUserId(), c.welcome.GetVerified()
}

// ResumeToken is the token of the latest Welcome.
func (c *Client) ResumeToken() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.resumeToken...)
}

// Connected reports whether a welcomed connection is open.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == stateJoined && c.conn != nil
}

// Alive reports whether the client is still playing: joined, or resuming within the grace period.
func (c *Client) Alive() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == stateJoined || c.state == stateResuming
}

// Inputs returns the highest sequence sent and the highest the server reported applied (last_input_seq).
func (c *Client) Inputs() (sent, acked uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent, c.acked
}

// Resumes is how many times this client resumed after a dropped connection.
func (c *Client) Resumes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.resumes
}

// Tick is the tick of the client's world (0 before the first snapshot of a connection).
func (c *Client) Tick() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.world.Tick
}

// WithWorld calls f with the current world under the client's lock; f must not keep it or call the Client. The
// client keeps its world packed: the first call after each snapshot unpacks it (WithPacked does not).
func (c *Client) WithWorld(f func(w *snapcodec.World)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(c.fullWorldLocked())
}

// WithPacked calls f with the current world, packed (each entity with its kind's fields only), under the client's
// lock; f must not keep it or call the Client.
func (c *Client) WithPacked(f func(w *snapcodec.Packed)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(&c.world)
}

// fullWorldLocked returns the current world unpacked, unpacking it if it changed since the last call.
func (c *Client) fullWorldLocked() *snapcodec.World {
	if c.fullGen != c.gen || c.full.Tick != c.world.Tick {
		c.full.Tick = c.world.Tick
		c.full.Entities = c.world.AppendTo(c.full.Entities[:0])
		c.fullGen = c.gen
	}
	return &c.full
}

// InputClockState returns the input clock's current dilation (its speed relative to the room's, minus one), target
// lead and last tick addressed; zeros before the first Welcome.
func (c *Client) InputClockState() (dilation float64, target time.Duration, lastTick uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.clock == nil {
		return 0, 0, 0
	}
	return c.clock.Dilation(), c.clock.Target(), c.clock.LastTick()
}

// Pending is how many sent inputs are neither acknowledged nor known late.
func (c *Client) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count
}

// Clock returns the last round-trip time and the server clock's offset (server time = local time + offset), both
// zero before the first Pong.
func (c *Client) Clock() (rtt, offset time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rtt, c.offset
}

// MatchResult returns the match result, once the room sent one.
func (c *Client) MatchResult() *proto.MatchResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.matchResult
}

// String names the client for logs.
func (c *Client) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.TrimSpace(fmt.Sprintf("client %s player %d", c.cfg.Name, c.welcome.GetPlayerId()))
}
