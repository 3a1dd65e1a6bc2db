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
	var werr error
	if err := s.raw.Write(func(fd uintptr) bool {
		for n < len(b) {
			m, e := syscall.Write(int(fd), b[n:])
			if m > 0 {
				n += m
			}
			if e == syscall.EINTR {
				continue
			}
			if e != nil && !errors.Is(e, syscall.EAGAIN) {
				werr = e
			}
			if e != nil || m <= 0 {
				break
			}
		}
		return true // never wait for the socket to become writable
	}); err != nil {
		return n, true, err
	}
	s.noteWriteErr(werr)
	return n, true, werr
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
