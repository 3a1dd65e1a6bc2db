package client

import (
	"net"
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
		// The server is gone: read what it said before it left (its Disconnect frame).
		g.mu.Lock()
		if g.stalled {
			g.stalled, g.drain = false, true
			g.cond.Broadcast()
		}
		g.mu.Unlock()
	}
	return n, err
}

// Close closes the socket, or, while stalled, resumes reading and closes once the buffered data is read.
func (g *gateConn) Close() error {
	g.mu.Lock()
	if (g.stalled || g.drain) && !g.closed && !g.closeWant {
		g.stalled = false
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
		g.cond.Broadcast()
	}
	g.mu.Unlock()
}
