package transport

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/lxzan/gws"
)

// A connection's read side without permessage-deflate: the connection's own read loop parses the client's frames
// (frames.go) instead of gws's ReadLoop; gws keeps the handshake and its writes (pongs, close frames).
//
// Why: gws reads through a bufio.Reader over the net.Conn, and every net.Conn.Read first resets the descriptor's
// readiness, tries the socket and waits for the poller only when that fails. A connection that keeps up with its
// client (one small frame per tick) so makes two read(2) per frame, the second one returning EAGAIN. On a plain TCP
// socket the loop below reads inside one syscall.RawConn.Read call: after a short read (the socket is empty) it goes
// straight to the poller, which remembers whether data arrived meanwhile (it is edge-triggered: each arrival after the
// read raises a new edge), so a frame costs one read(2). Other connections (TLS, or a test's pipe) read through the
// net.Conn with the same parser.
//
// Only the data frames of a joined player are handled inside the RawConn.Read callback: handling them never blocks
// (inputs, acks, pings and messages go to the room's and the session's queues) and never closes the socket. Anything
// else (Hello and Join, which wait for the room; control frames, whose answer goes through gws and may close the
// socket on a failed write) ends the callback and is handled outside it, at the cost of one more read(2) when the
// loop goes back to the socket. While the callback runs it holds a reference on the descriptor, so a Close from
// another goroutine waits for it to return (at most the handling of one buffer of a player's frames); a Close inside
// it would wait for itself.

// frameSink handles what the read loop parses. conn is the sink of a real connection.
type frameSink interface {
	// dataInline reports whether data messages may be handled inside the socket's read callback now.
	dataInline() bool
	// onMessage handles one data message; payload is valid only during the call.
	onMessage(op byte, payload []byte)
	// onPing answers a ping (never called inside the read callback).
	onPing(payload []byte)
}

// dispatch handles the complete frames in fr. With inline it stops (stop true) at a frame that must be handled
// outside the read callback. A close frame ends the loop with a *peerClose.
func dispatch(fr *frameReader, s frameSink, inline bool) (stop bool, err error) {
	for {
		kind, err := fr.next(inline, !inline || s.dataInline())
		if err != nil {
			return false, err
		}
		switch kind {
		case frMore:
			return false, nil
		case frStop:
			return true, nil
		case frMessage:
			s.onMessage(fr.op, fr.payload)
		case frControl:
			switch fr.op {
			case opPing:
				s.onPing(fr.payload)
			case opClose:
				code, answer := closeAnswer(fr.payload)
				ce := &gws.CloseError{Code: code}
				if len(fr.payload) > 2 {
					ce.Reason = append([]byte(nil), fr.payload[2:]...)
				}
				return false, &peerClose{ce: ce, answer: answer}
			}
		}
	}
}

// peerClose ends the read loop at the client's close frame: what gws reports (OnClose) and the answer it writes.
type peerClose struct {
	ce     *gws.CloseError
	answer []byte
}

func (p *peerClose) Error() string { return p.ce.Error() }

// rawReader runs a plain TCP connection's read loop inside RawConn.Read.
type rawReader struct {
	fr   *frameReader
	sink frameSink
	err  error                 // what ended the callback: a read error, a protocol error or the peer's close
	fn   func(fd uintptr) bool // read, bound once
	// Counters for tests and benchmarks (owned by the read goroutine).
	reads, eagains uint64
}

func newRawReader(fr *frameReader, s frameSink) *rawReader {
	rr := &rawReader{fr: fr, sink: s}
	rr.fn = rr.read
	return rr
}

// read is the RawConn.Read callback: it returns false to wait for the poller, true to end the RawConn.Read call
// (rr.err set, or a frame to handle outside).
func (rr *rawReader) read(fd uintptr) bool {
	fr := rr.fr
	for {
		fr.room()
		n, e := syscall.Read(int(fd), fr.buf[fr.w:])
		rr.reads++
		switch {
		case e == syscall.EINTR:
			continue
		case e == syscall.EAGAIN:
			rr.eagains++
			fr.release()
			return false
		case e != nil:
			rr.err = os.NewSyscallError("read", e)
			return true
		case n == 0:
			rr.err = fr.eof()
			return true
		}
		full := fr.w+n == len(fr.buf)
		fr.w += n
		stop, err := dispatch(fr, rr.sink, true)
		if err != nil {
			rr.err = err
			return true
		}
		if stop {
			return true
		}
		if !full {
			fr.release()
			return false // the socket is empty: the next arrival raises a new edge
		}
	}
}

// run reads until the connection ends and returns why.
func (rr *rawReader) run(raw syscall.RawConn) error {
	for {
		if _, err := dispatch(rr.fr, rr.sink, false); err != nil {
			return err
		}
		rerr := raw.Read(rr.fn)
		if err := rr.err; err != nil {
			return err
		}
		if rerr != nil {
			return rerr
		}
	}
}

// readConn runs the read loop of a connection that is not a plain TCP socket.
func readConn(c net.Conn, fr *frameReader, s frameSink) error {
	for {
		if _, err := dispatch(fr, s, false); err != nil {
			return err
		}
		fr.room()
		n, err := c.Read(fr.buf[fr.w:])
		fr.w += n
		if err != nil {
			if _, perr := dispatch(fr, s, false); perr != nil {
				return perr
			}
			if err == io.EOF {
				err = fr.eof()
			}
			return err
		}
	}
}

// unusedReader is the bufio.Reader handed to gws for connections whose frames gws does not read.
var unusedReader = bufio.NewReaderSize(eofReader{}, 16)

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// readLoop is the connection's read goroutine: it takes what br holds (bytes the client sent right behind its upgrade
// request), reads and handles frames until the connection ends, then closes it as gws's ReadLoop would and reports
// the end (OnClose).
func (c *conn) readLoop(br *bufio.Reader) {
	var fr *frameReader
	if c.sc.raw != nil {
		fr = newPooledFrameReader(&c.h.readBufs, c.h.cfg.MaxFrameBytes) // a buffer only while bytes are pending
	} else {
		fr = newFrameReader(c.h.cfg.ReadBufferBytes, c.h.cfg.MaxFrameBytes) // blocking reads hold it anyway
	}
	if n := br.Buffered(); n > 0 {
		b, _ := br.Peek(n)
		fr.load(b)
	}
	var err error
	if c.sc.raw != nil {
		err = newRawReader(fr, c).run(c.sc.raw)
	} else {
		err = readConn(c.sc.Conn, fr, c)
	}
	c.endRead(err)
}

// gwsReadLoop runs gws's read loop, for connections with permessage-deflate (whose frames the own parser does not
// inflate). gws v1.8.9 panics on a frame whose 64-bit length has its top bit set (it takes it for a negative size);
// such a frame ends this connection with 1009, as on the own read loop, instead of the process.
func (c *conn) gwsReadLoop() {
	defer func() {
		if e := recover(); e != nil {
			c.h.log.Warn("websocket read loop panicked", "remote", c.ws.RemoteAddr().String(), "panic", e)
			c.endRead(errWSTooBig)
		}
	}()
	c.ws.ReadLoop()
}

// endRead writes the close frame gws writes when its read loop ends with err, closes the socket and reports the end.
// As with gws, nothing is written when a close frame is already out (the sealConn refuses it).
func (c *conn) endRead(err error) {
	var payload []byte
	ev := err
	var we *wsError
	var pc *peerClose
	var oe *net.OpError
	switch {
	case errors.As(err, &pc):
		payload, ev = pc.answer, pc.ce
	case errors.As(err, &we):
		payload = append(codeBytes(we.code), we.text...)
		if we == errWSEncoding {
			ev = gws.ErrTextEncoding
		}
	default:
		if errors.As(err, &oe) && oe.Op == "raw-read" {
			oe.Op = "read" // as a net.Conn read reports it
		} else if se := (*os.SyscallError)(nil); errors.As(err, &se) {
			ev = &net.OpError{Op: "read", Net: "tcp", Source: c.sc.LocalAddr(), Addr: c.sc.RemoteAddr(), Err: se}
		}
		payload = append(codeBytes(1000), ev.Error()...)
	}
	if len(payload) > 125 {
		payload = payload[:125]
	}
	frame := append([]byte{closeFrameB0, byte(len(payload))}, payload...)
	_, _ = c.sc.Write(frame)
	// Marks gws's connection closed (its later writes fail at once) and closes the socket, draining first after a
	// protocol error's close frame (sealConn.Close).
	if c.ws.WriteClose(1000, nil) != nil {
		_ = c.sc.Close()
	}
	c.h.OnClose(c.ws, ev)
}

// frameSink of a connection.

func (c *conn) dataInline() bool { return c.closing.Load() || c.state.Load() == statePlaying }

func (c *conn) onMessage(op byte, payload []byte) { c.handle(gws.Opcode(op), payload) }

func (c *conn) onPing(payload []byte) { c.h.OnPing(c.ws, payload) }
