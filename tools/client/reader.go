package client

import (
	"encoding/binary"
	"errors"
	"io"
	"syscall"
	"time"

	"github.com/lxzan/gws"
)

// The read side of a plain (ws://) connection: the server's WebSocket frames are read straight from the socket inside
// one syscall.RawConn.Read call that lasts as long as the connection.
//
// Why not gws's ReadLoop: each net.Conn.Read first resets the descriptor's readiness and tries the socket, and waits for
// the poller only when that fails, so a client that keeps up with the server makes two read(2) calls per frame (the
// second returns EAGAIN). Inside one RawConn.Read, a short read (the socket is empty) goes straight to the poller,
// which remembers whether data arrived meanwhile (it is edge-triggered: every arrival after the read raises a new
// edge), so each frame costs one read(2). Under load that is a third of the client's system calls.
//
// The reader checks what gws checks of a server's frames (no mask, no RSV bits, control frames unfragmented and at
// most 125 bytes, continuation only after a non-final frame, a size limit), answers Ping and Close as gws does, and
// reports the end of the connection with the same errors (a *gws.CloseError for a Close frame).

// readBufferSize is the initial buffer; it grows to hold the largest frame seen. A delta snapshot is about a hundred
// bytes and a full one of a 16-player room about 1.5 KB: 2 KiB holds a dozen snapshots per read(2) without keeping
// 8 KiB per connection (a thousand bots in one process).
const readBufferSize = 2048

// maxFramePayload bounds one message (gws's default ReadMaxPayloadSize).
const maxFramePayload = 16 * 1024 * 1024

var errFrame = errors.New("client: malformed WebSocket frame")

// frameReader holds the bytes read but not yet handled, buf[r:w], and a fragmented message being assembled. Owned
// by the connection's read goroutine.
type frameReader struct {
	buf  []byte
	r, w int
	frag []byte // payload so far of a message whose last frame has not arrived
	op   gws.Opcode
	in   bool // frag is in use
}

// readLoop runs the read side of connection s until it ends and reports the end. Connections that are not plain
// sockets (TLS, a test's wrapped net.Conn) use gws's own read loop.
func (c *Client) readLoop(s *gws.Conn, g *gateConn) {
	if g.raw == nil {
		s.ReadLoop() // reports the end through connHandler.OnClose
		return
	}
	fr := frameReader{buf: make([]byte, readBufferSize)}
	var err error
	rerr := g.raw.Read(func(fd uintptr) bool {
		for {
			if !g.readGate() {
				err = errGateClosed
				return true
			}
			if fr.w == len(fr.buf) {
				fr.makeRoom(0)
				if fr.w == len(fr.buf) {
					fr.makeRoom(len(fr.buf) + 1)
				}
			}
			n, e := sysRead(int(fd), fr.buf[fr.w:])
			switch {
			case e == syscall.EINTR:
				continue
			case e == syscall.EAGAIN:
				return false // wait for the poller
			case e != 0:
				err = e
				return true
			case n == 0:
				err = io.EOF
				return true
			}
			full := fr.w+n == len(fr.buf)
			fr.w += n
			g.handling.Store(true)
			err = c.handleFrames(s, &fr, time.Now())
			g.handling.Store(false)
			if err != nil {
				return true
			}
			if !full {
				return false // a short read emptied the socket: the next data raises a new edge
			}
		}
	})
	if err == nil {
		err = rerr // closed under us (Drop, Close, a resync)
	}
	g.readFailed()
	var ce *gws.CloseError
	switch {
	case errors.As(err, &ce):
		// Answer the server's Close as gws does: an invalid code is a protocol error, anything else is echoed as a
		// normal closure.
		code := uint16(1000)
		if c := ce.Code; c != 0 && (c < 1000 || c >= 5000 || (c >= 1016 && c < 3000) || c == 1004 || c == 1005 || c == 1006 || c == 1014 || c == 1015) {
			code = 1002
		}
		_ = s.WriteClose(code, nil)
	case errors.Is(err, errFrame):
		_ = s.WriteClose(1002, nil)
	case errors.Is(err, errTooLarge):
		_ = s.WriteClose(1009, nil)
	default:
		_ = s.WriteClose(1000, nil) // closes the socket (gws answers a read error the same way)
	}
	c.onClose(s, err)
}

var (
	errTooLarge   = errors.New("client: WebSocket message too large")
	errGateClosed = errors.New("client: connection closed")
)

// handleFrames handles every complete frame buffered in fr, then makes room for the next read.
func (c *Client) handleFrames(s *gws.Conn, fr *frameReader, now time.Time) error {
	for {
		b := fr.buf[fr.r:fr.w]
		if len(b) < 2 {
			break
		}
		fin, rsv, op := b[0]&0x80 != 0, b[0]&0x70, gws.Opcode(b[0]&0x0f)
		if b[1]&0x80 != 0 || rsv != 0 {
			return errFrame // a server never masks; no extension is negotiated
		}
		n, h := uint64(b[1]&0x7f), 2
		switch n {
		case 126:
			if len(b) < 4 {
				return fr.need(4)
			}
			n, h = uint64(binary.BigEndian.Uint16(b[2:])), 4
		case 127:
			if len(b) < 10 {
				return fr.need(10)
			}
			n, h = binary.BigEndian.Uint64(b[2:]), 10
		}
		if n > maxFramePayload {
			return errTooLarge
		}
		if uint64(len(b)-h) < n {
			return fr.need(h + int(n))
		}
		p := b[h : h+int(n)]
		fr.r += h + int(n)
		switch {
		case op >= 8: // control
			if !fin || n > 125 {
				return errFrame
			}
			switch op {
			case gws.OpcodePing:
				_ = s.WritePong(p)
			case gws.OpcodePong:
			case gws.OpcodeCloseConnection:
				ce := &gws.CloseError{}
				switch {
				case len(p) == 1:
					ce.Code = 1002
				case len(p) >= 2:
					ce.Code, ce.Reason = binary.BigEndian.Uint16(p), append([]byte(nil), p[2:]...)
				}
				return ce
			default:
				return errFrame
			}
		case op == gws.OpcodeContinuation:
			if !fr.in {
				return errFrame
			}
			if uint64(len(fr.frag))+n > maxFramePayload {
				return errTooLarge
			}
			fr.frag = append(fr.frag, p...)
			if fin {
				fr.in = false
				c.onMessage(s, fr.op, fr.frag, now)
				fr.frag = fr.frag[:0]
			}
		case op == gws.OpcodeText || op == gws.OpcodeBinary:
			if fr.in {
				return errFrame
			}
			if !fin {
				fr.in, fr.op, fr.frag = true, op, append(fr.frag[:0], p...)
				continue
			}
			c.onMessage(s, op, p, now)
		default:
			return errFrame
		}
	}
	return fr.need(0)
}

// need makes room for a frame of size bytes (0: any next frame) starting at buf[r]; it never fails.
func (fr *frameReader) need(size int) error {
	fr.makeRoom(size)
	return nil
}

// makeRoom moves the unhandled bytes to the front of the buffer and grows it to hold size bytes.
func (fr *frameReader) makeRoom(size int) {
	if fr.r == fr.w {
		fr.r, fr.w = 0, 0
	}
	if size > len(fr.buf) {
		nb := make([]byte, max(size, 2*len(fr.buf)))
		fr.w = copy(nb, fr.buf[fr.r:fr.w])
		fr.buf, fr.r = nb, 0
		return
	}
	if fr.r > 0 && (fr.w == len(fr.buf) || fr.r+size > len(fr.buf)) {
		fr.w = copy(fr.buf, fr.buf[fr.r:fr.w])
		fr.r = 0
	}
}

// onMessage handles one data message (gws's OnMessage for the other read loop).
func (c *Client) onMessage(s *gws.Conn, op gws.Opcode, b []byte, now time.Time) {
	c.lastRecv.Store(now.UnixNano())
	c.stats.BytesIn.Add(int64(len(b) + wsHeaderLen(len(b), false)))
	if op == gws.OpcodeBinary {
		c.onFrame(s, b, now)
	} else {
		c.stats.DecodeErrors.Add(1)
	}
}
