package session

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	pb "github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/server/internal/metrics"
	"github.com/tickwire/tickwire/server/internal/room"
)

// fakeConn records what the writer writes. A write blocks while gate is held.
type fakeConn struct {
	gate    sync.Mutex
	mu      sync.Mutex
	msgs    [][]byte
	closed  uint16
	aborted bool
	writes  int
	failAt  int // the nth write fails (0: never)
	stream  []byte
	// direct: TryWrite accepts at most this many bytes per call (socket space); 0: TryWrite makes no attempt.
	direct int
	tried  int // TryWrite calls that made an attempt
	// deadline is the write deadline; like a real socket, a direct write fails once it has passed.
	deadline time.Time
}

func newFakeConn() *fakeConn { return &fakeConn{} }

// AppendHeader frames a message as a 4-byte big-endian length (the fake's own framing).
func (c *fakeConn) AppendHeader(dst []byte, n int) ([]byte, bool) {
	return binary.BigEndian.AppendUint32(dst, uint32(n)), true
}

// Write splits a batch into its messages.
func (c *fakeConn) Write(b []byte) error {
	c.gate.Lock()
	c.gate.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	if c.failAt > 0 && c.writes == c.failAt {
		return errors.New("broken pipe")
	}
	c.appendLocked(b)
	return nil
}

// appendLocked adds written bytes to the stream and splits off every complete message.
func (c *fakeConn) appendLocked(b []byte) {
	c.stream = append(c.stream, b...)
	for len(c.stream) >= 4 {
		n := int(binary.BigEndian.Uint32(c.stream))
		if len(c.stream) < 4+n {
			break
		}
		c.msgs = append(c.msgs, append([]byte(nil), c.stream[4:4+n]...))
		c.stream = c.stream[4+n:]
	}
}

// TryWrite takes up to direct bytes without blocking; none while gate is held (a full socket).
func (c *fakeConn) TryWrite(b []byte) (int, bool, error) {
	c.mu.Lock()
	limit := c.direct
	c.mu.Unlock()
	if limit == 0 {
		return 0, false, nil
	}
	if !c.gate.TryLock() {
		limit = 0
	} else {
		c.gate.Unlock()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.deadline.IsZero() && time.Now().After(c.deadline) {
		return 0, true, os.ErrDeadlineExceeded
	}
	c.tried++
	n := min(limit, len(b))
	c.appendLocked(b[:n])
	return n, true, nil
}

func (c *fakeConn) WriteMessage(p []byte) error {
	return c.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(p))), p...))
}

func (c *fakeConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return nil
}
func (c *fakeConn) CloseWith(code uint16, _ string) {
	c.mu.Lock()
	c.closed = code
	c.mu.Unlock()
}
func (c *fakeConn) Abort() {
	c.mu.Lock()
	c.aborted = true
	c.mu.Unlock()
}

func (c *fakeConn) snapshot() ([][]byte, uint16, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.msgs...), c.closed, c.aborted
}

func testSession(t *testing.T, conn *fakeConn) (*Session, *metrics.Metrics) {
	m := metrics.New()
	cfg := &Config{OutboundQueue: 4, MaxSkipped: 3, WriteTimeout: time.Second, CloseTimeout: time.Second, Metrics: m}
	s := New(cfg, conn)
	t.Cleanup(s.Abort)
	return s, m
}

func snapFrame(tick, base uint32) *room.Frame {
	b, _ := proto.Marshal(&pb.ServerFrame{Msg: &pb.ServerFrame_Snapshot{Snapshot: &pb.Snapshot{Tick: tick, BaselineTick: base}}})
	return &room.Frame{Tick: tick, Baseline: base, Data: b}
}

func waitWrites(t *testing.T, c *fakeConn, n int) [][]byte {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		msgs, _, _ := c.snapshot()
		if len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d writes, want %d", len(msgs), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func decode(t *testing.T, b []byte) *pb.ServerFrame {
	t.Helper()
	var f pb.ServerFrame
	if err := proto.Unmarshal(b, &f); err != nil {
		t.Fatalf("written frame does not decode: %v", err)
	}
	return &f
}

func TestWriterAppendsLastInputSeqAndTracksBaseline(t *testing.T) {
	conn := newFakeConn()
	s, m := testSession(t, conn)
	s.OfferSnapshot(snapFrame(1, 0), room.Tail{LastInputSeq: 0})
	waitWrites(t, conn, 1)
	if s.Baseline() != 1 {
		t.Fatalf("baseline %d after writing tick 1", s.Baseline())
	}
	s.OfferSnapshot(snapFrame(2, 1), room.Tail{LastInputSeq: 300})
	msgs := waitWrites(t, conn, 2)
	f := decode(t, msgs[1])
	if f.GetSnapshot().GetTick() != 2 || f.LastInputSeq != 300 {
		t.Fatalf("tick %d last_input_seq %d, want 2, 300", f.GetSnapshot().GetTick(), f.LastInputSeq)
	}
	if f0 := decode(t, msgs[0]); f0.LastInputSeq != 0 {
		t.Fatalf("seq 0 written as %d", f0.LastInputSeq)
	}
	// A delta against a tick this connection never got is dropped, not written.
	s.OfferSnapshot(snapFrame(3, 1), room.Tail{LastInputSeq: 301})
	deadline := time.Now().Add(2 * time.Second)
	for m.DropCount(metrics.DropStaleBaseline) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if s.Baseline() != 2 {
		t.Fatalf("baseline %d after a dropped stale delta, want 2", s.Baseline())
	}
	s.OfferSnapshot(snapFrame(4, 2), room.Tail{LastInputSeq: 302})
	waitWrites(t, conn, 3)
	msgs, _, _ = conn.snapshot()
	if len(msgs) != 3 || decode(t, msgs[2]).GetSnapshot().GetTick() != 4 {
		t.Fatalf("%d writes; want the stale tick 3 dropped and tick 4 written", len(msgs))
	}
	if m.DropCount(metrics.DropStaleBaseline) != 1 {
		t.Errorf("stale_baseline drops %d, want 1", m.DropCount(metrics.DropStaleBaseline))
	}
}

func TestLatestSnapshotWinsAndReliableGoesFirst(t *testing.T) {
	conn := newFakeConn()
	s, m := testSession(t, conn)
	conn.gate.Lock() // the writer stalls in its first write
	s.OfferSnapshot(snapFrame(1, 0), room.Tail{LastInputSeq: 1})
	time.Sleep(20 * time.Millisecond) // the writer has taken tick 1 and is stuck writing it
	s.OfferSnapshot(snapFrame(2, 1), room.Tail{LastInputSeq: 2})
	s.OfferSnapshot(snapFrame(3, 1), room.Tail{LastInputSeq: 3}) // replaces tick 2
	ev, _ := proto.Marshal(&pb.ServerFrame{Msg: &pb.ServerFrame_Event{Event: &pb.Event{Type: "hit"}}})
	if !s.SendReliable(ev) {
		t.Fatal("reliable refused")
	}
	conn.gate.Unlock()
	msgs := waitWrites(t, conn, 3)
	if decode(t, msgs[1]).GetEvent() == nil {
		t.Fatal("the reliable frame was not written before the pending snapshot")
	}
	if tick := decode(t, msgs[2]).GetSnapshot().GetTick(); tick != 3 {
		t.Fatalf("pending snapshot tick %d written, want the latest (3)", tick)
	}
	if m.DropCount(metrics.DropReplaced) != 1 {
		t.Errorf("replaced drops %d, want 1", m.DropCount(metrics.DropReplaced))
	}
	conn.mu.Lock()
	writes := conn.writes
	conn.mu.Unlock()
	if writes != 2 {
		t.Errorf("%d writes for tick 1 and then the event with tick 3, want 2 (one per batch)", writes)
	}
}

func TestSlowConsumerBounds(t *testing.T) {
	t.Run("skipped snapshots", func(t *testing.T) {
		conn := newFakeConn()
		s, m := testSession(t, conn)
		conn.gate.Lock()
		s.OfferSnapshot(snapFrame(1, 0), room.Tail{LastInputSeq: 0})
		time.Sleep(20 * time.Millisecond)
		for tick := uint32(2); tick <= 6; tick++ { // 1 pending + 4 replacements > MaxSkipped 3
			s.OfferSnapshot(snapFrame(tick, 1), room.Tail{LastInputSeq: 0})
		}
		if s.CloseCode() != CodeSlowConsumer {
			t.Fatalf("close code %d, want %d", s.CloseCode(), CodeSlowConsumer)
		}
		conn.gate.Unlock()
		<-s.Done()
		if _, code, _ := conn.snapshot(); code != CodeSlowConsumer {
			t.Fatalf("closed with %d", code)
		}
		if m.DropCount(metrics.DropSkipLimit) != 1 {
			t.Errorf("skip_limit drops %d", m.DropCount(metrics.DropSkipLimit))
		}
	})
	t.Run("reliable queue", func(t *testing.T) {
		conn := newFakeConn()
		s, _ := testSession(t, conn)
		conn.gate.Lock()
		defer conn.gate.Unlock()
		s.OfferSnapshot(snapFrame(1, 0), room.Tail{LastInputSeq: 0})
		time.Sleep(20 * time.Millisecond)
		for i := 0; i < 4; i++ {
			if !s.SendReliable([]byte{0x1a, 0}) {
				t.Fatalf("frame %d refused below the bound", i)
			}
		}
		if s.SendReliable([]byte{0x1a, 0}) {
			t.Fatal("frame over the bound accepted")
		}
	})
}

func TestCloseWritesQueueThenDisconnect(t *testing.T) {
	conn := newFakeConn()
	s, _ := testSession(t, conn)
	res, _ := proto.Marshal(&pb.ServerFrame{Msg: &pb.ServerFrame_MatchResult{MatchResult: &pb.MatchResult{Reason: "time_limit"}}})
	s.SendReliable(res)
	s.Close(4509, "match over")
	s.Close(4000, "ignored: the first close wins")
	<-s.Done()
	msgs, code, _ := conn.snapshot()
	if code != 4509 || len(msgs) != 2 {
		t.Fatalf("close %d after %d writes, want 4509 after 2", code, len(msgs))
	}
	if decode(t, msgs[0]).GetMatchResult() == nil {
		t.Fatal("match result not written first")
	}
	d := decode(t, msgs[1]).GetDisconnect()
	if d.GetCode() != 4509 || d.GetReconnect() {
		t.Fatalf("disconnect %+v", d)
	}
	// After the writer has stopped, offers are released and refused quietly.
	s.OfferSnapshot(snapFrame(9, 0), room.Tail{LastInputSeq: 0})
	if !s.SendReliable(res) {
		t.Fatal("SendReliable on a closed session must not report a full queue")
	}
}

func TestWriteErrorAborts(t *testing.T) {
	conn := newFakeConn()
	conn.failAt = 1
	s, m := testSession(t, conn)
	s.OfferSnapshot(snapFrame(1, 0), room.Tail{LastInputSeq: 0})
	<-s.Done()
	if _, _, aborted := conn.snapshot(); !aborted {
		t.Fatal("connection not aborted after a failed write")
	}
	if m.DropCount(metrics.DropWriteError) != 1 {
		t.Errorf("write_error drops %d", m.DropCount(metrics.DropWriteError))
	}
}

func TestReconnectable(t *testing.T) {
	for code, want := range map[uint16]bool{1001: true, 1011: true, 4000: true, 4001: true, 4002: true, 4499: true,
		1002: false, 1009: false, 4500: false, 4503: false, 4509: false} {
		if Reconnectable(code) != want {
			t.Errorf("Reconnectable(%d) = %v", code, !want)
		}
	}
}

// TestWritePathAllocatesNothing: offering a snapshot and writing it with its per-player tail allocates nothing in
// steady state. Not under the race detector: its sync.Pool drops a random quarter of the buffers put back (make runs
// the allocation tests without it).
func TestWritePathAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops buffers at random")
	}
	for _, direct := range []bool{false, true} {
		t.Run(fmt.Sprint("direct=", direct), func(t *testing.T) { testWritePathAllocs(t, direct) })
	}
}

func testWritePathAllocs(t *testing.T, direct bool) {
	conn := &countConn{done: make(chan struct{}, 1), direct: direct}
	m := metrics.New()
	s := New(&Config{OutboundQueue: 4, MaxSkipped: 3, WriteTimeout: time.Second, CloseTimeout: time.Second, Metrics: m}, conn)
	defer s.Abort()
	f := snapFrame(1, 0)
	f.Data = append(f.Data, make([]byte, 180)...)
	tick := uint32(1)
	s.OfferSnapshot(f, room.Tail{}) // tick 1, full
	<-conn.done
	allocs := testing.AllocsPerRun(500, func() {
		tick++
		f.Tick, f.Baseline = tick, tick-1 // a delta against the previous write
		s.OfferSnapshot(f, room.Tail{LastInputSeq: tick})
		<-conn.done
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per snapshot written, want 0", allocs)
	}
}

// countConn counts writes; with direct set, its TryWrite takes every frame (a writable socket), else it makes no
// attempt and the writer goroutine writes.
type countConn struct {
	done   chan struct{}
	direct bool
}

func (c *countConn) TryWrite(b []byte) (int, bool, error) {
	if !c.direct {
		return 0, false, nil
	}
	c.done <- struct{}{}
	return len(b), true, nil
}

func (c *countConn) AppendHeader(dst []byte, n int) ([]byte, bool) {
	return append(dst, 0x82, byte(n)), true
}
func (c *countConn) Write([]byte) error               { c.done <- struct{}{}; return nil }
func (c *countConn) WriteMessage([]byte) error        { c.done <- struct{}{}; return nil }
func (c *countConn) SetWriteDeadline(time.Time) error { return nil }
func (c *countConn) CloseWith(uint16, string)         {}
func (c *countConn) Abort()                           {}

// BenchmarkOfferAndWrite measures the cost of handing one snapshot to a session and writing it (without the socket).
func BenchmarkOfferAndWrite(b *testing.B) {
	for _, direct := range []bool{false, true} {
		b.Run(fmt.Sprint("direct=", direct), func(b *testing.B) { benchOfferAndWrite(b, direct) })
	}
}

func benchOfferAndWrite(b *testing.B, direct bool) {
	conn := &countConn{done: make(chan struct{}, 1), direct: direct}
	s := New(&Config{OutboundQueue: 4, MaxSkipped: 3, WriteTimeout: time.Second, CloseTimeout: time.Second, Metrics: metrics.New()}, conn)
	defer s.Abort()
	f := &room.Frame{Data: make([]byte, 200)}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		f.Tick = uint32(i + 1) // full snapshots: always written
		s.OfferSnapshot(f, room.Tail{LastInputSeq: uint32(i)})
		<-conn.done
	}
}

// TestDirectWriteFromOffer: with a writable socket, OfferSnapshot writes the snapshot itself; a socket that takes
// only part of a frame leaves the rest to the writer, which writes it before anything else, so every message
// arrives whole and in order, and each delta's baseline is the snapshot written before it.
func TestDirectWriteFromOffer(t *testing.T) {
	for _, limit := range []int{1 << 20, 7, 1} {
		t.Run(fmt.Sprint("socket takes ", limit), func(t *testing.T) {
			conn := newFakeConn()
			conn.direct = limit
			s, _ := testSession(t, conn)
			ev, _ := proto.Marshal(&pb.ServerFrame{Msg: &pb.ServerFrame_Event{Event: &pb.Event{Type: "e"}}})
			for tick := uint32(1); tick <= 30; tick++ {
				s.OfferSnapshot(snapFrame(tick, s.Baseline()), room.Tail{LastInputSeq: tick})
				if tick%5 == 0 && !s.SendReliable(ev) {
					t.Fatal("reliable queue full")
				}
				time.Sleep(time.Millisecond)
			}
			msgs := waitSettled(t, conn)
			var last uint32
			snaps, events := 0, 0
			for _, m := range msgs {
				f := decode(t, m)
				if f.GetEvent() != nil {
					events++
					continue
				}
				sn := f.GetSnapshot()
				if sn.Tick <= last || sn.BaselineTick != last || f.LastInputSeq != sn.Tick {
					t.Fatalf("snapshot %d (baseline %d, seq %d) after %d", sn.Tick, sn.BaselineTick, f.LastInputSeq, last)
				}
				last = sn.Tick
				snaps++
			}
			if snaps == 0 || events != 6 {
				t.Fatalf("%d snapshots and %d events arrived, want some and 6", snaps, events)
			}
			conn.mu.Lock()
			tried, rest := conn.tried, len(conn.stream)
			conn.mu.Unlock()
			if tried == 0 {
				t.Error("OfferSnapshot never tried a direct write")
			}
			if rest != 0 {
				t.Errorf("%d bytes of a partial message left in the stream", rest)
			}
		})
	}
}

// waitSettled waits until the fake's stream holds only whole messages and nothing changes for a while.
func waitSettled(t *testing.T, c *fakeConn) [][]byte {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	prev := -1
	for time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		c.mu.Lock()
		n, rest := len(c.msgs), len(c.stream)
		c.mu.Unlock()
		if n == prev && rest == 0 {
			break
		}
		prev = n
	}
	msgs, _, _ := c.snapshot()
	return msgs
}

// TestDirectWriteAfterWriterDeadline: the writer's write deadline does not outlive its writes, so a direct write long
// after the writer last wrote (a reliable frame) still goes out instead of failing on a stale deadline.
func TestDirectWriteAfterWriterDeadline(t *testing.T) {
	conn := newFakeConn()
	conn.direct = 1 << 20
	m := metrics.New()
	s := New(&Config{OutboundQueue: 4, MaxSkipped: 3, WriteTimeout: 20 * time.Millisecond, CloseTimeout: time.Second, Metrics: m}, conn)
	t.Cleanup(s.Abort)
	ev, _ := proto.Marshal(&pb.ServerFrame{Msg: &pb.ServerFrame_Event{Event: &pb.Event{Type: "e"}}})
	s.SendReliable(ev)
	waitWrites(t, conn, 1)
	time.Sleep(60 * time.Millisecond)
	s.OfferSnapshot(snapFrame(1, 0), room.Tail{LastInputSeq: 1})
	msgs := waitWrites(t, conn, 2)
	if f := decode(t, msgs[1]); f.GetSnapshot().GetTick() != 1 {
		t.Fatalf("second message = %v, want the snapshot", f)
	}
	if _, _, aborted := conn.snapshot(); aborted {
		t.Fatal("the session was aborted")
	}
}

// TestTailOnBothPaths: the per-player tail (input_lead_us when a report is due, then last_input_seq) follows the
// shared snapshot bytes, whether the room's call writes it directly or the writer goroutine does.
func TestTailOnBothPaths(t *testing.T) {
	tails := []room.Tail{
		{LastInputSeq: 5, InputLeadUS: -1234, HasLead: true},
		{InputLeadUS: 7, HasLead: true},
		{LastInputSeq: 9},
		{},
		{LastInputSeq: math.MaxUint32, InputLeadUS: math.MinInt32, HasLead: true},
		{LastInputSeq: 1, InputLeadUS: math.MaxInt32, HasLead: true},
	}
	for _, direct := range []int{0, 1 << 20} {
		t.Run(fmt.Sprint("direct ", direct != 0), func(t *testing.T) {
			conn := newFakeConn()
			conn.direct = direct
			s, m := testSession(t, conn)
			for i, tl := range tails {
				f := snapFrame(uint32(i+1), s.Baseline())
				shared := append([]byte(nil), f.Data...)
				s.OfferSnapshot(f, tl)
				msg := waitWrites(t, conn, i+1)[i]
				if !bytes.HasPrefix(msg, shared) || len(msg)-len(shared) != tailLen(tl) {
					t.Fatalf("tail %+v: %d bytes after the shared frame, want %d", tl, len(msg)-len(shared), tailLen(tl))
				}
				rest := msg[len(shared):]
				if tl.HasLead && (len(rest) == 0 || rest[0] != 14<<3) {
					t.Fatalf("tail %+v does not start with field 14: % x", tl, rest)
				}
				sf := decode(t, msg)
				if sf.GetLastInputSeq() != tl.LastInputSeq || sf.GetInputLeadUs() != tl.InputLeadUS*b2i(tl.HasLead) {
					t.Fatalf("decoded seq %d lead %d, want %+v", sf.GetLastInputSeq(), sf.GetInputLeadUs(), tl)
				}
			}
			conn.mu.Lock()
			tried := conn.tried
			conn.mu.Unlock()
			if (tried > 0) != (direct > 0) {
				t.Errorf("direct writes tried %d", tried)
			}
			if m.DropCount(metrics.DropStaleBaseline) != 0 {
				t.Error("a snapshot was dropped")
			}
		})
	}
}

func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// TestWriterStopsWhenIdle: on a connection that takes direct writes, the writer goroutine runs only while there is
// work (here reliable frames, which only the writer writes) and stops when it has written everything; the next
// frame starts a writer again. On a connection that takes none (TLS), the writer stays.
func TestWriterStopsWhenIdle(t *testing.T) {
	for _, direct := range []bool{true, false} {
		t.Run(fmt.Sprint("direct=", direct), func(t *testing.T) {
			conn := newFakeConn()
			if direct {
				conn.direct = 1 << 20
			}
			s, _ := testSession(t, conn)
			if s.running.Load() {
				t.Fatal("a writer runs before there is any work")
			}
			want := 0
			for round := range 3 {
				s.OfferSnapshot(snapFrame(uint32(round+1), 0), room.Tail{})
				for i := range 3 {
					if !s.SendReliable([]byte{byte(round), byte(i)}) {
						t.Fatal("queue full")
					}
				}
				want += 4
				deadline := time.Now().Add(5 * time.Second)
				for {
					msgs, _, _ := conn.snapshot()
					if len(msgs) == want && s.running.Load() != direct {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("round %d: %d of %d frames written, writer running %v", round, len(msgs), want,
							s.running.Load())
					}
					time.Sleep(time.Millisecond)
				}
			}
			s.Close(CodeGoingAway, "bye")
			select {
			case <-s.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("the writer did not finish after Close")
			}
		})
	}
}
