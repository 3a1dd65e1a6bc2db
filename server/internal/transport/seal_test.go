package transport

import (
	"bytes"
	"errors"
	"net"
	"testing"
)

// recConn records what is written to it.
type recConn struct {
	net.Conn
	out bytes.Buffer
}

func (r *recConn) Write(b []byte) (int, error) { return r.out.Write(b) }

// TestSealConnOneCloseFrame: whichever side writes the first close frame (our writeFinal, or gws through Write: its
// answer to the peer's close, or its own close on a protocol error), nothing is written after it.
func TestSealConnOneCloseFrame(t *testing.T) {
	ours := []byte{0x88, 4, 0x11, 0x98, 'n', 'o'}
	gwsClose := []byte{0x88, 2, 0x03, 0xe8}
	data := []byte{0x82, 1, 0x2a}
	t.Run("ours first", func(t *testing.T) {
		rc := &recConn{}
		s := &sealConn{Conn: rc}
		if _, err := s.Write([]byte("HTTP/1.1 101 Switching Protocols\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.writeFrames(data); err != nil {
			t.Fatal(err)
		}
		if err := s.writeFinal(ours); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Write(gwsClose); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("gws's close after ours: %v, want refused", err)
		}
		if _, err := s.writeFrames(data); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("data after our close: %v, want refused", err)
		}
		if !bytes.HasSuffix(rc.out.Bytes(), ours) {
			t.Fatalf("stream does not end with our close frame: %q", rc.out.Bytes())
		}
	})
	t.Run("gws first", func(t *testing.T) {
		rc := &recConn{}
		s := &sealConn{Conn: rc}
		if _, err := s.Write(gwsClose); err != nil {
			t.Fatal(err)
		}
		if err := s.writeFinal(ours); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("our close after gws's: %v, want refused", err)
		}
		if _, err := s.writeFrames(data); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("data after gws's close: %v, want refused", err)
		}
		if !bytes.Equal(rc.out.Bytes(), gwsClose) {
			t.Fatalf("stream %q, want only gws's close frame", rc.out.Bytes())
		}
	})
	t.Run("session bytes are not parsed", func(t *testing.T) {
		// The rest of a partly written run may start with any byte, 0x88 included: only gws's frames are inspected.
		rc := &recConn{}
		s := &sealConn{Conn: rc}
		if _, err := s.writeFrames([]byte{0x88, 0x01}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.writeFrames(data); err != nil {
			t.Fatalf("a data write after session bytes starting with 0x88: %v", err)
		}
	})
}
