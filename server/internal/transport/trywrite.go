package transport

import (
	"errors"
	"net"
	"syscall"
)

// tryWrite makes one non-blocking write attempt of b and reports how much of it the kernel took. It lets the room
// goroutine hand a snapshot straight to the socket at its tick, saving the writer goroutine's wake-up, without ever
// waiting: a full socket buffer (EAGAIN) returns n < len(b) and the caller leaves the rest to the writer goroutine.
// ok is false when no attempt was made (not a plain TCP socket, or another write holds the socket right now); the
// caller then takes the writer path for the whole of b.
func (s *sealConn) tryWrite(b []byte) (n int, ok bool, err error) {
	if s.raw == nil || !s.mu.TryLock() {
		return 0, false, nil
	}
	defer s.mu.Unlock()
	if s.sealed {
		return 0, true, net.ErrClosed
	}
	// The attempt's state lives in the sealConn (guarded by mu), not in a closure: a closure passed to RawConn.Write
	// escapes, which cost an allocation per snapshot.
	t := &s.try
	if t.fn == nil {
		t.fn = t.write
	}
	t.b, t.n, t.err = b, 0, nil
	rerr := s.raw.Write(t.fn)
	n, werr := t.n, t.err
	t.b, t.err = nil, nil
	if rerr != nil {
		return n, true, rerr
	}
	s.noteWriteErr(werr)
	return n, true, werr
}

// tryWriter is one tryWrite attempt: the bytes to write, how many the kernel took and the error that stopped it.
type tryWriter struct {
	b   []byte
	n   int
	err error
	fn  func(fd uintptr) bool // write, bound once
}

func (t *tryWriter) write(fd uintptr) bool {
	for t.n < len(t.b) {
		m, e := syscall.Write(int(fd), t.b[t.n:])
		if m > 0 {
			t.n += m
		}
		if e == syscall.EINTR {
			continue
		}
		if e != nil && !errors.Is(e, syscall.EAGAIN) {
			t.err = e
		}
		if e != nil || m <= 0 {
			break
		}
	}
	return true // never wait for the socket to become writable
}

// rawConnOf returns the raw file descriptor access of a plain TCP connection, or nil.
func rawConnOf(c net.Conn) syscall.RawConn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// TryWrite implements session.Conn: one non-blocking attempt to write frames made with AppendHeader.
func (c *conn) TryWrite(b []byte) (int, bool, error) {
	if c.h.cfg.Compression {
		return 0, false, nil
	}
	return c.sc.tryWrite(b)
}
