// Package client is a headless Go client for Tickwire servers: it connects (directly or through a Matchmaker),
// joins a room, sends inputs, rebuilds the room's world from full and delta snapshots (proto/snapcodec), checks it
// against the server's state hash, measures input acknowledgement latency, round-trip time and the server clock, and
// resumes by itself after a dropped connection within the room's grace period, resending the inputs the server had
// not yet applied.
//
// A Client is safe for use by several goroutines. It runs no goroutine of its own besides the WebSocket read loop of
// its current connection (and a short-lived one while resuming): the caller drives inputs and pings, so that a load
// tool can drive thousands of clients from one ticker. Snapshots are decoded on the read goroutine without allocating.
//
// Input accounting is exact: every input gets the next sequence number when it is written; the server reports the
// highest sequence it applied (last_input_seq, cumulative because it applies inputs in order); an input is
// acknowledged when a snapshot or a resume Welcome reports a sequence at or above it, and lost when the client ends
// (Close, or a failure it cannot resume from) with it still unacknowledged.
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
	gproto "google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/proto/snapcodec"
)

// Matchmaker finds a room for a mode and says where to connect. It is the seam for a matchmaking service: the
// client asks it for an Assignment before connecting when Config.Matchmaker is set and no token is given.
type Matchmaker interface {
	Match(ctx context.Context, mode, name string) (Assignment, error)
}

// Assignment is a matchmaker's answer: the server's WebSocket URL and the single-use token that admits the player.
type Assignment struct {
	URL       string
	JoinToken string
}

// Handler receives a client's events. Methods run on the connection's read goroutine (OnDisconnect possibly on the
// goroutine that called Close): keep them short. The world passed to OnSnapshot is the client's own and valid only
// during the call; no lock is held, so the handler may call the Client's methods.
type Handler interface {
	OnWelcome(c *Client, w *proto.Welcome)
	OnSnapshot(c *Client, w *snapcodec.World, lastInputSeq uint32)
	OnEvent(c *Client, ev *proto.Event)
	OnMatchResult(c *Client, r *proto.MatchResult)
	// OnDisconnect reports the end of a connection; resuming says whether the client is trying to resume.
	OnDisconnect(c *Client, err *DisconnectError, resuming bool)
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
	// ClientName goes into Hello.client; default "tickwire-go/1".
	ClientName string

	// DialTimeout bounds one connection attempt: TCP, WebSocket handshake and the Welcome. Default 5s.
	DialTimeout time.Duration
	// NoResume turns automatic resumption off: a dropped connection ends the client.
	NoResume bool
	// InputHistory is how many sent inputs may be unacknowledged at once (kept for resending). Default 128.
	InputHistory int
	// DrainTimeout is how long Close waits for the server to acknowledge the inputs in flight. Default 2s.
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
		cfg.ClientName = "tickwire-go/1"
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if cfg.InputHistory == 0 {
		cfg.InputHistory = 128
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

	// World: world is current, next is scratch for decoding; they are swapped after each snapshot.
	world, next snapcodec.World
	lastSnapAt  time.Time
	matchResult *proto.MatchResult

	// Inputs: ring holds the sent, unacknowledged inputs acked+1..sent in order.
	sent, acked  uint32
	ring         []sentInput
	head, count  int
	wbuf         []byte
	lastDeadline time.Time
	lastPing     time.Time

	// Clock.
	rtt, offset time.Duration

	resumes int // successful resumes of this client

	// Read side scratch, owned by the read goroutine.
	snap snapshotFrame
	sf   proto.ServerFrame
}

// Dial connects, joins and waits for the Welcome. The returned client keeps running (and resuming) until Close or a
// terminal disconnect.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	join := &proto.Join{Name: cfg.Name}
	switch {
	case cfg.JoinToken != "":
		join.Target = &proto.Join_JoinToken{JoinToken: cfg.JoinToken}
	case len(cfg.ResumeToken) > 0:
		join.Target = &proto.Join_ResumeToken{ResumeToken: cfg.ResumeToken}
	case cfg.Matchmaker != nil:
		a, err := cfg.Matchmaker.Match(ctx, cfg.Mode, cfg.Name)
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
	if err := c.connect(ctx, join); err != nil {
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

// connect opens one connection, sends Hello and Join and waits for the Welcome (or the refusal).
func (c *Client) connect(ctx context.Context, join *proto.Join) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", c.address)
	if err != nil {
		return fmt.Errorf("client: dial: %w", err)
	}
	if tc, ok := nc.(*net.TCPConn); ok && c.cfg.SocketReadBuffer > 0 {
		_ = tc.SetReadBuffer(c.cfg.SocketReadBuffer)
	}
	if strings.HasPrefix(c.url, "wss:") {
		tcfg := &tls.Config{}
		if c.cfg.TLS != nil {
			tcfg = c.cfg.TLS.Clone()
		}
		if tcfg.ServerName == "" {
			host, _, _ := net.SplitHostPort(c.address)
			tcfg.ServerName = host
		}
		tc := tls.Client(nc, tcfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = nc.Close()
			return fmt.Errorf("client: tls: %w", err)
		}
		nc = tc
	}
	gc := newGateConn(nc)
	timeout := c.cfg.DialTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	conn, _, err := gws.NewClientFromConn(&connHandler{c: c}, &gws.ClientOption{
		Addr:             c.url,
		HandshakeTimeout: timeout,
		ReadBufferSize:   4096,
	}, gc)
	if err != nil {
		return fmt.Errorf("client: websocket handshake: %w", err)
	}
	ch := make(chan error, 1)
	c.mu.Lock()
	if c.state == stateClosing || c.state == stateClosed {
		c.mu.Unlock()
		_ = gc.closeNow()
		return ErrClosed
	}
	c.conn, c.gate, c.handshake = conn, gc, ch
	c.pendingClose, c.killed, c.stalled = nil, false, false
	c.lastRecv.Store(time.Now().UnixNano())
	c.lastSnapAt = time.Time{}
	c.lastDeadline = time.Time{}
	c.mu.Unlock()

	hello, _ := gproto.Marshal(&proto.ClientFrame{Msg: &proto.ClientFrame_Hello{Hello: &proto.Hello{
		ProtocolVersion: proto.ProtocolVersion_PROTOCOL_VERSION_1, Client: c.cfg.ClientName}}})
	jf, _ := gproto.Marshal(&proto.ClientFrame{Msg: &proto.ClientFrame_Join{Join: join}})
	_ = conn.WriteMessage(gws.OpcodeBinary, hello)
	_ = conn.WriteMessage(gws.OpcodeBinary, jf)
	c.stats.BytesOut.Add(int64(len(hello) + len(jf) + wsHeaderLen(len(hello), true) + wsHeaderLen(len(jf), true)))
	go conn.ReadLoop()

	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		_ = gc.closeNow()
		if err := <-ch; err == nil {
			return nil // welcomed just in time
		}
		return fmt.Errorf("client: waiting for Welcome: %w", ctx.Err())
	}
}

// connHandler adapts one gws connection to its Client.
type connHandler struct{ c *Client }

func (h *connHandler) OnOpen(*gws.Conn)                   {}
func (h *connHandler) OnPing(s *gws.Conn, payload []byte) { _ = s.WritePong(payload) }
func (h *connHandler) OnPong(*gws.Conn, []byte)           {}
func (h *connHandler) OnClose(s *gws.Conn, err error)     { h.c.onClose(s, err) }
func (h *connHandler) OnMessage(s *gws.Conn, m *gws.Message) {
	b := m.Bytes()
	now := time.Now()
	h.c.lastRecv.Store(now.UnixNano())
	h.c.stats.BytesIn.Add(int64(len(b) + wsHeaderLen(len(b), false)))
	if m.Opcode == gws.OpcodeBinary {
		h.c.onFrame(s, b, now)
	} else {
		h.c.stats.DecodeErrors.Add(1)
	}
	_ = m.Close()
}

// onFrame handles one ServerFrame on the read goroutine.
func (c *Client) onFrame(s *gws.Conn, b []byte, now time.Time) {
	ok, err := decodeSnapshotFrame(b, &c.snap)
	if err != nil {
		c.stats.DecodeErrors.Add(1)
		return
	}
	if ok {
		c.onSnapshot(s, &c.snap, now)
		return
	}
	if err := (gproto.UnmarshalOptions{}).Unmarshal(b, &c.sf); err != nil {
		c.stats.DecodeErrors.Add(1)
		return
	}
	switch m := c.sf.Msg.(type) {
	case *proto.ServerFrame_Welcome:
		c.onWelcome(s, m.Welcome)
	case *proto.ServerFrame_Event:
		c.stats.Events.Add(1)
		c.cfg.Handler.OnEvent(c, m.Event)
	case *proto.ServerFrame_Pong:
		c.onPong(m.Pong)
	case *proto.ServerFrame_Disconnect:
		d := &DisconnectError{Code: uint16(m.Disconnect.GetCode()), Reason: m.Disconnect.GetReason(),
			Reconnect: m.Disconnect.GetReconnect()}
		c.mu.Lock()
		if s == c.conn {
			c.pendingClose = d
		}
		c.mu.Unlock()
	case *proto.ServerFrame_MatchResult:
		c.mu.Lock()
		c.matchResult = m.MatchResult
		c.mu.Unlock()
		c.cfg.Handler.OnMatchResult(c, m.MatchResult)
	default:
		c.stats.DecodeErrors.Add(1)
	}
}

func (c *Client) onWelcome(s *gws.Conn, w *proto.Welcome) {
	c.mu.Lock()
	if s != c.conn {
		c.mu.Unlock()
		return
	}
	first := c.welcome == nil
	if first || !w.GetResumed() || w.GetRoomEpoch() != c.welcome.GetRoomEpoch() || c.codec == nil {
		schema, err := snapcodec.SchemaFromWelcome(w.GetKinds(), w.GetInput(), w.GetParams())
		var codec *snapcodec.Codec
		if err == nil {
			codec, err = snapcodec.New(schema)
		}
		if err != nil {
			c.mu.Unlock()
			c.log.Warn("client: unusable Welcome", "err", err)
			c.stats.DecodeErrors.Add(1)
			c.killConn(s)
			return
		}
		c.codec = codec
	}
	c.welcome = w
	c.resumeToken = w.GetResumeToken()
	c.grace = time.Duration(w.GetGraceMs()) * time.Millisecond
	c.hashInterval = w.GetHashInterval()
	c.world.Reset()
	c.world.Tick = 0
	c.lastSnapAt = time.Time{}
	// The Welcome acknowledges what the room applied before the drop; resend the rest, oldest first.
	c.ackLocked(w.GetLastInputSeq(), time.Time{})
	now := time.Now()
	for i := 0; i < c.count; i++ {
		e := &c.ring[(c.head+i)%len(c.ring)]
		e.sentAt = now
		c.wbuf = appendInputFrame(c.wbuf[:0], e.seq, e.values[:e.n], 0, 0)
		_ = c.writeLocked(c.wbuf, now)
		c.stats.InputsResent.Add(1)
	}
	ch := c.handshake
	c.handshake = nil
	if c.state == stateConnecting || c.state == stateResuming {
		c.state = stateJoined
	}
	c.stats.Connected.Add(1)
	c.mu.Unlock()
	if ch != nil {
		ch <- nil
	}
	c.cfg.Handler.OnWelcome(c, w)
}

func (c *Client) onSnapshot(s *gws.Conn, f *snapshotFrame, now time.Time) {
	c.mu.Lock()
	if s != c.conn {
		c.mu.Unlock()
		return
	}
	if c.codec == nil {
		c.mu.Unlock()
		c.decodeFailed(s, "snapshot before Welcome")
		return
	}
	var base *snapcodec.World
	if f.Baseline != 0 {
		if f.Baseline != c.world.Tick {
			c.mu.Unlock()
			c.decodeFailed(s, "baseline is not the world's tick")
			return
		}
		base = &c.world
	}
	if err := c.codec.Apply(base, f.Tick, f.Entities, &c.next); err != nil {
		c.mu.Unlock()
		c.decodeFailed(s, err.Error())
		return
	}
	c.world, c.next = c.next, c.world
	c.stats.Snapshots.Add(1)
	if f.Baseline == 0 {
		c.stats.FullSnapshots.Add(1)
	}
	if f.HasHash {
		c.stats.HashChecks.Add(1)
		if c.codec.Hash(&c.world) != f.Hash {
			c.stats.WorldMismatches.Add(1)
		}
	}
	if !c.lastSnapAt.IsZero() {
		c.stats.SnapshotInterval.Record(now.Sub(c.lastSnapAt))
	}
	c.lastSnapAt = now
	c.ackLocked(f.LastInputSeq, now)
	c.mu.Unlock()
	c.cfg.Handler.OnSnapshot(c, &c.world, f.LastInputSeq)
}

// decodeFailed counts a snapshot the client cannot apply. Every later delta would build on the missing one, so the
// client drops the connection (at most once a second) and resumes, which brings a full snapshot.
func (c *Client) decodeFailed(s *gws.Conn, why string) {
	c.stats.DecodeErrors.Add(1)
	c.mu.Lock()
	resync := s == c.conn && time.Since(c.lastResync) > time.Second
	if resync {
		c.lastResync = time.Now()
	}
	c.mu.Unlock()
	c.log.Debug("client: snapshot dropped", "why", why)
	if resync {
		c.killConn(s)
	}
}

// ackLocked records that the server applied every input up to seq. A zero now (a Welcome) records no latency.
func (c *Client) ackLocked(seq uint32, now time.Time) {
	if seq > c.sent {
		c.stats.AckBeyondSent.Add(1)
		seq = c.sent
	}
	if seq < c.acked {
		c.stats.AckRegress.Add(1)
		return
	}
	for c.count > 0 && c.ring[c.head].seq <= seq {
		if !now.IsZero() {
			c.stats.AckLatency.Record(now.Sub(c.ring[c.head].sentAt))
		}
		c.head = (c.head + 1) % len(c.ring)
		c.count--
	}
	c.stats.InputsAcked.Add(int64(seq - c.acked))
	c.acked = seq
}

func (c *Client) onPong(p *proto.Pong) {
	now := time.Now()
	rtt := time.Duration(now.UnixMicro()-int64(p.GetClientTimeUs())) * time.Microsecond
	if rtt < 0 {
		return
	}
	c.stats.RTT.Record(rtt)
	// The server read its clock about half a round trip before now.
	offset := time.Duration(int64(p.GetServerTimeUs())-now.UnixMicro())*time.Microsecond + rtt/2
	c.mu.Lock()
	c.rtt, c.offset = rtt, offset
	c.mu.Unlock()
}

// closeReason turns how a connection ended into a DisconnectError.
func (c *Client) closeReasonLocked(err error) *DisconnectError {
	if c.pendingClose != nil {
		return c.pendingClose
	}
	if c.killed {
		return ErrConnectionLost
	}
	var ce *gws.CloseError
	if errors.As(err, &ce) && ce.Code != 0 {
		return disconnect(ce.Code, string(ce.Reason))
	}
	return ErrConnectionLost
}

func (c *Client) onClose(s *gws.Conn, err error) {
	c.mu.Lock()
	if s != c.conn {
		c.mu.Unlock()
		return
	}
	derr := c.closeReasonLocked(err)
	c.conn, c.gate = nil, nil
	if ch := c.handshake; ch != nil {
		c.handshake = nil
		c.stats.countClose(derr.Code)
		c.mu.Unlock()
		ch <- derr
		return
	}
	c.stats.Connected.Add(-1)
	switch {
	case c.state == stateClosing || c.state == stateClosed:
		c.mu.Unlock() // our own shutdown
		return
	case derr.Reconnect && !c.cfg.NoResume && len(c.resumeToken) > 0:
		c.stats.countClose(derr.Code)
		c.state = stateResuming
		c.dropAt = time.Now()
		c.mu.Unlock()
		c.cfg.Handler.OnDisconnect(c, derr, true)
		go c.resumeLoop(derr)
	default:
		c.stats.countClose(derr.Code)
		c.finishLocked(derr)
		c.mu.Unlock()
		c.cfg.Handler.OnDisconnect(c, derr, false)
	}
}

// finishLocked ends the client: whatever is still unacknowledged is lost.
func (c *Client) finishLocked(err error) {
	if c.state == stateClosed {
		return
	}
	c.stats.InputsLost.Add(int64(c.sent - c.acked))
	c.state = stateClosed
	c.err = err
	close(c.done)
}

func (c *Client) resumeLoop(cause *DisconnectError) {
	c.mu.Lock()
	grace := c.grace
	if grace <= 0 {
		grace = 10 * time.Second
	}
	deadline := c.dropAt.Add(grace)
	c.mu.Unlock()
	backoff := 10 * time.Millisecond
	last := error(cause)
	for {
		c.mu.Lock()
		st, token := c.state, c.resumeToken
		c.mu.Unlock()
		if st != stateResuming {
			return // Close took over
		}
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		ctx, cancel := context.WithTimeout(context.Background(), left)
		err := c.connect(ctx, &proto.Join{Target: &proto.Join_ResumeToken{ResumeToken: token}, Name: c.cfg.Name})
		cancel()
		if err == nil {
			c.stats.Resumed.Add(1)
			c.mu.Lock()
			c.resumes++
			c.mu.Unlock()
			return
		}
		last = err
		var de *DisconnectError
		if errors.As(err, &de) && !de.Reconnect {
			break
		}
		select {
		case <-time.After(min(backoff, time.Until(deadline))):
		case <-c.done:
			return
		}
		backoff = min(backoff*2, 500*time.Millisecond)
	}
	c.stats.ResumeFailed.Add(1)
	c.mu.Lock()
	if c.state == stateResuming {
		c.finishLocked(fmt.Errorf("%w: %w", ErrResumeFailed, last))
	}
	c.mu.Unlock()
}

// writeLocked writes one binary frame on the current connection.
func (c *Client) writeLocked(b []byte, now time.Time) error {
	conn := c.conn
	if conn == nil {
		return ErrNotConnected
	}
	// Refreshing the deadline once a second keeps a blocked write bounded without a timer per write.
	if now.Sub(c.lastDeadline) > time.Second {
		c.lastDeadline = now
		_ = conn.SetWriteDeadline(now.Add(c.cfg.WriteTimeout))
	}
	err := conn.WriteMessage(gws.OpcodeBinary, b)
	if err == nil {
		c.stats.BytesOut.Add(int64(len(b) + wsHeaderLen(len(b), true)))
	}
	return err
}

// silentLocked reports whether the current connection has been silent past Config.SilenceTimeout.
func (c *Client) silentLocked(now time.Time) bool {
	return c.cfg.SilenceTimeout > 0 && c.state == stateJoined && c.conn != nil && !c.stalled &&
		now.UnixNano()-c.lastRecv.Load() > int64(c.cfg.SilenceTimeout)
}

// SendInput sends the next input with the given values (one per Welcome.input field) and returns its sequence
// number. It returns ErrNotConnected while the client is resuming (the input is not sent and takes no sequence
// number) and ErrInputBacklog when Config.InputHistory inputs are unacknowledged.
func (c *Client) SendInput(values []int32) (uint32, error) {
	if len(values) > game.MaxInputValues {
		return 0, errors.New("client: too many input values")
	}
	now := time.Now()
	c.mu.Lock()
	if c.silentLocked(now) {
		conn := c.conn
		c.mu.Unlock()
		c.log.Debug("client: connection silent, dropping it", "client", c.cfg.Name)
		c.killConn(conn)
		return 0, ErrNotConnected
	}
	defer c.mu.Unlock()
	switch {
	case c.state == stateClosed || c.state == stateClosing || c.draining:
		return 0, ErrClosed
	case c.state != stateJoined || c.conn == nil:
		return 0, ErrNotConnected
	case c.count == len(c.ring):
		// Nothing acknowledged for a while: the client may not be reading, or the server may be gone. Keep pinging
		// (once a second) so that the heartbeat holds and a dead connection shows up as a failed write.
		if now.Sub(c.lastPing) >= time.Second {
			_ = c.pingLocked(now)
		}
		return 0, ErrInputBacklog
	}
	seq := c.sent + 1
	e := &c.ring[(c.head+c.count)%len(c.ring)]
	e.seq, e.n, e.sentAt = seq, uint8(len(values)), now
	copy(e.values[:], values)
	c.wbuf = appendInputFrame(c.wbuf[:0], seq, values, c.world.Tick, c.world.Tick)
	if err := c.writeLocked(c.wbuf, now); errors.Is(err, net.ErrClosed) {
		return 0, ErrNotConnected // certainly not written: the sequence number stays free
	}
	// Any other write error may have happened after the frame reached the socket: keep it for the resume.
	c.count++
	c.sent = seq
	c.stats.InputsSent.Add(1)
	if c.cfg.PingInterval > 0 && now.Sub(c.lastPing) >= c.cfg.PingInterval {
		c.pingLocked(now)
	}
	return seq, nil
}

// Ping sends a Ping; the Pong updates RTT and ClockOffset. Pings also keep an idle connection alive.
func (c *Client) Ping() error {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateJoined {
		return ErrNotConnected
	}
	return c.pingLocked(now)
}

func (c *Client) pingLocked(now time.Time) error {
	c.lastPing = now
	c.wbuf = c.wbuf[:0]
	b, err := gproto.MarshalOptions{}.MarshalAppend(c.wbuf, &proto.ClientFrame{Msg: &proto.ClientFrame_Ping{
		Ping: &proto.Ping{ClientTimeUs: uint64(now.UnixMicro())}}})
	if err != nil {
		return err
	}
	c.wbuf = b
	return c.writeLocked(b, now)
}

// Ack acknowledges the latest snapshot (inputs do this implicitly; use it when not sending inputs).
func (c *Client) Ack() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateJoined {
		return ErrNotConnected
	}
	b, _ := gproto.Marshal(&proto.ClientFrame{Msg: &proto.ClientFrame_Ack{Ack: &proto.Ack{Tick: c.world.Tick}}})
	return c.writeLocked(b, time.Now())
}

// Close waits (up to Config.DrainTimeout) for the server to acknowledge the inputs in flight, leaves the room and
// closes the connection. Inputs still unacknowledged count as lost. It returns the error that ended the client
// earlier, if any.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.state == stateClosed {
		err := c.err
		c.mu.Unlock()
		return err
	}
	c.draining = true
	c.mu.Unlock()

	deadline := time.Now().Add(c.cfg.DrainTimeout)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		settled := c.acked == c.sent || c.state == stateClosed
		var silent *gws.Conn
		if c.silentLocked(time.Now()) {
			silent = c.conn
		}
		c.mu.Unlock()
		if settled {
			break
		}
		if silent != nil {
			c.killConn(silent) // resume: the Welcome acknowledges what the server applied
		}
		time.Sleep(5 * time.Millisecond)
	}

	c.mu.Lock()
	if c.state == stateClosed {
		err := c.err
		c.mu.Unlock()
		return err
	}
	c.state = stateClosing
	conn, gate := c.conn, c.gate
	if conn != nil {
		leave, _ := gproto.Marshal(&proto.ClientFrame{Msg: &proto.ClientFrame_Leave{Leave: &proto.Leave{}}})
		_ = c.writeLocked(leave, time.Now())
	}
	c.finishLocked(nil)
	c.mu.Unlock()
	if conn != nil {
		_ = conn.WriteClose(1000, nil)
		_ = gate.closeNow()
	}
	return nil
}

// Drop kills the current connection without a close frame, as a network failure would; the client then resumes
// (unless NoResume). For chaos testing.
func (c *Client) Drop() {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn != nil {
		c.killConn(conn)
	}
}

func (c *Client) killConn(s *gws.Conn) {
	c.mu.Lock()
	if s != c.conn || c.gate == nil {
		c.mu.Unlock()
		return
	}
	c.killed = true
	g := c.gate
	c.mu.Unlock()
	_ = g.closeNow()
}

// Stall stops (true) or restarts (false) reading from the connection, making this client a slow consumer. What the
// server sends meanwhile waits in the kernel; if the server gives up on the client, its Disconnect is still read.
func (c *Client) Stall(on bool) {
	c.mu.Lock()
	g := c.gate
	c.stalled = on
	if !on {
		c.lastRecv.Store(time.Now().UnixNano()) // silence is measured from when reading restarts
	}
	c.mu.Unlock()
	if g != nil {
		g.setStalled(on)
	}
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

// WithWorld calls f with the current world under the client's lock; f must not keep it or call the Client.
func (c *Client) WithWorld(f func(w *snapcodec.World)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(&c.world)
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
