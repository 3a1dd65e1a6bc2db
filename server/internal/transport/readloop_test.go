package transport

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"syscall"
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

// cpuTime is the CPU time (user and system) this process used so far, in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
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
// (/proc/self/io: the client only writes) and the CPU time per frame of the whole process (client included) for the connection's own read loop ("own": one read(2) per frame, no
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
			r0, c0 := readSyscalls(b), cpuTime()
			for b.Loop() {
				if _, err := cli.Write(frame); err != nil {
					b.Fatal(err)
				}
				<-got
			}
			r1, c1 := readSyscalls(b), cpuTime()
			b.ReportMetric(float64(r1-r0)/float64(b.N), "reads/frame")
			b.ReportMetric(float64(c1-c0)/float64(b.N), "cpu-ns/frame")
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
// (frames larger than the buffer included) in order, and reports the end of the stream; with a pooled buffer too,
// which it gives back whenever every byte read is handled, and borrows again, mid-frame included.
func TestRawReaderOverTCP(t *testing.T) {
	for _, pooled := range []bool{false, true} {
		t.Run(fmt.Sprint("pooled=", pooled), func(t *testing.T) { testRawReaderOverTCP(t, pooled) })
	}
}

func testRawReaderOverTCP(t *testing.T, pooled bool) {
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
	fr := newFrameReader(256, 4096)
	borrowed := 0
	pool := &sync.Pool{New: func() any { borrowed++; b := make([]byte, 256); return &b }}
	if pooled {
		fr = newPooledFrameReader(pool, 4096)
	}
	rr := newRawReader(fr, s)
	err = rr.run(raw)
	if err == nil || err.Error() != "EOF" {
		t.Fatalf("ended with %v, want EOF", err)
	}
	if s.n != 300 || !bytes.Equal(all, want) {
		t.Fatalf("%d messages, %d bytes; want 300, %d", s.n, len(all), len(want))
	}
	if pooled {
		fr.release()
		if fr.buf != nil || borrowed == 0 {
			t.Errorf("buffer not given back (%d made)", borrowed)
		}
	}
	t.Logf("%d read(2) for 300 frames (%d EAGAIN), %d pool buffers made", rr.reads, rr.eagains, borrowed)
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
