package cluster

import (
	"context"
	"encoding/binary"
	"log/slog"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/tickwire/tickwire/server/internal/directory"
	"github.com/tickwire/tickwire/server/internal/session"
)

// Entries gathers flushTicks ticks into one chunk, numbered within its generation, that ends at a tick boundary.
func TestRoomStreamChunks(t *testing.T) {
	s := &streamer{ch: make(chan streamItem, 8), flush: 100 * time.Millisecond, every: time.Hour}
	rs := &roomStream{s: s, free: make(chan []byte, chunkBuffers), flushTicks: 3, everyTicks: 1 << 30, gen: 7}
	for tick := uint32(1); tick <= 7; tick++ {
		rs.Entries([]byte{byte(tick)}, tick)
	}
	if len(s.ch) != 2 {
		t.Fatalf("%d chunks queued, want 2", len(s.ch))
	}
	for want := uint32(0); want < 2; want++ {
		it := <-s.ch
		b := it.buf
		if gen, seq, last := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint32(b[8:]),
			binary.LittleEndian.Uint32(b[12:]); gen != 7 || seq != want || last != 3*(want+1) {
			t.Errorf("chunk %d: gen %d seq %d last tick %d", want, gen, seq, last)
		}
		if got := b[chunkHeader:]; len(got) != 3 || got[0] != byte(3*want+1) {
			t.Errorf("chunk %d: entries %v", want, got)
		}
	}
	// A full queue drops the chunk, breaks the stream until the next snapshot and asks for one.
	for range cap(s.ch) {
		s.ch <- streamItem{}
	}
	for tick := uint32(8); tick <= 10; tick++ {
		rs.Entries([]byte{1}, tick)
	}
	if !rs.broken || s.dropped.Load() != 1 || !rs.SnapshotDue(10) {
		t.Errorf("broken %v dropped %d due %v after a full queue", rs.broken, s.dropped.Load(), rs.SnapshotDue(10))
	}
}

// BenchmarkStreamEntries is the room-side cost of streaming one tick's journal (1 KiB, about 16 arena players):
// copied into a chunk buffer, a chunk queued every 3 ticks (taken off the queue here at once, as a publisher that
// keeps up does). With -benchmem: nothing allocated per tick.
func BenchmarkStreamEntries(b *testing.B) {
	s := &streamer{ch: make(chan streamItem, 64), flush: 100 * time.Millisecond, every: time.Hour}
	rs := &roomStream{s: s, room: "bench", free: make(chan []byte, chunkBuffers), flushTicks: 3,
		everyTicks: 1 << 30, gen: 1}
	entries := make([]byte, 1024)
	tick := uint32(0)
	b.SetBytes(int64(len(entries)))
	b.ReportAllocs()
	for b.Loop() {
		tick++
		rs.Entries(entries, tick)
		select {
		case it := <-s.ch:
			rs.free <- it.buf
		default:
		}
	}
	if d := s.dropped.Load(); d != 0 {
		b.Fatalf("%d chunks dropped", d)
	}
}

// BenchmarkStreamPublish is the publisher's cost per chunk with an in-process NATS server (JetStream, memory
// storage): a room's 3 ticks of 1 KiB each, published and acknowledged. Divide by 3 for the cost per tick; it is
// spent on the node's publisher goroutine, never on the room's.
func BenchmarkStreamPublish(b *testing.B) {
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: natsserver.RANDOM_PORT,
		JetStream: true, StoreDir: b.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		b.Fatal(err)
	}
	go ns.Start()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(10 * time.Second) {
		b.Fatal("nats not ready")
	}
	load := NewLoadObserver(nil)
	dir := directory.New(directory.Config{Logger: slog.New(slog.DiscardHandler), Observer: load})
	n, err := New(Config{URL: ns.ClientURL(), NodeID: "bench", NodeAddr: "127.0.0.1:1",
		Logger: slog.New(slog.DiscardHandler)},
		Local{Dir: dir, Tokens: session.NewTokens(64, time.Minute, time.Minute), JoinTTL: time.Minute, Load: load})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Start(ctx, nil); err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	s := n.streams.Load()
	n.stop() // the benchmark drives the publisher itself
	rs := n.Stream("bench").(*roomStream)
	chunk := make([]byte, chunkHeader+3*1024)
	for range chunkBuffers {
		rs.free <- chunk
	}
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	for b.Loop() {
		s.publish(ctx, streamItem{rs: rs, kind: chunkEntries, buf: <-rs.free})
		s.reap(ctx, chunkBuffers-1)
	}
	s.reap(ctx, 0)
	if d := s.dropped.Load(); d != 0 {
		b.Fatalf("%d chunks lost", d)
	}
}
