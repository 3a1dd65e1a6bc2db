package transport

import (
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"unicode/utf8"

	"github.com/lxzan/gws"
)

// The parser of client frames for the connection's own read loop (readloop.go). It checks what gws's reader checks,
// in the same order, and fails with the same close codes: a frame or a fragmented message over the size limit 1009, RSV
// bits (no extension is negotiated on this path), an unmasked frame, a fragmented or oversized control frame, an
// unknown opcode or a bad continuation 1002, a text message that is not UTF-8 1007. Payloads are unmasked in place in
// the read buffer and handed out without a copy; a fragmented message is assembled in a buffer of its own.

// WebSocket opcodes.
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xa
)

// wsError is a WebSocket protocol error found in the client's frames: the close code we answer with and the text that
// follows it in the close frame (gws's wording, so that a client sees what it saw before).
type wsError struct {
	code uint16
	text string
}

func (e *wsError) Error() string  { return e.text }
func (e *wsError) Uint16() uint16 { return e.code }

var (
	errWSProtocol = &wsError{CodeProtocolError, "gws: protocol error"}
	errWSTooBig   = &wsError{CodeMessageTooBig, "gws: message too large"}
	errWSEncoding = &wsError{CodeInvalidPayload, gws.ErrTextEncoding.Error()}
)

// What frameReader.next found.
const (
	frMore    = iota // the next frame is not complete: read more (want says how much)
	frMessage        // a whole data message: op and payload
	frControl        // a ping, pong or close frame: op and payload
	frPartial        // a fragment of a message was taken: call next again
	frStop           // the next frame must be handled outside the socket's read callback (see next)
)

// frameReader holds the bytes read and not yet handled, buf[r:w], and a fragmented message being assembled. It is
// owned by the connection's read goroutine.
//
// With a pool, base is borrowed from it when bytes are read and given back (release) once every byte read is handled:
// a connection that is waiting for its client's next frame, which is nearly always the case, holds no read buffer.
type frameReader struct {
	buf   []byte // base, or a larger buffer while a frame larger than base is read; nil while released
	base  []byte
	basep *[]byte    // base's pool entry (pool only)
	pool  *sync.Pool // of *[]byte of one size; nil: base is the reader's own
	r, w  int
	want  int // bytes the frame at buf[r] needs (set with frMore)
	max   int // the largest message payload

	frag   []byte // the message so far of a fragmented message (inFrag)
	fragOp byte
	inFrag bool

	// The result of next: frMessage or frControl.
	op      byte
	payload []byte
}

func newFrameReader(size, maxPayload int) *frameReader {
	b := make([]byte, size)
	return &frameReader{buf: b, base: b, max: maxPayload}
}

// newPooledFrameReader makes a frameReader whose buffer is borrowed from pool while it holds bytes (see release).
func newPooledFrameReader(pool *sync.Pool, maxPayload int) *frameReader {
	return &frameReader{pool: pool, max: maxPayload}
}

// release gives the buffer back to the pool when every byte read has been handled (and lets go of a larger buffer
// taken for a large frame). The next room borrows one again.
func (fr *frameReader) release() {
	if fr.pool == nil || fr.r != fr.w || fr.basep == nil {
		return
	}
	fr.pool.Put(fr.basep)
	fr.buf, fr.base, fr.basep, fr.payload = nil, nil, nil, nil
	fr.r, fr.w = 0, 0
}

// load appends bytes read before the loop started (what the HTTP server had buffered behind the upgrade request).
func (fr *frameReader) load(b []byte) {
	fr.want = fr.w - fr.r + len(b)
	fr.room()
	fr.w += copy(fr.buf[fr.w:], b)
	fr.want = 0
}

// next parses the frame at buf[r:w]. With inline, it returns frStop instead of taking a control frame, or a data
// frame when dataInline is false: the caller handles those outside the read callback.
func (fr *frameReader) next(inline, dataInline bool) (int, error) {
	b := fr.buf[fr.r:fr.w]
	if len(b) < 2 {
		fr.want = 2
		return frMore, nil
	}
	b0, b1 := b[0], b[1]
	n, h := uint64(b1&0x7f), 2
	switch n {
	case 126:
		h = 4
	case 127:
		h = 10
	}
	masked := b1&0x80 != 0
	if masked {
		h += 4
	}
	if len(b) < h {
		fr.want = h
		return frMore, nil
	}
	switch n {
	case 126:
		n = uint64(binary.BigEndian.Uint16(b[2:]))
	case 127:
		n = binary.BigEndian.Uint64(b[2:])
	}
	// gws reads a 64-bit length with its top bit set as a negative int, which passes its size check: its other checks
	// come first for such a frame (and then it fails; we answer 1009 after them).
	huge := n >= 1<<63
	if n > uint64(fr.max) && !huge {
		return 0, errWSTooBig
	}
	if b0&0x70 != 0 || !masked {
		return 0, errWSProtocol
	}
	fin, op := b0&0x80 != 0, b0&0x0f
	// gws treats the reserved opcodes 3-7 as control frames too, and looks at a control frame's 7-bit length: an
	// extended one is refused even when it says 125 bytes or less.
	control := op > opBinary
	if control && (!fin || b1&0x7f > 125) {
		return 0, errWSProtocol
	}
	if huge {
		return 0, errWSTooBig
	}
	if inline && (control || !dataInline) {
		return frStop, nil
	}
	if uint64(len(b)-h) < n {
		fr.want = h + int(n)
		return frMore, nil
	}
	p := b[h : h+int(n)]
	maskXOR(p, b[h-4:h])
	fr.r += h + int(n)
	if control {
		switch op {
		case opPing, opPong, opClose:
			fr.op, fr.payload = op, p
			return frControl, nil
		}
		return 0, &wsError{CodeProtocolError, fmt.Sprintf("gws: unexpected opcode %d", op)}
	}
	if op != opContinuation && fr.inFrag {
		return 0, errWSProtocol
	}
	if fin && op != opContinuation {
		return fr.message(op, p)
	}
	if op != opContinuation {
		fr.inFrag, fr.fragOp, fr.frag = true, op, fr.frag[:0]
	}
	if !fr.inFrag {
		return 0, errWSProtocol
	}
	fr.frag = append(fr.frag, p...)
	if len(fr.frag) > fr.max {
		return 0, errWSTooBig
	}
	if !fin {
		return frPartial, nil
	}
	fr.inFrag = false
	return fr.message(fr.fragOp, fr.frag)
}

func (fr *frameReader) message(op byte, p []byte) (int, error) {
	if op == opText && !utf8.Valid(p) {
		return 0, errWSEncoding
	}
	fr.op, fr.payload = op, p
	return frMessage, nil
}

// eof is the error the end of the stream is reported with, as gws's reader reports it: io.EOF when it ends where gws
// would start reading the next part of a frame (its first two bytes, the extended length, the mask key, the payload),
// io.ErrUnexpectedEOF when it ends inside one of those.
func (fr *frameReader) eof() error {
	b := fr.buf[fr.r:fr.w]
	if len(b) == 0 {
		return io.EOF
	}
	if len(b) < 2 {
		return io.ErrUnexpectedEOF
	}
	ext := [4]int{0, 0, 2, 8}[max(int(b[1]&0x7f)-124, 0)]
	mask := 0
	if b[1]&0x80 != 0 {
		mask = 4
	}
	switch len(b) {
	case 2, 2 + ext, 2 + ext + mask:
		return io.EOF
	}
	return io.ErrUnexpectedEOF
}

// room makes space after buf[w] for the next read: it starts over once everything is handled, moves the unhandled
// bytes to the front when the frame at buf[r] (want bytes) would not fit behind r, and grows the buffer for a frame
// larger than it. The larger buffer is dropped once its bytes are handled.
func (fr *frameReader) room() {
	if fr.base == nil && fr.pool != nil {
		fr.basep = fr.pool.Get().(*[]byte)
		fr.base = *fr.basep
		if fr.buf == nil {
			fr.buf = fr.base
		}
	}
	if fr.r == fr.w {
		fr.r, fr.w = 0, 0
		if len(fr.buf) != len(fr.base) && fr.want <= len(fr.base) {
			fr.buf = fr.base
		}
	}
	need := max(fr.want, fr.w-fr.r+1)
	if fr.r+need <= len(fr.buf) {
		return
	}
	if need > len(fr.buf) {
		nb := make([]byte, need)
		fr.w = copy(nb, fr.buf[fr.r:fr.w])
		fr.buf, fr.r = nb, 0
		return
	}
	fr.w = copy(fr.buf, fr.buf[fr.r:fr.w])
	fr.r = 0
}

// maskXOR unmasks b with the 4-byte key, eight bytes at a time.
func maskXOR(b, key []byte) {
	k := uint64(binary.LittleEndian.Uint32(key))
	k |= k << 32
	for len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k)
		b = b[8:]
	}
	for i := range b {
		b[i] ^= key[i&3]
	}
}

// closeAnswer is how gws answers a client's close frame with payload p: the code of the close it reports (0: none),
// and the payload of the answer (the code, or nothing to an empty close).
func closeAnswer(p []byte) (code uint16, answer []byte) {
	switch len(p) {
	case 0:
		return 0, nil
	case 1:
		return uint16(p[0]), codeBytes(CodeProtocolError)
	}
	code = binary.BigEndian.Uint16(p)
	resp := uint16(1000)
	switch {
	case code == 1004 || code == 1005 || code == 1006 || code == 1014 || code == 1015,
		code < 1000 || code >= 5000 || (code >= 1016 && code < 3000):
		resp = CodeProtocolError
	case code >= 1016:
		resp = code
	}
	if !utf8.Valid(p[2:]) {
		resp = CodeInvalidPayload
	}
	return code, codeBytes(resp)
}

func codeBytes(c uint16) []byte { return []byte{byte(c >> 8), byte(c)} }
