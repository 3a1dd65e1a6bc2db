package transport

import (
	"io"
	"net"
	"testing"
)

// The room goroutine's direct write of a snapshot must not allocate.
func TestTryWriteDoesNotAllocate(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.Copy(io.Discard, c)
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	s := &sealConn{Conn: nc, raw: rawConnOf(nc)}
	if s.raw == nil {
		t.Fatal("no raw conn for a TCP connection")
	}
	frame := make([]byte, 64)
	allocs := testing.AllocsPerRun(500, func() {
		n, ok, err := s.tryWrite(frame)
		if !ok || err != nil || n != len(frame) {
			t.Fatalf("tryWrite = %d, %v, %v", n, ok, err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocs per tryWrite", allocs)
	}
}
