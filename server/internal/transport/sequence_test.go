package transport

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game/arena"
	pb "github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/server/internal/directory"
	"github.com/tickwire/tickwire/server/internal/limits"
	"github.com/tickwire/tickwire/server/internal/metrics"
	"github.com/tickwire/tickwire/server/internal/room"
	"github.com/tickwire/tickwire/server/internal/session"
)

// panicLog fails the fuzz run when the connection's recover logs a panic.
type panicLog struct {
	mu     sync.Mutex
	panics []string
}

func (p *panicLog) Enabled(context.Context, slog.Level) bool { return true }
func (p *panicLog) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "panic") {
		p.mu.Lock()
		p.panics = append(p.panics, r.Message)
		p.mu.Unlock()
	}
	return nil
}
func (p *panicLog) WithAttrs([]slog.Attr) slog.Handler { return p }
func (p *panicLog) WithGroup(string) slog.Handler      { return p }

// seqServer is a Handler over a real room directory with the arena, for driving connections over in-memory pipes.
type seqServer struct {
	h   *Handler
	lim *limits.Limiter
	log *panicLog
}

func newSeqServer(tb testing.TB) *seqServer {
	pl := &panicLog{}
	logger := slog.New(pl)
	m := metrics.New()
	dir := directory.New(directory.Config{Logger: logger})
	if err := dir.Register(directory.Mode{Name: arena.Mode, Factory: arena.Factory,
		Room: room.Config{MaxPlayers: 64, Grace: 10 * time.Millisecond, EmptyTimeout: time.Minute}}); err != nil {
		tb.Fatal(err)
	}
	lim := limits.New(limits.Config{SourceConnections: 4, Handshakes: 16})
	h := New(Config{
		MaxConnections: 100, MaxFrameBytes: 4096, ReadBufferBytes: 2048,
		HandshakeTimeout: 5 * time.Second, HeartbeatTimeout: 5 * time.Second, CloseTimeout: 200 * time.Millisecond,
		JoinTimeout: 2 * time.Second, InputRate: 90, InputBurst: 60, OpenJoin: true,
		DrainBytes: 1 << 20, DrainTimeout: 200 * time.Millisecond,
		Session: &session.Config{OutboundQueue: 64, MaxSkipped: 60, WriteTimeout: time.Second,
			CloseTimeout: 200 * time.Millisecond, Metrics: m},
		Tokens: session.NewTokens(1024, time.Minute, time.Minute), Directory: dir, Metrics: m, Logger: logger,
		Limits: lim,
	})
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.Shutdown(ctx)
		_ = dir.Close(ctx, "test over")
	})
	return &seqServer{h: h, lim: lim, log: pl}
}

// hijackWriter is the http.ResponseWriter of an upgrade request that arrived on conn.
type hijackWriter struct {
	http.ResponseWriter
	conn net.Conn
	br   *bufio.Reader
}

func (w *hijackWriter) Header() http.Header { return http.Header{} }
func (w *hijackWriter) WriteHeader(int)     {}
func (w *hijackWriter) Write(b []byte) (int, error) {
	return len(b), nil
}
func (w *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.conn, bufio.NewReadWriter(w.br, bufio.NewWriter(w.conn)), nil
}

// pipeAddr gives a pipe end a TCP-looking peer address, so that the per-source limits see a source.
type pipeAddr struct{ net.Conn }

func (pipeAddr) RemoteAddr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 9), Port: 1} }

// clientFrame frames payload as a masked client frame (mask key zero: the payload is sent as is).
func clientFrame(dst []byte, b0 byte, payload []byte) []byte {
	switch n := len(payload); {
	case n < 126:
		dst = append(dst, b0, 0x80|byte(n))
	case n < 65536:
		dst = binary.BigEndian.AppendUint16(append(dst, b0, 0x80|126), uint16(n))
	default:
		dst = binary.BigEndian.AppendUint64(append(dst, b0, 0x80|127), uint64(n))
	}
	return append(append(dst, 0, 0, 0, 0), payload...)
}

// encodeSeq writes frames in the fuzz input's format: per frame, a kind byte (0 binary, 1 text, 2 ping, 3 binary
// without FIN, 4 continuation) and a 2-byte little-endian length, then the payload.
func encodeSeq(kinds []byte, payloads [][]byte) []byte {
	var b []byte
	for i, p := range payloads {
		b = append(b, kinds[i])
		b = binary.LittleEndian.AppendUint16(b, uint16(len(p)))
		b = append(b, p...)
	}
	return b
}

// wire turns the fuzz input into WebSocket client frames.
func wire(data []byte) []byte {
	var out []byte
	for len(data) >= 3 {
		kind := data[0] % 5
		n := int(binary.LittleEndian.Uint16(data[1:3]))
		data = data[3:]
		n = min(n, len(data))
		p := data[:n]
		data = data[n:]
		b0 := [5]byte{0x82, 0x81, 0x89, 0x02, 0x80}[kind]
		if kind == 2 && len(p) > 125 {
			p = p[:125]
		}
		out = clientFrame(out, b0, p)
	}
	return out
}

// run drives one connection with the client bytes and returns what the server wrote after its 101 response. The
// client reads everything the server writes; at the server's close frame it closes its end (the server then sees the
// connection end at once instead of waiting for an answer). A connection the server keeps open is closed by the
// client linger after its last frame.
func (s *seqServer) run(t *testing.T, client []byte, linger time.Duration) []byte {
	srvEnd, cliEnd := net.Pipe()
	var out []byte
	read := make(chan struct{})
	go func() {
		defer close(read)
		buf := make([]byte, 4096)
		for {
			n, err := cliEnd.Read(buf)
			out = append(out, buf[:n]...)
			if err != nil || closeFrameLast(out) {
				_ = cliEnd.Close()
				return
			}
		}
	}()
	req, _ := http.NewRequest(http.MethodGet, "http://tickwire.test/ws", nil)
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.RemoteAddr = "127.0.0.9:1"
	sc := pipeAddr{srvEnd}
	s.h.ServeHTTP(&hijackWriter{conn: sc, br: bufio.NewReader(sc)}, req)
	_ = cliEnd.SetWriteDeadline(time.Now().Add(2 * time.Second))
	_, _ = cliEnd.Write(client)
	select {
	case <-read:
	case <-time.After(linger):
		_ = cliEnd.Close()
		<-read
	}
	for i := 0; s.h.Len() > 0; i++ { // the server notices the end at once: poll finely, bounded at 5 s
		if i == 25000 {
			t.Fatalf("%d connections still open after the client left", s.h.Len())
		}
		time.Sleep(200 * time.Microsecond)
	}
	if i := bytes.Index(out, []byte("\r\n\r\n")); i >= 0 && bytes.HasPrefix(out, []byte("HTTP/1.1 101")) {
		return out[i+4:]
	}
	return nil
}

// closeFrameLast reports whether b (the 101 response, then server frames) ends with a whole close frame.
func closeFrameLast(b []byte) bool {
	i := bytes.Index(b, []byte("\r\n\r\n"))
	if i < 0 {
		return false
	}
	b = b[i+4:]
	for len(b) >= 2 {
		op, n, h := b[0]&0x0f, int(b[1]&0x7f), 2
		switch n {
		case 126:
			if len(b) < 4 {
				return false
			}
			n, h = int(binary.BigEndian.Uint16(b[2:])), 4
		case 127:
			if len(b) < 10 {
				return false
			}
			n, h = int(binary.BigEndian.Uint64(b[2:])), 10
		}
		if len(b) < h+n {
			return false
		}
		b = b[h+n:]
		if op == 0x8 {
			return true
		}
	}
	return false
}

// checkServerFrames: the server's frames parse, and a close frame, if any, is the last.
func checkServerFrames(t *testing.T, b []byte) {
	for len(b) > 0 {
		if len(b) < 2 {
			t.Fatalf("truncated server frame header % x", b)
		}
		op, n, h := b[0]&0x0f, int(b[1]&0x7f), 2
		switch n {
		case 126:
			if len(b) < 4 {
				t.Fatalf("truncated server frame header % x", b)
			}
			n, h = int(binary.BigEndian.Uint16(b[2:])), 4
		case 127:
			if len(b) < 10 {
				t.Fatalf("truncated server frame header % x", b)
			}
			n, h = int(binary.BigEndian.Uint64(b[2:])), 10
		}
		if len(b) < h+n {
			t.Fatalf("truncated server frame: want %d bytes, have %d", h+n, len(b))
		}
		b = b[h+n:]
		if op == 0x8 && len(b) > 0 {
			t.Fatalf("%d bytes after the server's close frame", len(b))
		}
	}
}

// FuzzConnFrames sends a sequence of client frames (Hello, Join, inputs, pings, anything) through a real connection
// state machine, room and session, and checks that nothing panics, the server's output is well-framed with at most
// one close frame (the last), and every connection, handshake place and per-source hold is given back.
func FuzzConnFrames(f *testing.F) {
	var fr [][]byte
	for _, b := range realFrames(f) {
		fr = append(fr, b)
	}
	hello, join, input, ping, leave := fr[0], fr[2], fr[6], fr[8], fr[9]
	in2 := marshal(f, &pb.ClientFrame{Msg: &pb.ClientFrame_Input{Input: &pb.Input{Seq: 2, Tick: 3, Values: []int32{1, 1, 5, 0}}}})
	f.Add(encodeSeq([]byte{0, 0, 0, 0, 0, 0}, [][]byte{hello, join, input, in2, ping, leave}))
	f.Add(encodeSeq([]byte{0, 0, 0}, [][]byte{hello, join, make([]byte, 5000)}))
	f.Add(encodeSeq([]byte{0, 1, 2}, [][]byte{hello, []byte("text"), []byte("p")}))
	f.Add(encodeSeq([]byte{3, 4, 0}, [][]byte{hello[:2], hello[2:], join}))
	f.Add(encodeSeq([]byte{0, 0}, [][]byte{join, hello}))
	f.Add(encodeSeq([]byte{0, 0, 0, 0}, [][]byte{hello, join, messageFrame(f, "chat", []byte("hi"), 1), input}))
	s := newSeqServer(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		out := s.run(t, wire(data), 2*time.Millisecond)
		checkServerFrames(t, out)
		if n := s.lim.Handshaking(); n != 0 {
			t.Fatalf("%d handshake places still taken", n)
		}
		if _, holding := s.lim.Len(); holding != 0 {
			t.Fatalf("%d sources still hold a connection", holding)
		}
		s.log.mu.Lock()
		defer s.log.mu.Unlock()
		if len(s.log.panics) > 0 {
			t.Fatalf("panics: %v", s.log.panics)
		}
	})
}

// The well-behaved sequence gets a Welcome and snapshots, then 4511 (left) after Leave; the oversized frame 1009.
func TestConnFramesEndings(t *testing.T) {
	fr := realFrames(t)
	hello, join, input, leave := fr[0], fr[2], fr[6], fr[9]
	s := newSeqServer(t)
	for _, c := range []struct {
		name  string
		kinds []byte
		seq   [][]byte
		code  uint16
	}{
		{"leave", []byte{0, 0, 0, 0}, [][]byte{hello, join, input, leave}, CodeLeft},
		{"oversized", []byte{0, 0, 0}, [][]byte{hello, join, make([]byte, 5000)}, CodeMessageTooBig},
		{"text", []byte{0, 1}, [][]byte{hello, []byte("x")}, CodeUnsupportedData},
	} {
		out := s.run(t, wire(encodeSeq(c.kinds, c.seq)), 5*time.Second)
		checkServerFrames(t, out)
		if len(out) == 0 {
			t.Fatalf("%s: no output", c.name)
		}
		// The close frame is last: find its code.
		var code uint16
		for b := out; len(b) >= 2; {
			op, n, h := b[0]&0x0f, int(b[1]&0x7f), 2
			if n == 126 {
				n, h = int(binary.BigEndian.Uint16(b[2:])), 4
			}
			if op == 0x8 && n >= 2 {
				code = binary.BigEndian.Uint16(b[h:])
			}
			b = b[h+n:]
		}
		if code != c.code {
			t.Errorf("%s: close code %d, want %d (%d bytes out)", c.name, code, c.code, len(out))
		}
	}
}
