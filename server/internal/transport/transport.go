// Package transport puts rooms on the network: it is the only package that imports the WebSocket library (gws). It
// checks the Origin and the connection cap before the upgrade, enforces the handshake deadline, the heartbeat, the
// frame size, the per-connection rate limit and strict ClientFrame decoding, routes Hello/Join to the room directory
// and the token table, forwards inputs, acks, pings and leaves to the player's room, and closes every refused
// connection with a Disconnect frame followed by a WebSocket close carrying the same code.
//
// Files: transport.go (Handler: upgrade, tracking, sweeper, shutdown), conn.go (one connection: read path and state
// machine), readloop.go and frames.go (the connection's own read loop and WebSocket frame parser: one read(2) per
// client frame on a plain TCP socket), decode.go (strict decoding and validation of client frames), trywrite.go (the
// non-blocking write the room uses for snapshots), stream.go (plain outbound text streams, such as the service API's
// event stream).
//
// Handler's exported methods are safe to call from several goroutines. A connection's read path runs on its read
// goroutine (its own read loop, or gws's when permessage-deflate is enabled); its writes happen only on its session's
// writer goroutine (and the pongs and close frames of the WebSocket protocol, written through gws).
package transport

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lxzan/gws"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/internal/auth"
	"github.com/tickwire/tickwire/server/internal/directory"
	"github.com/tickwire/tickwire/server/internal/forwarded"
	"github.com/tickwire/tickwire/server/internal/limits"
	"github.com/tickwire/tickwire/server/internal/metrics"
	"github.com/tickwire/tickwire/server/internal/room"
	"github.com/tickwire/tickwire/server/internal/session"
)

// Close codes (values of proto.CloseCode) the transport sends.
const (
	CodeGoingAway        uint16 = 1001
	CodeUnsupportedData  uint16 = 1003
	CodeProtocolError    uint16 = 1002
	CodeInvalidPayload   uint16 = 1007
	CodeMessageTooBig    uint16 = 1009
	CodeInternalError    uint16 = 1011
	CodeHeartbeatTimeout uint16 = 4001
	CodeServerBusy       uint16 = 4002
	CodeMoved            uint16 = 4003 // the room lives on another node: the reason is its ws(s):// address
	CodeRecovering       uint16 = 4004 // the room is being rebuilt on another node (its node died): retry shortly
	CodeBadFrame         uint16 = 4500
	CodeUnsupportedVer   uint16 = 4501
	CodeHandshakeTimeout uint16 = 4502
	CodeSuperseded       uint16 = 4503
	CodeInvalidToken     uint16 = 4504
	CodeResumeExpired    uint16 = 4505
	CodeRoomNotFound     uint16 = 4506
	CodeRoomFull         uint16 = 4507
	CodeRateLimited      uint16 = 4508
	CodeRoomEnded        uint16 = 4509
	CodeRoomFailed       uint16 = 4510
	CodeLeft             uint16 = 4511
	CodeUnauthenticated  uint16 = 4512
	CodeTokenExpired     uint16 = 4513
)

// Config configures a Handler.
type Config struct {
	MaxConnections   int
	MaxFrameBytes    int
	ReadBufferBytes  int
	WriteBufferBytes int // SO_SNDBUF; 0: system default
	Compression      bool
	AllowedOrigins   []string // empty: same host and localhost; "*": any
	HandshakeTimeout time.Duration
	HeartbeatTimeout time.Duration
	CloseTimeout     time.Duration
	InputRate        float64
	InputBurst       int
	// MessageRate and MessageBurst limit a connection's Messages (game messages), on top of InputRate; a flood is
	// closed with 4508. Zero: room.DefaultMessageRate and room.DefaultMessageBurst (what rooms announce in Welcome).
	MessageRate  float64
	MessageBurst int
	// MaxMessageBytes is the largest Message payload accepted; a larger one is closed with 1009. Zero or more than
	// game.MaxMessageBytes: game.MaxMessageBytes.
	MaxMessageBytes int
	OpenJoin        bool
	// JoinTimeout bounds the wait for a room to answer a Join or Resume.
	JoinTimeout time.Duration
	// DrainBytes and DrainTimeout bound how much the server reads and discards after it closed a connection for a
	// protocol error (an oversized frame: 1009), so that the close frame reaches a client still sending instead of
	// being lost to a TCP reset. Zero: 8 MiB and CloseTimeout.
	DrainBytes   int64
	DrainTimeout time.Duration

	// Limits admits upgrades (per-source connections and upgrade rate, the handshake cap); nil: no limits.
	Limits *limits.Limiter
	// ClientIP is the client's address of a request (behind trusted proxies, the forwarded one); nil: the TCP peer.
	ClientIP func(*http.Request) netip.Addr

	// Auth decides who joining players are (nil: everyone is anonymous and player tokens are refused).
	Auth *auth.Authenticator

	// Locate, when set (a cluster node), is asked about a join or resume token this server does not know: it returns
	// the WebSocket address of the node that issued it (""), and the client is closed with 4003 and that address.
	Locate func(ctx context.Context, joinToken string, resumeToken []byte) string
	// MovedTo, when set, is asked about a resume into a room that is no longer here: the WebSocket address of the
	// node it moved to (live migration), and the client is closed with 4003 and that address; "": the room is gone.
	MovedTo func(roomID string) string
	// Recovering, when set, is asked about a resume token no node knows (Locate found none): true while a room of a
	// dead node may be being rebuilt, and the client is closed with 4004 (retry shortly) instead of 4504.
	Recovering func() bool

	Session   *session.Config
	Tokens    *session.Tokens
	Directory *directory.Directory
	Metrics   *metrics.Metrics
	Logger    *slog.Logger
}

// Handler serves /ws.
type Handler struct {
	// Static after construction.
	cfg      Config
	up       *gws.Upgrader
	log      *slog.Logger
	m        *metrics.Metrics
	stop     chan struct{}
	swept    chan struct{}
	sweepInt time.Duration
	// msgTooBig is the close reason of a Message over cfg.MaxMessageBytes (made once: refusals do not allocate).
	msgTooBig string
	// readBufs holds the read buffers (*[]byte of ReadBufferBytes) the connections' own read loops borrow while they
	// hold bytes not yet handled (frameReader.release).
	readBufs sync.Pool

	now   atomic.Int64 // coarse clock (unix nanoseconds), updated by the sweeper
	count atomic.Int64 // open connections, counted from the upgrade to OnClose

	mu       sync.Mutex
	live     map[*conn]struct{}
	draining bool
	allDone  chan struct{} // closed when draining and live is empty
}

// New makes a Handler and starts its sweeper (handshake and heartbeat deadlines, coarse clock). Call Shutdown to stop.
func New(cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Auth == nil {
		cfg.Auth = &auth.Authenticator{}
	}
	if cfg.MessageRate == 0 {
		cfg.MessageRate = room.DefaultMessageRate
	}
	if cfg.MessageBurst == 0 {
		cfg.MessageBurst = room.DefaultMessageBurst
	}
	if cfg.MaxMessageBytes <= 0 || cfg.MaxMessageBytes > game.MaxMessageBytes {
		cfg.MaxMessageBytes = game.MaxMessageBytes
	}
	if cfg.JoinTimeout == 0 {
		cfg.JoinTimeout = 5 * time.Second
	}
	if cfg.DrainBytes == 0 {
		cfg.DrainBytes = 8 << 20
	}
	if cfg.DrainTimeout == 0 {
		cfg.DrainTimeout = max(cfg.CloseTimeout, 100*time.Millisecond)
	}
	if cfg.Limits == nil {
		cfg.Limits = limits.New(limits.Config{})
	}
	if cfg.ClientIP == nil {
		cfg.ClientIP = forwarded.Peer
	}
	h := &Handler{
		cfg:       cfg,
		log:       cfg.Logger,
		m:         cfg.Metrics,
		stop:      make(chan struct{}),
		msgTooBig: fmt.Sprintf("message payload larger than %d bytes", cfg.MaxMessageBytes),
		swept:     make(chan struct{}),
		live:      map[*conn]struct{}{},
		allDone:   make(chan struct{}),
	}
	h.readBufs.New = func() any {
		b := make([]byte, cfg.ReadBufferBytes)
		return &b
	}
	h.sweepInt = min(cfg.HandshakeTimeout, cfg.HeartbeatTimeout) / 4
	h.sweepInt = max(min(h.sweepInt, 250*time.Millisecond), 10*time.Millisecond)
	h.now.Store(time.Now().UnixNano())
	h.up = gws.NewUpgrader(h, &gws.ServerOption{
		ReadMaxPayloadSize:  cfg.MaxFrameBytes,
		ReadBufferSize:      cfg.ReadBufferBytes,
		WriteMaxPayloadSize: 1 << 20,
		CheckUtf8Enabled:    true,
		Recovery:            gws.Recovery,
		Logger:              gwsLogger{cfg.Logger},
		HandshakeTimeout:    cfg.HandshakeTimeout,
		PermessageDeflate: gws.PermessageDeflate{
			Enabled:               cfg.Compression,
			ServerContextTakeover: false,
			ClientContextTakeover: false,
		},
		NewSession: func() gws.SessionStorage { return &slot{} },
	})
	go h.sweeper()
	return h
}

// Len returns the number of open WebSocket connections.
func (h *Handler) Len() int { return int(h.count.Load()) }

// ServeHTTP upgrades a request to a game connection.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.originAllowed(r) {
		h.m.RefusedUpgrade("origin")
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	h.mu.Lock()
	draining := h.draining
	h.mu.Unlock()
	if draining {
		h.m.RefusedUpgrade("draining")
		w.Header().Set("Retry-After", "5")
		http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "cannot upgrade this connection", http.StatusInternalServerError)
		return
	}
	// Refused before the upgrade, with an HTTP status: no goroutine, buffer or session is spent on them.
	hold, why := h.cfg.Limits.Upgrade(h.cfg.ClientIP(r), time.Unix(0, h.now.Load()))
	if why != "" {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "too many connections from your address", http.StatusTooManyRequests)
		return
	}
	if why := h.cfg.Limits.Handshake(); why != "" {
		hold.Release()
		w.Header().Set("Retry-After", "1")
		http.Error(w, "too many connections are starting", http.StatusServiceUnavailable)
		return
	}
	netConn, rw, err := hj.Hijack()
	if err != nil {
		hold.Release()
		h.cfg.Limits.HandshakeDone()
		h.log.Debug("hijack failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	if n := h.cfg.WriteBufferBytes; n > 0 {
		if tc, ok := netConn.(*net.TCPConn); ok {
			_ = tc.SetWriteBuffer(n)
		}
	}
	// Keep what the client sent right behind its upgrade request (already in the HTTP server's buffer). Without
	// compression the connection's own read loop takes those bytes and reads the socket (readloop.go); with it, gws's
	// read loop reads through br: the HTTP server's reader, or one of our own size when it holds nothing.
	br, gwsBr := rw.Reader, unusedReader
	if h.cfg.Compression {
		if br.Buffered() == 0 {
			br = bufio.NewReaderSize(netConn, h.cfg.ReadBufferBytes)
		}
		gwsBr = br
	}
	sc := &sealConn{Conn: netConn, raw: rawConnOf(netConn), drainBytes: h.cfg.DrainBytes,
		drainTimeout: h.cfg.DrainTimeout}
	// Numbered before the upgrade's response is written: a client that opens another connection once this one is
	// up gets a higher number, whichever of the two handlers runs first from here on.
	arrival := h.cfg.Tokens.Arrival()
	ws, err := h.up.UpgradeFromConn(sc, gwsBr, r)
	if err != nil {
		hold.Release()
		h.cfg.Limits.HandshakeDone()
		h.m.RefusedUpgrade("handshake")
		h.log.Debug("upgrade failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	c := newConn(h, ws, sc, arrival)
	c.hold = hold
	c.handshaking.Store(true)
	ws.Session().(*slot).c = c
	n := h.count.Add(1)
	h.m.Connections.Inc()
	h.mu.Lock()
	draining = h.draining
	h.live[c] = struct{}{}
	h.mu.Unlock()
	switch {
	case draining:
		c.refuse(CodeGoingAway, "server is shutting down")
	case n > int64(h.cfg.MaxConnections):
		c.refuse(CodeServerBusy, "server is at its connection cap")
	}
	if h.cfg.Compression {
		go c.gwsReadLoop()
	} else {
		go c.readLoop(br)
	}
}

// originAllowed implements the Origin policy. Requests without Origin come from non-browser clients, which an
// Origin check cannot stop anyway; the check exists to keep other web pages from using a visitor's browser.
func (h *Handler) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if len(h.cfg.AllowedOrigins) > 0 {
		for _, o := range h.cfg.AllowedOrigins {
			if o == "*" || strings.EqualFold(o, origin) {
				return true
			}
		}
		return false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	switch strings.ToLower(u.Hostname()) {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}

// sweeper advances the coarse clock and closes connections past their handshake or heartbeat deadline. One
// goroutine for all connections costs far less than a timer per connection re-armed on every frame.
func (h *Handler) sweeper() {
	defer close(h.swept)
	t := time.NewTicker(h.sweepInt)
	defer t.Stop()
	var batch []*conn
	for {
		select {
		case <-h.stop:
			return
		case now := <-t.C:
			h.now.Store(now.UnixNano())
			batch = batch[:0]
			h.mu.Lock()
			for c := range h.live {
				batch = append(batch, c)
			}
			h.mu.Unlock()
			for _, c := range batch {
				c.checkDeadline(now.UnixNano())
			}
			clear(batch)
		}
	}
}

// Shutdown stops accepting game connections, closes every open one with 1001 (going away: reconnect and resume
// elsewhere or later), and waits until they are gone or ctx is done, when it drops the rest.
func (h *Handler) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	if !h.draining {
		h.draining = true
		if len(h.live) == 0 {
			close(h.allDone)
		}
	}
	conns := make([]*conn, 0, len(h.live))
	for c := range h.live {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.refuse(CodeGoingAway, "server is shutting down")
	}
	var err error
	select {
	case <-h.allDone:
	case <-ctx.Done():
		err = ctx.Err()
		h.mu.Lock()
		conns = conns[:0]
		for c := range h.live {
			conns = append(conns, c)
		}
		h.mu.Unlock()
		for _, c := range conns {
			c.Abort()
		}
	}
	select {
	case <-h.stop:
	default:
		close(h.stop)
	}
	<-h.swept
	return err
}

// forget removes a closed connection.
func (h *Handler) forget(c *conn) {
	h.count.Add(-1)
	h.m.Connections.Dec()
	h.mu.Lock()
	delete(h.live, c)
	if h.draining && len(h.live) == 0 {
		select {
		case <-h.allDone:
		default:
			close(h.allDone)
		}
	}
	h.mu.Unlock()
}

// gws.Event: the Handler is the event handler of every connection and dispatches to the conn in the session slot.

// OnOpen is unused: connections are set up in ServeHTTP before the read loop starts.
func (h *Handler) OnOpen(*gws.Conn) {}

// OnClose ends a connection.
func (h *Handler) OnClose(ws *gws.Conn, err error) { connOf(ws).closed(err) }

// OnPing answers a WebSocket ping unless our close frame is already out.
func (h *Handler) OnPing(ws *gws.Conn, payload []byte) {
	if c := connOf(ws); !c.closing.Load() {
		_ = ws.WritePong(payload)
	}
}

// OnPong ignores pongs: the heartbeat is application-level (browsers cannot send pings).
func (h *Handler) OnPong(*gws.Conn, []byte) {}

// OnMessage handles one client frame. A panic while handling it closes this connection with 1011 and leaves every
// other connection alone (gws.Recovery, passed as the upgrader's Recovery, is the outer net).
func (h *Handler) OnMessage(ws *gws.Conn, msg *gws.Message) {
	connOf(ws).handle(msg.Opcode, msg.Bytes())
	_ = msg.Close()
}

// handle handles one client frame on the read loop (gws's or the connection's own, readloop.go).
func (c *conn) handle(op gws.Opcode, data []byte) {
	defer func() {
		if e := recover(); e != nil {
			c.h.log.Error("panic while handling a client frame", "remote", c.ws.RemoteAddr().String(), "panic", e,
				"stack", string(debug.Stack()))
			c.refuse(CodeInternalError, "internal error")
		}
	}()
	c.message(op, data)
}

func connOf(ws *gws.Conn) *conn { return ws.Session().(*slot).c }

// slot is a connection's gws session storage: one pointer instead of gws's default map.
type slot struct{ c *conn }

func (s *slot) Len() int { return 1 }
func (s *slot) Load(string) (any, bool) {
	return s.c, s.c != nil
}
func (s *slot) Delete(string) {}
func (s *slot) Store(_ string, v any) {
	if c, ok := v.(*conn); ok {
		s.c = c
	}
}
func (s *slot) Range(f func(string, any) bool) { f("conn", s.c) }

// sealConn is the socket under a gws connection. Once a close frame is out, whoever wrote it, it is sealed: every
// later write is refused. So the close frame gws writes back when the peer answers ours never reaches the peer as a
// second close frame; and when gws closes first (a protocol error, or the peer's close answered before our own close
// was written), neither our close frame nor a data frame follows its close frame in the window before gws closes the
// socket. Write is gws's path, one whole frame per call (or the upgrade's HTTP response), so a Write that starts with
// a close frame's first byte is a close frame; the session's own writes, which may resume mid-frame, use writeFrames.
type sealConn struct {
	net.Conn
	raw    syscall.RawConn // nil unless a plain TCP connection: see tryWrite
	mu     sync.Mutex
	sealed bool
	try    tryWriter // guarded by mu: see tryWrite
	// reset is set when a write found that the peer reset the connection (see conn.Abort).
	reset atomic.Bool
	// gwsClosed is set (under mu) when gws itself wrote the close frame for a protocol error: Close then drains.
	gwsClosed    bool
	drainBytes   int64         // static
	drainTimeout time.Duration // static
}

// drainCodes are the close codes gws sends for a protocol error while the client may still be sending: the rest of
// an oversized frame (1009), or whatever followed a malformed one.
func drainCode(frame []byte) bool {
	if len(frame) < 4 {
		return false
	}
	switch binary.BigEndian.Uint16(frame[2:4]) {
	case uint16(CodeProtocolError), uint16(CodeUnsupportedData), uint16(CodeInvalidPayload), uint16(CodeMessageTooBig):
		return true
	}
	return false
}

// Close closes the socket. After a close frame gws wrote for a protocol error, it first half-closes and reads and
// discards what the client is still sending (at most drainBytes, for at most drainTimeout): closing a socket with
// unread data makes the kernel send a reset, and the client's kernel then drops our close frame unread, so the
// client would see the connection lost (1006) instead of the code (1009). The drain runs on the connection's read
// loop goroutine, which gws closes from; a client that stops sending (or answers our close, as it should) ends it.
func (s *sealConn) Close() error {
	s.mu.Lock()
	drain := s.gwsClosed
	s.gwsClosed = false
	s.mu.Unlock()
	if drain {
		if tc, ok := s.Conn.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		_ = s.Conn.SetReadDeadline(time.Now().Add(s.drainTimeout))
		_, _ = io.CopyN(io.Discard, s.Conn, s.drainBytes)
	}
	return s.Conn.Close()
}

// noteWriteErr records a write error that means the peer reset the connection.
func (s *sealConn) noteWriteErr(err error) {
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		s.reset.Store(true)
	}
}

// closeFrameB0 is the first byte of every close frame a server writes: FIN, no RSV bits, opcode 8. (The upgrade's
// HTTP response, also written through the sealConn, starts with 'H', 0x48.)
const closeFrameB0 = 0x80 | byte(gws.OpcodeCloseConnection)

// Write writes one frame of gws's unless sealed; a close frame seals. Each call's bytes are written whole, in order
// with other calls.
func (s *sealConn) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sealed {
		return 0, net.ErrClosed
	}
	if len(b) > 0 && b[0] == closeFrameB0 {
		s.sealed = true
		s.gwsClosed = drainCode(b)
	}
	n, err := s.Conn.Write(b)
	s.noteWriteErr(err)
	return n, err
}

// writeFrames writes bytes the session framed itself (data frames, possibly the rest of a partly written run) unless
// sealed, whole and in order with other calls.
func (s *sealConn) writeFrames(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sealed {
		return 0, net.ErrClosed
	}
	n, err := s.Conn.Write(b)
	s.noteWriteErr(err)
	return n, err
}

// writeFinal writes b (the close frame) as the last bytes of the stream and half-closes the socket, so that the peer
// reads the end of the stream after it while we keep reading its answer.
func (s *sealConn) writeFinal(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sealed {
		return net.ErrClosed
	}
	s.sealed = true
	_, err := s.Conn.Write(b)
	s.noteWriteErr(err)
	if tc, ok := s.Conn.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	return err
}

// gwsLogger routes gws's error log (recovered panics) to slog.
type gwsLogger struct{ l *slog.Logger }

func (g gwsLogger) Error(v ...any) { g.l.Error("websocket", "detail", v) }

// closeCodeOf extracts the close code from the error a gws read loop ended with.
func closeCodeOf(err error) uint16 {
	var ce *gws.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	var sc interface{ Uint16() uint16 }
	if errors.As(err, &sc) {
		return sc.Uint16()
	}
	if errors.Is(err, gws.ErrTextEncoding) {
		return CodeInvalidPayload
	}
	return 0 // the peer vanished, or a read timed out
}
