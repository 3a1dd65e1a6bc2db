// Package session is the server side of one player's connection: the outbound slot the room hands snapshots to, the
// bounded queue of reliable frames, the writer goroutine that drains both to the socket, and the table of resume
// and join tokens.
//
// The writer runs only while there is work the caller could not write at once: a connection that keeps up has its
// snapshots written directly by the room (OfferSnapshot), so most sessions have no writer goroutine, and no stack,
// between ticks. At most one writer runs at a time; it exits when it finds nothing to do, except on a connection that
// cannot take direct writes (TLS, permessage-deflate), where it writes every snapshot and stays.
//
// The room never blocks on a session: OfferSnapshot replaces an unsent snapshot (latest wins), SendReliable refuses
// when its bounded queue is full, Close only records the code and wakes the writer. The writer owns the socket's
// write side: on each wake-up it frames the queued reliable frames and then the pending snapshot, with this player's
// tail appended (input_lead_us, field 14, when a lead report is due, and last_input_seq, field 15: fields outside
// the shared snapshot bytes, which are only copied into the writer's own reused buffer), and writes them all with one system call under a write deadline; nothing on that path allocates. The
// baseline of the next delta is the last snapshot the writer took (lastTaken): a delta against anything else is
// dropped, never written.
//
// Every Session method is safe to call from any goroutine.
package session

import (
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pb "github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/server/internal/metrics"
	"github.com/tickwire/tickwire/server/internal/room"
)

// Close codes the session itself uses (the full table is in the server package documentation).
const (
	CodeGoingAway    uint16 = 1001
	CodeInternal     uint16 = 1011
	CodeSlowConsumer uint16 = 4000
)

// Conn is the socket as the writer sees it; the transport implements it over a WebSocket connection.
type Conn interface {
	// AppendHeader appends the WebSocket header of one binary message of n bytes to dst. ok is false when the
	// connection must frame messages itself (permessage-deflate): the writer then uses WriteMessage.
	AppendHeader(dst []byte, n int) (out []byte, ok bool)
	// Write writes b, a run of messages framed with AppendHeader, with one write.
	Write(b []byte) error
	// TryWrite makes one non-blocking attempt to write b (messages framed with AppendHeader) and returns how much
	// the socket took. ok is false when no attempt was made (the caller must use Write for all of b).
	TryWrite(b []byte) (n int, ok bool, err error)
	// WriteMessage frames and writes one binary message.
	WriteMessage(p []byte) error
	// SetWriteDeadline bounds the following writes.
	SetWriteDeadline(t time.Time) error
	// CloseWith sends a close frame with code and reason and ends the connection (at once or after the peer's answer,
	// bounded by the transport's close timeout). It is called at most once, by the writer.
	CloseWith(code uint16, reason string)
	// Abort drops the connection without a close frame (the socket is broken).
	Abort()
}

// Config is shared by every session of a server.
type Config struct {
	// OutboundQueue bounds the reliable frames queued and not yet written.
	OutboundQueue int
	// MaxSkipped is how many snapshots in a row may be replaced before the writer took any; one more closes the
	// session with CodeSlowConsumer.
	MaxSkipped int
	// WriteTimeout bounds every write.
	WriteTimeout time.Duration
	// CloseTimeout bounds writing the final Disconnect and close frames.
	CloseTimeout time.Duration
	Metrics      *metrics.Metrics
}

// Session implements room.Sink for one connection.
type Session struct {
	// Static after construction.
	cfg  *Config
	conn Conn
	wake chan struct{} // capacity 1: "there is work" for the running writer
	done chan struct{} // closed when the last writer has returned (after the close frame, or after Abort)

	lastTaken atomic.Uint32
	// running is set while a writer goroutine runs (or is being started): signal starts one when it is clear.
	running atomic.Bool
	writeFn func() // writer, bound once: starting a goroutine on it allocates nothing

	// Guarded by mu.
	mu          sync.Mutex
	pending     *room.Frame
	pendingTail room.Tail
	skipped     int      // snapshots replaced in a row before the writer took one
	queue       [][]byte // reliable frames in order
	spare       [][]byte // the writer's previous batch, reused as the next queue
	closing     bool     // Close or Abort was called: refuse new work
	aborted     bool     // the connection is gone: write nothing more
	closeCode   uint16
	closeReason string
	busy        bool   // a write is under way (the writer's, or a direct one from OfferSnapshot): no one else writes
	resident    bool   // the connection takes no direct writes: the writer writes every snapshot, so it stays
	rest        []byte // the part of a direct write the socket did not take; the writer writes it before anything else

	// Owned by the running writer goroutine (each writer takes over from the previous one through running).
	deadlineAt time.Time

	// Owned by whoever set busy for a direct write.
	restBuf []byte
}

// writeBufs holds the buffers writes are framed in. A write borrows one for its duration, so that a session keeps no
// buffer of its own between ticks: a few buffers per process (one per write under way) instead of one per player.
var writeBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// putBuf gives back a buffer taken from writeBufs, with b (its contents, possibly grown) unless b grew past
// maxKeptBuf: a burst's buffer is let go.
func putBuf(p *[]byte, b []byte) {
	if cap(b) > maxKeptBuf {
		return
	}
	*p = b[:0]
	writeBufs.Put(p)
}

var _ room.Sink = (*Session)(nil)

// New makes a session on conn. Its writer goroutine starts when there is work for it (see signal).
func New(cfg *Config, conn Conn) *Session {
	s := &Session{
		cfg:  cfg,
		conn: conn,
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
	s.writeFn = s.writer
	return s
}

// Done is closed when the writer has finished (after the close frame, or after Abort).
func (s *Session) Done() <-chan struct{} { return s.done }

// Baseline is the tick of the last snapshot the writer took to write.
func (s *Session) Baseline() uint32 { return s.lastTaken.Load() }

// signal tells the writer there is work, starting one when none runs. Callers publish the work under mu first.
func (s *Session) signal() {
	if s.running.CompareAndSwap(false, true) {
		go s.writeFn()
		return
	}
	select {
	case s.wake <- struct{}{}:
	default: // already signalled: the writer will see everything under mu
	}
}

// idleLocked reports whether a writer has nothing to do: no direct write leaves work behind for it (busy: the direct
// write signals when it does), and nothing is queued, pending, left over or closing. mu must be held.
func (s *Session) idleLocked() bool {
	return s.busy || (s.pending == nil && len(s.queue) == 0 && s.rest == nil && !s.closing)
}

// stopIdle ends the running writer's turn when there is no work: true means the writer must return. Work published
// before its check is found (and the writer goes on); work published after it starts a new writer (signal sees
// running clear).
func (s *Session) stopIdle() bool {
	s.mu.Lock()
	idle, resident := s.idleLocked(), s.resident
	s.mu.Unlock()
	if !idle {
		return false
	}
	if resident {
		<-s.wake // signal wakes it: running stays set
		return false
	}
	s.running.Store(false)
	s.mu.Lock()
	idle = s.idleLocked()
	s.mu.Unlock()
	// Work arrived between the two checks: carry on unless a new writer was started for it already.
	return idle || !s.running.CompareAndSwap(false, true)
}

// OfferSnapshot hands the writer a shared snapshot; an unsent one is replaced and released (latest wins). Too many
// replacements in a row mean the client is not reading: the session is closed with CodeSlowConsumer.
func (s *Session) OfferSnapshot(f *room.Frame, tail room.Tail) {
	s.mu.Lock()
	if !s.closing && !s.busy && s.pending == nil && len(s.queue) == 0 && s.rest == nil {
		s.busy = true
		s.skipped = 0
		s.mu.Unlock()
		s.writeDirect(f, tail)
		return
	}
	if s.closing {
		s.mu.Unlock()
		s.cfg.Metrics.Drop(metrics.DropClosed)
		f.Release()
		return
	}
	old := s.pending
	s.pending, s.pendingTail = f, tail
	slow := false
	if old != nil {
		s.skipped++
		if s.skipped > s.cfg.MaxSkipped {
			slow = true
			s.closeLocked(CodeSlowConsumer, "client is not reading its snapshots")
		}
	}
	s.mu.Unlock()
	if old != nil {
		old.Release()
		s.cfg.Metrics.Drop(metrics.DropReplaced)
	}
	if slow {
		s.cfg.Metrics.Drop(metrics.DropSkipLimit)
		// The writer is stuck in a write the client does not drain: end that write now rather than at its deadline.
		_ = s.conn.SetWriteDeadline(time.Now())
	}
	s.signal()
}

// writeDirect writes a snapshot from the caller's goroutine (the room's, at its tick) when the writer is idle: one
// non-blocking write, which on a healthy connection takes the whole frame and saves the writer goroutine's wake-up.
// Whatever the socket does not take is left to the writer, which writes it before anything else, so the stream stays
// whole. It never blocks. The caller has set busy.
func (s *Session) writeDirect(f *room.Frame, tail room.Tail) {
	var b []byte
	var bp *[]byte
	prev := s.lastTaken.Load()
	if f.Baseline == 0 || f.Baseline == prev {
		s.lastTaken.Store(f.Tick)
		bp = writeBufs.Get().(*[]byte)
		var raw bool
		b, raw = s.conn.AppendHeader((*bp)[:0], len(f.Data)+tailLen(tail))
		if raw {
			b = appendTail(append(b, f.Data...), tail)
		} else {
			b = nil
		}
	} else {
		s.cfg.Metrics.Drop(metrics.DropStaleBaseline)
		f.Release()
		s.mu.Lock()
		s.busy = false
		wake := s.pending != nil || len(s.queue) > 0 || s.closing
		s.mu.Unlock()
		if wake {
			s.signal()
		}
		return
	}
	n, ok, err := 0, false, error(nil)
	if b != nil {
		n, ok, err = s.conn.TryWrite(b)
	}
	s.mu.Lock()
	s.busy = false
	switch {
	case !ok:
		// No attempt was made: the writer takes the frame as usual (it was not written, so lastTaken goes back).
		s.resident = true
		s.lastTaken.Store(prev)
		if s.pending == nil && !s.closing {
			s.pending, s.pendingTail = f, tail
			f = nil
		}
	case err != nil:
		s.closing, s.aborted = true, true
	case n < len(b):
		s.rest = append(s.restBuf[:0], b[n:]...)
		s.restBuf = s.rest[:0]
	}
	wake := s.pending != nil || len(s.queue) > 0 || s.closing || s.rest != nil
	s.mu.Unlock()
	if b == nil {
		b = *bp
	}
	putBuf(bp, b)
	if f != nil {
		if ok && err == nil {
			s.cfg.Metrics.Wrote(len(f.Data)+tailLen(tail), true)
		}
		f.Release()
	}
	if err != nil {
		s.cfg.Metrics.Drop(metrics.DropWriteError)
		s.conn.Abort()
	}
	if wake {
		s.signal()
	}
}

// Field numbers of the per-player ServerFrame fields appended to a shared snapshot.
const (
	fieldInputLead    = 14 // input_lead_us, sint32
	fieldLastInputSeq = 15 // last_input_seq, uint32
)

// maxTailLen bounds tailLen: two one-byte tags and two varints of at most 5 bytes.
const maxTailLen = 12

// tailLen is the size of the per-player fields appended to a shared snapshot.
func tailLen(t room.Tail) int {
	n := 0
	if t.HasLead {
		n += 1 + protowire.SizeVarint(protowire.EncodeZigZag(int64(t.InputLeadUS)))
	}
	if t.LastInputSeq != 0 {
		n += 1 + protowire.SizeVarint(uint64(t.LastInputSeq))
	}
	return n
}

// appendTail appends the per-player fields: input_lead_us (14) when a report is due, then last_input_seq (15)
// unless 0. Protobuf allows any field order; this one is fixed so that the bytes are predictable.
func appendTail(b []byte, t room.Tail) []byte {
	if t.HasLead {
		b = protowire.AppendTag(b, fieldInputLead, protowire.VarintType)
		b = protowire.AppendVarint(b, protowire.EncodeZigZag(int64(t.InputLeadUS)))
	}
	if t.LastInputSeq != 0 {
		b = protowire.AppendTag(b, fieldLastInputSeq, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(t.LastInputSeq))
	}
	return b
}

// SendReliable queues an encoded ServerFrame that must not be dropped. It returns false when the bounded queue is
// full (the caller closes the session with CodeSlowConsumer). The session never modifies b.
func (s *Session) SendReliable(b []byte) bool {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return true // being closed anyway: nothing more will be written, and this is not the client's fault
	}
	if len(s.queue) >= s.cfg.OutboundQueue {
		s.mu.Unlock()
		s.cfg.Metrics.Drop(metrics.DropQueueFull)
		return false
	}
	s.queue = append(s.queue, b)
	s.mu.Unlock()
	s.signal()
	return true
}

// Close writes what is queued (except for a slow consumer), then a Disconnect{code, reason} frame, then closes the
// WebSocket with code. Only the first Close counts. It never blocks.
func (s *Session) Close(code uint16, reason string) {
	s.mu.Lock()
	first := !s.closing
	s.closeLocked(code, reason)
	s.mu.Unlock()
	if first && code == CodeSlowConsumer {
		// The writer may be stuck in a write the client does not drain: end it now rather than at its deadline.
		_ = s.conn.SetWriteDeadline(time.Now())
	}
	s.signal()
}

func (s *Session) closeLocked(code uint16, reason string) {
	if s.closing {
		return
	}
	s.closing, s.closeCode, s.closeReason = true, code, reason
}

// CloseCode returns the code the session was closed with (0: not closed, or only aborted).
func (s *Session) CloseCode() uint16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeCode
}

// Abort stops the writer without writing anything more: the connection is already gone.
func (s *Session) Abort() {
	s.mu.Lock()
	if !s.closing {
		s.closing = true
	}
	s.aborted = true
	s.mu.Unlock()
	s.signal()
}

// writer is the goroutine that writes to the socket while there is work; it returns when idle, or for good after
// the close frame or an abort (closing done). Only one runs at a time (running).
func (s *Session) writer() {
	for {
		select {
		case <-s.wake: // whatever signalled is seen under mu below
		default:
		}
		if s.turn() {
			close(s.done)
			return
		}
		if s.stopIdle() {
			return
		}
	}
}

// turn writes what there is now; true means the session is over (the writer stops for good and running stays set,
// so no other writer starts).
func (s *Session) turn() bool {
	s.mu.Lock()
	if s.busy {
		s.mu.Unlock()
		return false // a direct write is under way; it wakes the writer again when it leaves work behind
	}
	rest := s.rest
	s.rest = nil
	clear(s.spare) // the previous batch: let the frames go
	batch := s.queue
	s.queue, s.spare = s.spare[:0], batch
	f, tail := s.pending, s.pendingTail
	s.pending = nil
	if f != nil {
		s.skipped = 0
	}
	closing, aborted, code, reason := s.closing, s.aborted, s.closeCode, s.closeReason
	s.busy = true
	s.mu.Unlock()
	err := s.writeRest(rest, aborted)

	if aborted || err != nil {
		if f != nil {
			f.Release()
		}
		if err != nil {
			s.cfg.Metrics.Drop(metrics.DropWriteError)
			s.conn.Abort()
		}
		s.finish()
		return true
	}
	if closing && code == CodeSlowConsumer {
		batch = batch[:0] // the client is not reading: do not wait for it to drain the queue
	}
	if f != nil && closing {
		f.Release()
		f = nil
	}
	err = s.flush(batch, f, tail)
	if f != nil {
		f.Release()
	}
	if err == nil && !closing {
		err = s.disarmDeadline()
	}
	s.mu.Lock()
	s.busy = false
	s.mu.Unlock()
	if err != nil {
		s.cfg.Metrics.Drop(metrics.DropWriteError)
		s.conn.Abort()
		s.finish()
		return true
	}
	if closing {
		s.writeClose(code, reason)
		s.finish()
		return true
	}
	return false
}

// disarmDeadline clears the write deadline after the writer's writes: a direct write (OfferSnapshot) never waits,
// and a deadline left armed would fail it once passed.
func (s *Session) disarmDeadline() error {
	if s.deadlineAt.IsZero() {
		return nil
	}
	s.deadlineAt = time.Time{}
	return s.conn.SetWriteDeadline(time.Time{})
}

// writeRest writes the part of a direct write that the socket did not take, before anything else.
func (s *Session) writeRest(rest []byte, aborted bool) error {
	if len(rest) == 0 || aborted {
		return nil
	}
	if err := s.armDeadline(); err != nil {
		return err
	}
	return s.conn.Write(rest)
}

// finish releases what is still pending once the writer has stopped; later offers are released by OfferSnapshot.
func (s *Session) finish() {
	s.mu.Lock()
	s.closing = true
	f := s.pending
	s.pending = nil
	clear(s.queue)
	clear(s.spare)
	s.mu.Unlock()
	if f != nil {
		f.Release()
	}
}

// maxKeptBuf is the largest write buffer a session keeps between writes; a burst beyond it is written from a
// buffer that is let go afterwards, so that one burst does not pin memory for the session's lifetime.
const maxKeptBuf = 16 << 10

// flush writes the reliable frames of batch, then the snapshot f (unless its baseline is not the last snapshot
// written here: the client could not decode it), with this player's tail appended. When the connection
// lets the writer frame messages, everything goes out in one write system call.
func (s *Session) flush(batch [][]byte, f *room.Frame, tail room.Tail) error {
	if f != nil && f.Baseline != 0 && f.Baseline != s.lastTaken.Load() {
		s.cfg.Metrics.Drop(metrics.DropStaleBaseline)
		f = nil
	}
	if f != nil {
		s.lastTaken.Store(f.Tick)
	}
	if len(batch) == 0 && f == nil {
		return nil
	}
	var tb [maxTailLen]byte
	t := tb[:0]
	if f != nil {
		t = appendTail(t, tail)
	}
	return s.flushIn(writeBufs.Get().(*[]byte), batch, f, t)
}

// flushIn is flush with a borrowed buffer, which it gives back.
func (s *Session) flushIn(bp *[]byte, batch [][]byte, f *room.Frame, t []byte) error {
	b, raw := (*bp)[:0], true
	for _, p := range batch {
		if b, raw = s.conn.AppendHeader(b, len(p)); !raw {
			break
		}
		b = append(b, p...)
	}
	if raw && f != nil {
		b, raw = s.conn.AppendHeader(b, len(f.Data)+len(t))
		b = append(append(b, f.Data...), t...)
	}
	if err := s.armDeadline(); err != nil {
		putBuf(bp, b)
		return err
	}
	if !raw {
		b, err := s.writeMessages(b, batch, f, t)
		putBuf(bp, b)
		return err
	}
	err := s.conn.Write(b)
	putBuf(bp, b)
	if err != nil {
		return err
	}
	for _, p := range batch {
		s.cfg.Metrics.Wrote(len(p), false)
	}
	if f != nil {
		s.cfg.Metrics.Wrote(len(f.Data)+len(t), true)
	}
	return nil
}

// writeMessages writes one message at a time, for connections that frame messages themselves. buf is scratch space
// for the snapshot and its tail; it returns buf, possibly grown.
func (s *Session) writeMessages(buf []byte, batch [][]byte, f *room.Frame, tail []byte) ([]byte, error) {
	for _, p := range batch {
		if err := s.conn.WriteMessage(p); err != nil {
			return buf, err
		}
		s.cfg.Metrics.Wrote(len(p), false)
	}
	if f != nil {
		buf = append(append(buf[:0], f.Data...), tail...)
		if err := s.conn.WriteMessage(buf); err != nil {
			return buf, err
		}
		s.cfg.Metrics.Wrote(len(buf), true)
	}
	return buf, nil
}

// armDeadline keeps the write deadline between WriteTimeout/2 and WriteTimeout ahead without re-arming the timer
// on every write.
func (s *Session) armDeadline() error {
	now := time.Now()
	if s.deadlineAt.Sub(now) < s.cfg.WriteTimeout/2 {
		s.deadlineAt = now.Add(s.cfg.WriteTimeout)
		return s.conn.SetWriteDeadline(s.deadlineAt)
	}
	return nil
}

func (s *Session) writeClose(code uint16, reason string) {
	s.deadlineAt = time.Now().Add(s.cfg.CloseTimeout)
	if s.conn.SetWriteDeadline(s.deadlineAt) == nil {
		if d := DisconnectFrame(code, reason); s.conn.WriteMessage(d) == nil {
			s.cfg.Metrics.Wrote(len(d), false)
		}
	}
	s.conn.CloseWith(code, reason)
}

// Reconnectable reports whether a client closed with code may reconnect and resume.
func Reconnectable(code uint16) bool {
	return code == 1001 || code == 1011 || (code >= 4000 && code < 4500)
}

// DisconnectFrame encodes ServerFrame{disconnect{code, reason, reconnect}}.
func DisconnectFrame(code uint16, reason string) []byte {
	b, _ := proto.Marshal(&pb.ServerFrame{Msg: &pb.ServerFrame_Disconnect{Disconnect: &pb.Disconnect{
		Code: uint32(code), Reason: reason, Reconnect: Reconnectable(code)}}})
	return b
}
