package transport

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lxzan/gws"
)

type streamPeer struct {
	gws.BuiltinEventHandler
	msgs   chan string
	pongs  chan string
	closed chan uint16
}

func (p *streamPeer) OnMessage(_ *gws.Conn, m *gws.Message) {
	if m.Opcode == gws.OpcodeText {
		p.msgs <- m.Data.String()
	}
	m.Close()
}

func (p *streamPeer) OnPong(_ *gws.Conn, payload []byte) { p.pongs <- string(payload) }

func (p *streamPeer) OnClose(_ *gws.Conn, err error) {
	var code uint16
	var ce *gws.CloseError
	if errors.As(err, &ce) {
		code = ce.Code
	}
	p.closed <- code
}

// TestStream: text messages reach the peer, pings are answered, Close sends its code, and the peer's close reaches
// onClose with the peer's code.
func TestStream(t *testing.T) {
	u := NewStreamUpgrader(StreamOptions{})
	streams := make(chan *Stream, 1)
	serverClosed := make(chan uint16, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, err := u.Upgrade(w, r, func(code uint16) { serverClosed <- code })
		if err == nil {
			streams <- st
		}
	}))
	defer srv.Close()
	dial := func() (*streamPeer, *gws.Conn, *Stream) {
		p := &streamPeer{msgs: make(chan string, 4), pongs: make(chan string, 4), closed: make(chan uint16, 1)}
		c, _, err := gws.NewClient(p, &gws.ClientOption{Addr: "ws" + strings.TrimPrefix(srv.URL, "http")})
		if err != nil {
			t.Fatal(err)
		}
		go c.ReadLoop()
		return p, c, <-streams
	}
	wait := func(ch any) any {
		t.Helper()
		timeout := time.After(5 * time.Second)
		switch c := ch.(type) {
		case chan string:
			select {
			case v := <-c:
				return v
			case <-timeout:
			}
		case chan uint16:
			select {
			case v := <-c:
				return v
			case <-timeout:
			}
		}
		t.Fatal("timed out")
		return nil
	}

	p, c, st := dial()
	if err := st.WriteText([]byte(`{"type":"hello"}`)); err != nil {
		t.Fatal(err)
	}
	if got := wait(p.msgs); got != `{"type":"hello"}` {
		t.Fatalf("message %q", got)
	}
	_ = c.WritePing([]byte("p1"))
	if got := wait(p.pongs); got != "p1" {
		t.Fatalf("pong %q", got)
	}
	st.Close(4000, "slow consumer")
	if got := wait(p.closed); got != uint16(4000) {
		t.Fatalf("peer saw close code %v, want 4000", got)
	}
	wait(serverClosed)
	if err := st.WriteText([]byte("late")); !errors.Is(err, ErrStreamClosed) {
		t.Fatalf("write after close: %v, want ErrStreamClosed", err)
	}

	_, c, _ = dial()
	_ = c.WriteClose(1000, nil)
	if got := wait(serverClosed); got != uint16(1000) {
		t.Fatalf("onClose code %v, want 1000", got)
	}
}

// TestStreamHugeFrameLength: a frame whose 64-bit length has its top bit set (gws's read loop panics on it) closes the
// stream with 1009 and reaches onClose; the process lives on.
func TestStreamHugeFrameLength(t *testing.T) {
	u := NewStreamUpgrader(StreamOptions{})
	serverClosed := make(chan uint16, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = u.Upgrade(w, r, func(code uint16) { serverClosed <- code })
	}))
	defer srv.Close()
	p := &streamPeer{msgs: make(chan string, 4), pongs: make(chan string, 4), closed: make(chan uint16, 1)}
	c, _, err := gws.NewClient(p, &gws.ClientOption{Addr: "ws" + strings.TrimPrefix(srv.URL, "http")})
	if err != nil {
		t.Fatal(err)
	}
	go c.ReadLoop()
	_, _ = c.NetConn().Write([]byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 0x11, 0x22, 0x33, 0x44, 1, 2, 3})
	for _, ch := range []chan uint16{p.closed, serverClosed} {
		select {
		case code := <-ch:
			if ch == p.closed && code != 1009 {
				t.Fatalf("peer saw close code %d, want 1009", code)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("timed out")
		}
	}
}
