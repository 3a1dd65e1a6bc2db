package transport

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/lxzan/gws"
)

// parseEvents is what a read loop made of a client's byte stream: the messages and control frames it handled, in
// order, and the payload of the close frame it wrote at the end.
type parseEvents struct {
	events []string
	close  []byte
}

func (p *parseEvents) String() string {
	return fmt.Sprintf("events %q, close % x", p.events, p.close)
}

// recSink records what dispatch hands out.
type recSink struct {
	events []string
}

func (r *recSink) dataInline() bool { return true }
func (r *recSink) onMessage(op byte, p []byte) {
	r.events = append(r.events, fmt.Sprintf("msg %d %x", op, p))
}
func (r *recSink) onPing(p []byte) { r.events = append(r.events, fmt.Sprintf("ping %x", p)) }

// ourEvents runs the parser over stream, delivered in reads of the sizes chunk gives, and returns what it handled and
// the close frame gws would have written at the end (for an incomplete stream: the end of the stream, 1000 "EOF").
func ourEvents(stream []byte, bufSize, maxPayload int, chunk func() int) *parseEvents {
	fr := newFrameReader(bufSize, maxPayload)
	s := &recSink{}
	var err error
	for err == nil {
		if _, err = dispatch(fr, s, false); err != nil {
			break
		}
		if len(stream) == 0 {
			err = fr.eof()
			break
		}
		fr.room()
		n := copy(fr.buf[fr.w:], stream[:min(len(stream), chunk())])
		fr.w += n
		stream = stream[n:]
	}
	out := &parseEvents{events: s.events}
	var we *wsError
	var pc *peerClose
	switch {
	case errors.As(err, &pc):
		out.close = pc.answer
		out.events = append(out.events, fmt.Sprintf("close %d %x", pc.ce.Code, pc.ce.Reason))
	case errors.As(err, &we):
		out.close = append(codeBytes(we.code), we.text...)
	default:
		out.close = append(codeBytes(1000), err.Error()...)
	}
	if len(out.close) > 125 {
		out.close = out.close[:125]
	}
	return out
}

// gwsRec records what gws's read loop hands out.
type gwsRec struct {
	gws.BuiltinEventHandler
	events []string
}

func (g *gwsRec) OnMessage(_ *gws.Conn, m *gws.Message) {
	g.events = append(g.events, fmt.Sprintf("msg %d %x", m.Opcode, m.Bytes()))
	_ = m.Close()
}
func (g *gwsRec) OnPing(_ *gws.Conn, p []byte) {
	g.events = append(g.events, fmt.Sprintf("ping %x", p))
}
func (g *gwsRec) OnClose(_ *gws.Conn, err error) {
	var ce *gws.CloseError
	if errors.As(err, &ce) {
		g.events = append(g.events, fmt.Sprintf("close %d %x", ce.Code, ce.Reason))
	}
}

// memConn is a net.Conn over a byte stream that ends, recording what is written to it.
type memConn struct {
	net.Conn
	in  *bytes.Reader
	out bytes.Buffer
}

func (m *memConn) Read(b []byte) (int, error)       { return m.in.Read(b) }
func (m *memConn) Write(b []byte) (int, error)      { return m.out.Write(b) }
func (m *memConn) Close() error                     { return nil }
func (m *memConn) SetDeadline(time.Time) error      { return nil }
func (m *memConn) SetReadDeadline(time.Time) error  { return nil }
func (m *memConn) SetWriteDeadline(time.Time) error { return nil }
func (m *memConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (m *memConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }

// gwsEvents runs gws's server read loop over stream and returns what it handled and the close frame it wrote; ok is
// false when gws panicked.
func gwsEvents(t testing.TB, stream []byte, bufSize, maxPayload int) (ev *parseEvents, ok bool) {
	mc := &memConn{in: bytes.NewReader(stream)}
	rec := &gwsRec{}
	up := gws.NewUpgrader(rec, &gws.ServerOption{ReadMaxPayloadSize: maxPayload, ReadBufferSize: bufSize,
		CheckUtf8Enabled: true})
	req, _ := http.NewRequest(http.MethodGet, "http://tickwire.test/ws", nil)
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	req.Header.Set("Sec-WebSocket-Version", "13")
	ws, err := up.UpgradeFromConn(mc, bufio.NewReaderSize(mc, bufSize), req)
	if err != nil {
		t.Fatal(err)
	}
	ok = func() (ok bool) {
		defer func() { ok = recover() == nil }()
		ws.ReadLoop()
		return
	}()
	if !ok {
		return nil, false
	}
	ev = &parseEvents{events: rec.events}
	out := mc.out.Bytes()
	if i := bytes.Index(out, []byte("\r\n\r\n")); i >= 0 {
		out = out[i+4:]
	}
	for len(out) >= 2 {
		op, n, h := out[0]&0x0f, int(out[1]&0x7f), 2
		if len(out) < h+n {
			break
		}
		if op == opClose {
			ev.close = out[h : h+n]
		}
		out = out[h+n:]
	}
	return ev, true
}

// frameStream turns fuzz input into a client byte stream: mostly well-formed masked frames of every kind (the first
// byte of each is taken as is, so RSV bits, opcodes and FIN vary), with lengths in every encoding, and sometimes raw
// bytes.
func frameStream(data []byte) []byte {
	var out []byte
	for len(data) >= 4 {
		b0, lenSel, key := data[0], data[1], data[2]
		n := int(data[3])
		data = data[4:]
		if lenSel&0x80 != 0 { // raw bytes
			n = min(n&0x1f, len(data))
			out = append(out, data[:n]...)
			data = data[n:]
			continue
		}
		n = min(n, len(data))
		p := data[:n]
		data = data[n:]
		masked := lenSel&0x40 == 0
		var b1 byte
		if masked {
			b1 = 0x80
		}
		switch lenSel & 0x3 {
		case 0, 1:
			if n < 126 {
				out = append(out, b0, b1|byte(n))
			} else {
				out = binary.BigEndian.AppendUint16(append(out, b0, b1|126), uint16(n))
			}
		case 2:
			out = binary.BigEndian.AppendUint16(append(out, b0, b1|126), uint16(n))
		case 3:
			out = binary.BigEndian.AppendUint64(append(out, b0, b1|127), uint64(n))
		}
		k := [4]byte{key, key * 3, key ^ 0x5a, 7}
		if masked {
			out = append(out, k[:]...)
		}
		start := len(out)
		out = append(out, p...)
		if masked {
			for i := range p {
				out[start+i] ^= k[i&3]
			}
		}
	}
	return out
}

// FuzzFrameReader: the frame parser of the connection's own read loop handles any client byte stream, cut into reads
// at any points, exactly as gws's read loop does: the same messages, pings and close, in the same order, and the same
// close frame at the end (code and text), for well-formed frames as well as for every kind of protocol error.
func FuzzFrameReader(f *testing.F) {
	f.Add([]byte{0x82, 0, 1, 3, 1, 2, 3}, uint8(7), false)                                     // one binary frame
	f.Add([]byte{0x02, 0, 9, 2, 'a', 'b', 0x80, 0, 9, 1, 'c'}, uint8(1), false)                // fragmented
	f.Add([]byte{0x02, 0, 9, 2, 'a', 'b', 0x89, 0, 1, 1, 'p', 0x80, 0, 9, 0}, uint8(2), false) // ping inside
	f.Add([]byte{0x81, 0, 1, 2, 0xff, 0xfe}, uint8(3), false)                                  // bad UTF-8 text
	f.Add([]byte{0x88, 0, 1, 4, 0x0f, 0xa0, 'o', 'k'}, uint8(3), false)                        // close 4000
	f.Add([]byte{0x88, 0, 1, 1, 0x03}, uint8(3), false)                                        // close, 1 byte
	f.Add([]byte{0x88, 0, 1, 3, 0x03, 0xe8, 0xc3}, uint8(3), false)                            // bad UTF-8 reason
	f.Add([]byte{0x82, 0x40, 1, 1, 1}, uint8(3), false)                                        // unmasked
	f.Add([]byte{0xc2, 0, 1, 1, 1}, uint8(3), false)                                           // RSV1
	f.Add([]byte{0x83, 0, 1, 1, 1}, uint8(3), false)                                           // opcode 3
	f.Add([]byte{0x09, 0, 1, 1, 1}, uint8(3), false)                                           // fragmented ping
	f.Add([]byte{0x80, 0, 1, 1, 1}, uint8(3), false)                                           // stray continuation
	f.Add([]byte{0x02, 0, 1, 1, 1, 0x82, 0, 1, 1, 1}, uint8(3), false)                         // data inside fragments
	f.Add(append([]byte{0x82, 3, 1, 200}, make([]byte, 200)...), uint8(50), false)             // over the limit
	f.Add(append([]byte{0x02, 1, 1, 150}, make([]byte, 300)...), uint8(9), true)               // fragments over it
	f.Add([]byte{0x82, 0xff, 0, 0}, uint8(5), true)                                            // raw bytes
	f.Fuzz(func(t *testing.T, data []byte, chunkSeed uint8, small bool) {
		stream := frameStream(data)
		bufSize, maxPayload := 64, 160
		if small {
			bufSize = 16
		}
		want, ok := gwsEvents(t, stream, bufSize, maxPayload)
		if !ok {
			// gws panics on a 64-bit length with its top bit set (a negative int); ours closes with 1009.
			if got := ourEvents(stream, bufSize, maxPayload, func() int { return 1 << 20 }); !bytes.HasPrefix(got.close, []byte{0x03, 0xf1}) {
				t.Fatalf("stream % x: gws panicked, ours %v", stream, got)
			}
			return
		}
		h := fnv.New32a()
		_, _ = h.Write([]byte{chunkSeed})
		state := h.Sum32()
		chunk := func() int { // read sizes 1..40, from the seed
			state = state*1664525 + 1013904223
			return int(state>>24)%40 + 1
		}
		got := ourEvents(stream, bufSize, maxPayload, chunk)
		if fmt.Sprint(got.events) != fmt.Sprint(want.events) || !bytes.Equal(got.close, want.close) {
			t.Fatalf("stream % x\nours %v\ngws  %v", stream, got, want)
		}
		whole := ourEvents(stream, bufSize, maxPayload, func() int { return 1 << 20 })
		if fmt.Sprint(whole.events) != fmt.Sprint(got.events) || !bytes.Equal(whole.close, got.close) {
			t.Fatalf("stream % x read whole\n%v\nin chunks\n%v", stream, whole, got)
		}
	})
}
