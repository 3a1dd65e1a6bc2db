package client

import (
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// gateConn is the client's socket. It lets a test or load tool stop reading (a slow consumer) without losing what
// the server sent meanwhile: while stalled, Read waits, and a Close (gws closes the socket when a write fails) is
// postponed until the reader has drained what the kernel buffered, so the server's Disconnect frame is still seen.
type gateConn struct {
	net.Conn
	raw syscall.RawConn // static: the plain socket's descriptor for Client.readLoop; nil for TLS or a wrapped conn
	// handling is set while Client.readLoop handles frames (inside RawConn.Read; see closeNow).
	handling atomic.Bool

	// The write in progress of writeFrame, owned by the writer (the Client's lock serialises writes).
	wfn  func(fd uintptr) bool // static: g.writeSome, made once so that a write does not allocate a closure
	wp   []byte
	werr syscall.Errno

	// gated mirrors stalled || closed (written under mu) so that readGate takes no lock on the way through.
	gated atomic.Bool

	mu        sync.Mutex
	cond      *sync.Cond
	stalled   bool
	drain     bool // a write failed while stalled: a Close must let the reader drain first
	closeWant bool // Close was called while stalled; the socket closes when a Read fails or after lingerClose
	closed    bool
}

// lingerClose bounds how long a postponed Close lets the reader drain.
const lingerClose = 2 * time.Second

func newGateConn(c net.Conn) *gateConn {
	g := &gateConn{Conn: c}
	if tc, ok := c.(*net.TCPConn); ok {
		if raw, err := tc.SyscallConn(); err == nil {
			g.raw = raw
			g.wfn = g.writeSome
		}
	}
	g.cond = sync.NewCond(&g.mu)
	return g
}

func (g *gateConn) Read(p []byte) (int, error) {
	g.readGate()
	n, err := g.Conn.Read(p)
	if err != nil {
		g.readFailed()
	}
	return n, err
}

// readGate waits while reading is stalled; it reports false once the socket is closed.
func (g *gateConn) readGate() bool {
	if !g.gated.Load() {
		return true
	}
	g.mu.Lock()
	for g.stalled && !g.closed {
		g.cond.Wait()
	}
	open := !g.closed
	g.mu.Unlock()
	return open
}

// readFailed is called when a read fails: a Close postponed for draining happens now.
func (g *gateConn) readFailed() {
	g.mu.Lock()
	want := g.closeWant
	g.mu.Unlock()
	if want {
		_ = g.closeNow()
	}
}

func (g *gateConn) Write(p []byte) (int, error) {
	n, err := g.Conn.Write(p)
	if err != nil {
		g.writeFailed()
	}
	return n, err
}

// writeFrame writes p whole, as Write does; on a plain socket (raw set) it calls write(2) itself (sysWrite), inside
// RawConn.Write, which guards the descriptor against a concurrent Close and waits for the poller when the socket's
// buffer is full (with the write deadline). Calls must not overlap.
func (g *gateConn) writeFrame(p []byte) error {
	if g.raw == nil {
		_, err := g.Write(p)
		return err
	}
	g.wp, g.werr = p, 0
	err := g.raw.Write(g.wfn)
	if err == nil && g.werr != 0 {
		err = &net.OpError{Op: "write", Net: "tcp", Source: g.LocalAddr(), Addr: g.RemoteAddr(), Err: os.NewSyscallError("write", g.werr)}
	}
	g.wp = nil
	if err != nil {
		g.writeFailed()
	}
	return err
}

// writeSome writes what is left of g.wp; false: the socket is full, wait until it is writable.
func (g *gateConn) writeSome(fd uintptr) bool {
	for len(g.wp) > 0 {
		n, e := sysWrite(int(fd), g.wp)
		switch e {
		case 0:
			g.wp = g.wp[n:]
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			g.werr = e
			return true
		}
	}
	return true
}

// writeFailed is called when a write fails.
func (g *gateConn) writeFailed() {
	// The server is gone: read what it said before it left (its Disconnect frame).
	g.mu.Lock()
	if g.stalled {
		g.stalled, g.drain = false, true
		g.gated.Store(g.closed)
		g.cond.Broadcast()
	}
	g.mu.Unlock()
}

// Close closes the socket, or, while stalled, resumes reading and closes once the buffered data is read.
func (g *gateConn) Close() error {
	g.mu.Lock()
	if (g.stalled || g.drain) && !g.closed && !g.closeWant {
		g.stalled = false
		g.gated.Store(g.closed)
		g.closeWant = true
		g.cond.Broadcast()
		g.mu.Unlock()
		time.AfterFunc(lingerClose, func() { g.closeNow() })
		return nil
	}
	want := g.closeWant
	g.mu.Unlock()
	if want {
		return nil
	}
	return g.closeNow()
}

// closeNow closes the socket at once (a dropped connection, as far as the server can tell).
func (g *gateConn) closeNow() error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil
	}
	g.closed = true
	g.stalled = false
	g.gated.Store(true)
	g.cond.Broadcast()
	g.mu.Unlock()
	if g.handling.Load() {
		// Client.readLoop holds the socket inside RawConn.Read while it handles frames, and Close waits until it lets
		// go: called from the read goroutine itself (a failed Pong, a snapshot that cannot be applied), it would wait
		// forever. The reader sees closed at its next read and returns; then this Close completes.
		go func() { _ = g.Conn.Close() }()
		return nil
	}
	return g.Conn.Close()
}

func (g *gateConn) setStalled(on bool) {
	g.mu.Lock()
	if !g.closed {
		g.stalled = on
		g.gated.Store(on)
		g.cond.Broadcast()
	}
	g.mu.Unlock()
}
