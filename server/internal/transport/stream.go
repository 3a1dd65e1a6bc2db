package transport

import (
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/lxzan/gws"
)

// ErrStreamClosed is what Stream.WriteText returns once the connection is closed (it is net.ErrClosed).
var ErrStreamClosed = gws.ErrConnClosed

// StreamOptions configures a StreamUpgrader. Zero values get the defaults in brackets.
type StreamOptions struct {
	// ReadMaxPayload caps a frame from the peer [4 KiB]: a stream's peer has nothing to say beyond pings and the close.
	ReadMaxPayload int
	// ReadBufferSize is the read buffer of each connection [1 KiB].
	ReadBufferSize int
	// HandshakeTimeout bounds the upgrade [5s].
	HandshakeTimeout time.Duration
	// WriteTimeout bounds each WriteText [10s].
	WriteTimeout time.Duration
	// CloseTimeout bounds writing the close frame in Close [1s].
	CloseTimeout time.Duration
}

// StreamUpgrader turns HTTP requests into streams: WebSocket connections the server writes messages to and whose
// peer only answers pings and closes (Upgrade), or also sends small messages of its own (Duplex). It checks neither the Origin nor credentials: the caller
// authenticates the request before Upgrade. Incoming frames must be valid UTF-8 when text; a panic in the read path is
// recovered. Safe for concurrent use.
type StreamUpgrader struct {
	opts     StreamOptions
	upgrader *gws.Upgrader
}

// NewStreamUpgrader makes a StreamUpgrader.
func NewStreamUpgrader(opts StreamOptions) *StreamUpgrader {
	if opts.ReadMaxPayload <= 0 {
		opts.ReadMaxPayload = 4 << 10
	}
	if opts.ReadBufferSize <= 0 {
		opts.ReadBufferSize = 1 << 10
	}
	if opts.HandshakeTimeout <= 0 {
		opts.HandshakeTimeout = 5 * time.Second
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 10 * time.Second
	}
	if opts.CloseTimeout <= 0 {
		opts.CloseTimeout = time.Second
	}
	return &StreamUpgrader{
		opts: opts,
		upgrader: gws.NewUpgrader(streamHandler{}, &gws.ServerOption{
			ReadMaxPayloadSize: opts.ReadMaxPayload,
			ReadBufferSize:     opts.ReadBufferSize,
			CheckUtf8Enabled:   true,
			Recovery:           gws.Recovery,
			HandshakeTimeout:   opts.HandshakeTimeout,
		}),
	}
}

// Stream is one upgraded connection. WriteText, WriteBinary and Close may be called from any goroutine; the stream's
// read loop (started by Upgrade) answers pings and discards messages, or hands them to the stream's OnMessage (Duplex).
type Stream struct {
	conn         *gws.Conn
	onClose      func(code uint16)
	onMessage    func(text bool, payload []byte)
	writeTimeout time.Duration
	closeTimeout time.Duration
	ended        atomic.Bool // onClose was called
}

// StreamEvents is what a two-way stream's owner is told (Duplex). Both run on the stream's read loop goroutine.
type StreamEvents struct {
	// OnMessage receives each text or binary message of the peer; payload is valid only during the call. A frame
	// larger than ReadMaxPayload closes the stream with 1009 instead.
	OnMessage func(text bool, payload []byte)
	// OnClose is called once when the connection ends for any reason; code is the peer's close code, 0 if none.
	OnClose func(code uint16)
}

// Duplex is Upgrade for a stream whose peer also sends messages: bind is called once with the new stream, before its
// read loop starts, and returns where the stream's messages and its end go.
func (u *StreamUpgrader) Duplex(w http.ResponseWriter, r *http.Request, bind func(*Stream) StreamEvents) (*Stream, error) {
	conn, err := u.upgrader.Upgrade(w, r)
	if err != nil {
		return nil, err
	}
	st := &Stream{conn: conn, writeTimeout: u.opts.WriteTimeout, closeTimeout: u.opts.CloseTimeout}
	ev := bind(st)
	st.onClose, st.onMessage = ev.OnClose, ev.OnMessage
	conn.Session().Store(streamKey, st)
	go st.readLoop()
	return st, nil
}

// Upgrade upgrades the request and starts the stream's read loop. On error the response has been written. onClose
// (optional) is called once, on the read loop goroutine, when the connection ends for any reason (possibly before
// Upgrade returns); code is the close code the peer sent, 0 if it sent none.
func (u *StreamUpgrader) Upgrade(w http.ResponseWriter, r *http.Request, onClose func(code uint16)) (*Stream, error) {
	conn, err := u.upgrader.Upgrade(w, r)
	if err != nil {
		return nil, err
	}
	st := &Stream{conn: conn, onClose: onClose, writeTimeout: u.opts.WriteTimeout, closeTimeout: u.opts.CloseTimeout}
	conn.Session().Store(streamKey, st)
	go st.readLoop()
	return st, nil
}

// readLoop runs gws's read loop. gws v1.8.9 panics on a frame whose 64-bit length has its top bit set (it takes it for
// a negative size): such a frame closes this stream with 1009 instead of ending the process.
func (st *Stream) readLoop() {
	defer func() {
		if recover() != nil {
			_ = st.conn.WriteClose(1009, nil)
			if !st.ended.Swap(true) && st.onClose != nil {
				st.onClose(0)
			}
		}
	}()
	st.conn.ReadLoop()
}

// WriteText writes one text message within the write timeout. ErrStreamClosed (errors.Is) means the connection was
// already closed; any other error is a failed write, after which the caller should Close the stream.
func (st *Stream) WriteText(b []byte) error {
	_ = st.conn.SetWriteDeadline(time.Now().Add(st.writeTimeout))
	return st.conn.WriteMessage(gws.OpcodeText, b)
}

// WriteBinary is WriteText for a binary message.
func (st *Stream) WriteBinary(b []byte) error {
	_ = st.conn.SetWriteDeadline(time.Now().Add(st.writeTimeout))
	return st.conn.WriteMessage(gws.OpcodeBinary, b)
}

// Close sends a close frame with code and reason (within the close timeout) and closes the connection. Closing an
// already closed stream does nothing.
func (st *Stream) Close(code uint16, reason string) {
	_ = st.conn.SetWriteDeadline(time.Now().Add(st.closeTimeout))
	_ = st.conn.WriteClose(code, []byte(reason))
}

// RemoteAddr is the peer's address.
func (st *Stream) RemoteAddr() net.Addr { return st.conn.RemoteAddr() }

const streamKey = "stream"

// streamHandler is the read side of every stream: pings, the close, and the messages of a Duplex stream.
type streamHandler struct {
	gws.BuiltinEventHandler
}

func (streamHandler) OnPing(c *gws.Conn, payload []byte) { _ = c.WritePong(payload) }

func (streamHandler) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	v, _ := c.Session().Load(streamKey)
	if st, _ := v.(*Stream); st != nil && st.onMessage != nil {
		st.onMessage(m.Opcode == gws.OpcodeText, m.Bytes())
	}
}

func (streamHandler) OnClose(c *gws.Conn, err error) {
	v, _ := c.Session().Load(streamKey)
	st, _ := v.(*Stream)
	if st == nil || st.onClose == nil || st.ended.Swap(true) {
		return
	}
	var code uint16
	if ce, ok := err.(*gws.CloseError); ok {
		code = ce.Code
	}
	st.onClose(code)
}
