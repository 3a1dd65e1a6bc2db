package client

import (
	"net"
	"testing"
)

func TestSourceIP(t *testing.T) {
	base := net.IPv4(127, 1, 0, 1)
	for _, c := range []struct {
		i    int
		want string
	}{{0, "127.1.0.1"}, {1, "127.1.0.2"}, {253, "127.1.0.254"}, {254, "127.1.1.1"}, {508, "127.1.2.1"}} {
		if got := SourceIP(base, c.i).String(); got != c.want {
			t.Errorf("SourceIP(%d) = %s, want %s", c.i, got, c.want)
		}
	}
}

// A connection from DialerFrom comes from the chosen loopback address.
func TestDialerFrom(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for i := 0; i < 3; i++ {
		src := SourceIP(net.IPv4(127, 9, 0, 1), i)
		c, err := DialerFrom(src).Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		sc, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		if got := sc.RemoteAddr().(*net.TCPAddr).IP; !got.Equal(src) {
			t.Errorf("peer %v, want %v", got, src)
		}
		sc.Close()
		c.Close()
	}
}
