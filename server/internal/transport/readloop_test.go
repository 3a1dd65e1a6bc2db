package transport

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"testing"

	"github.com/lxzan/gws"
)

// inputFrame is a masked client frame of the size of a player's Input (about 20 bytes of protobuf).
func inputFrame() []byte {
	p := bytes.Repeat([]byte{0x2a}, 20)
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	f := append([]byte{0x82, 0x80 | byte(len(p))}, key[:]...)
	for i, b := range p {
		f = append(f, b^key[i&3])
	}
	return f
}

// countSink counts messages and signals each one on got (when not nil).
type countSink struct {
	n     int
	bytes int
	got   chan struct{}
}

func (s *countSink) dataInline() bool { return true }
func (s *countSink) onMessage(_ byte, p []byte) {
	s.n++
	s.bytes += len(p)
	if s.got != nil {
		s.got <- struct{}{}
	}
}
func (s *countSink) onPing([]byte) {}

// BenchmarkFrameReader: parsing and handing out one Input frame per read costs no allocation.
func BenchmarkFrameReader(b *testing.B) {
	frame := inputFrame()
	fr := newFrameReader(2048, 4096)
	s := &countSink{}
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		fr.room()
		fr.w += copy(fr.buf[fr.w:], frame) // one read(2) of one frame, whose key masks it again each time
		if _, err := dispatch(fr, s, true); err != nil {
			b.Fatal(err)
		}
	}
	if s.n != b.N {
		b.Fatalf("%d messages for %d frames", s.n, b.N)
	}
}

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(tb testing.TB) (client, server *net.TCPConn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	s := <-accepted
	if s == nil {
		tb.Fatal("accept failed")
	}
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// readSyscalls is the number of read system calls this process made (/proc/self/io syscr).
func readSyscalls(tb testing.TB) int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		tb.Skip("no /proc/self/io:", err)
	}
	for _, l := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(l, []byte("syscr: ")); ok {
			n, _ := strconv.ParseInt(string(v), 10, 64)
			return n
		}
	}
	tb.Skip("no syscr in /proc/self/io")
	return 0
}

// gwsSink signals gws's messages.
type gwsSink struct {
	gws.BuiltinEventHandler
	got chan struct{}
}

func (g *gwsSink) OnMessage(_ *gws.Conn, m *gws.Message) {
	_ = m.Close()
	g.got <- struct{}{}
}

// BenchmarkReadLoopPerInput sends one Input frame at a time over loopback TCP, as a player does once per tick, and
// waits until the server side handled it; it reports the read system calls per frame of the whole process
// (/proc/self/io: the client only writes) for the connection's own read loop ("own": one read(2) per frame, no
// allocation) and for gws's ReadLoop ("gws": a successful read and one returning EAGAIN per frame).
func BenchmarkReadLoopPerInput(b *testing.B) {
	frame := inputFrame()
	for _, name := range []string{"own", "gws"} {
		b.Run(name, func(b *testing.B) {
			cli, srv := tcpPair(b)
			defer cli.Close()
			got := make(chan struct{}, 1)
			done := make(chan error, 1)
			var rr *rawReader
			switch name {
			case "own":
				raw, err := srv.SyscallConn()
				if err != nil {
					b.Fatal(err)
				}
				rr = newRawReader(newFrameReader(2048, 4096), &countSink{got: got})
				go func() { done <- rr.run(raw) }()
			case "gws":
				up := gws.NewUpgrader(&gwsSink{got: got}, &gws.ServerOption{ReadBufferSize: 2048,
					ReadMaxPayloadSize: 4096, CheckUtf8Enabled: true})
				req, _ := http.NewRequest(http.MethodGet, "http://tickwire.test/ws", nil)
				req.Header.Set("Upgrade", "websocket")
				req.Header.Set("Connection", "Upgrade")
				req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
				req.Header.Set("Sec-WebSocket-Version", "13")
				ws, err := up.UpgradeFromConn(srv, bufio.NewReaderSize(srv, 2048), req)
				if err != nil {
					b.Fatal(err)
				}
				go func() { ws.ReadLoop(); done <- nil }()
			}
			b.ReportAllocs()
			r0 := readSyscalls(b)
			for b.Loop() {
				if _, err := cli.Write(frame); err != nil {
					b.Fatal(err)
				}
				<-got
			}
			r1 := readSyscalls(b)
			b.ReportMetric(float64(r1-r0)/float64(b.N), "reads/frame")
			if rr != nil {
				b.ReportMetric(float64(rr.eagains)/float64(b.N), "eagain/frame")
			}
			_ = cli.Close()
			<-done
			_ = srv.Close()
		})
	}
}

// TestRawReaderOverTCP: the RawConn read loop hands out every frame of a stream written in pieces of every size
// (frames larger than the buffer included) in order, and reports the end of the stream.
func TestRawReaderOverTCP(t *testing.T) {
	cli, srv := tcpPair(t)
	defer srv.Close()
	var stream, want []byte
	for i := range 300 {
		p := bytes.Repeat([]byte{byte(i)}, i*7%3000)
		want = append(want, p...)
		stream = clientFrame(stream, 0x82, p)
	}
	go func() {
		for i := 0; len(stream) > 0; i++ {
			n := min(len(stream), 1+i*37%5000)
			if _, err := cli.Write(stream[:n]); err != nil {
				return
			}
			stream = stream[n:]
		}
		_ = cli.Close()
	}()
	raw, err := srv.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	s := &recAll{all: &all}
	rr := newRawReader(newFrameReader(256, 4096), s)
	err = rr.run(raw)
	if err == nil || err.Error() != "EOF" {
		t.Fatalf("ended with %v, want EOF", err)
	}
	if s.n != 300 || !bytes.Equal(all, want) {
		t.Fatalf("%d messages, %d bytes; want 300, %d", s.n, len(all), len(want))
	}
	t.Logf("%d read(2) for 300 frames (%d EAGAIN)", rr.reads, rr.eagains)
}

// recAll appends every message.
type recAll struct {
	n   int
	all *[]byte
}

func (r *recAll) dataInline() bool { return true }
func (r *recAll) onMessage(op byte, p []byte) {
	if op != opBinary {
		panic(fmt.Sprint("opcode ", op))
	}
	r.n++
	*r.all = append(*r.all, p...)
}
func (r *recAll) onPing([]byte) {}
