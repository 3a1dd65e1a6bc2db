package client

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// tcpPair returns both ends of a loopback TCP connection: the client's (a gateConn) and the server's.
func tcpPair(t *testing.T) (*gateConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	g := newGateConn(nc)
	if g.raw == nil {
		t.Fatal("a TCP connection has no raw descriptor")
	}
	t.Cleanup(func() { _ = g.closeNow(); _ = sc.Close() })
	return g, sc
}

// writeFrame writes the whole buffer even when it is larger than the socket's buffers: the write waits for the
// peer to read (EAGAIN, then the poller) and carries on where it stopped.
func TestWriteFrameWaitsForRoom(t *testing.T) {
	g, sc := tcpPair(t)
	_ = g.Conn.(*net.TCPConn).SetWriteBuffer(4096)
	want := make([]byte, 1<<20)
	for i := range want {
		want[i] = byte(i * 7)
	}
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(sc, int64(len(want))))
		got <- b
	}()
	if err := g.writeFrame(want); err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("read %d bytes, not what was written (%d bytes)", len(b), len(want))
	}
}

// A write that cannot finish by the write deadline fails with the deadline error (the client then drops the
// connection and resumes); one on a closed socket fails with net.ErrClosed.
func TestWriteFrameDeadlineAndClose(t *testing.T) {
	g, _ := tcpPair(t) // the peer never reads
	_ = g.Conn.(*net.TCPConn).SetWriteBuffer(4096)
	_ = g.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	big := make([]byte, 16<<20)
	err := g.writeFrame(big)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write past its deadline: %v, want %v", err, os.ErrDeadlineExceeded)
	}
	_ = g.closeNow()
	if err := g.writeFrame([]byte{1}); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write on a closed socket: %v, want net.ErrClosed", err)
	}
}

// A write to a connection the peer reset fails with the system's error, not a closed-socket error.
func TestWriteFrameReset(t *testing.T) {
	g, sc := tcpPair(t)
	_ = sc.(*net.TCPConn).SetLinger(0)
	_ = sc.Close() // RST
	var err error
	for i := 0; i < 100 && err == nil; i++ { // the first writes may still be accepted before the reset arrives
		err = g.writeFrame([]byte("input"))
		time.Sleep(time.Millisecond)
	}
	var oe *net.OpError
	if err == nil || errors.Is(err, net.ErrClosed) || !errors.As(err, &oe) || oe.Op != "write" {
		t.Fatalf("write after a reset: %v, want a write *net.OpError", err)
	}
}
