package room

import (
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
)

// nullSink is a connection that writes every snapshot at once: it releases the frame and reports its tick as the
// baseline, as a session keeping up does. It keeps nothing, so a room's memory can be measured alone.
type nullSink struct{ base atomic.Uint32 }

func (s *nullSink) OfferSnapshot(f *Frame, _ Tail) { s.base.Store(f.Tick); f.Release() }
func (s *nullSink) SendReliable([]byte) bool       { return true }
func (s *nullSink) Baseline() uint32               { return s.base.Load() }
func (s *nullSink) Close(uint16, string)           {}

// heapInUse is the heap in use after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestRoomMemoryPerPlayer measures what full arena rooms under the standard workload keep on the heap per player
// once their history is full: history, queues, pools, journal, the Sim. Connections are not included (the server's
// TestMemoryPerIdleConnection covers them). ROOM_HEAP_PROFILE=file writes where it goes.
func TestRoomMemoryPerPlayer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs eight rooms")
	}
	const rooms, per = 8, 16
	if os.Getenv("ROOM_HEAP_PROFILE") != "" {
		runtime.MemProfileRate = 1
	}
	before := heapInUse()
	type player struct {
		id   game.PlayerID
		sink *nullSink
		bot  *bot
	}
	clk := newFakeClock()
	t0 := clk.Now()
	rs := make([]*Room, rooms)
	ps := make([][]player, rooms)
	for k := range rs {
		r, err := New(Config{Mode: arena.Mode, ID: fmt.Sprintf("r%d", k), Clock: clk, Logger: slog.New(slog.DiscardHandler)},
			newArena(t, uint64(k+1), nil))
		if err != nil {
			t.Fatal(err)
		}
		rs[k] = r
		go r.Run()
		t.Cleanup(func() { r.End("test_cleanup"); <-r.Done() })
		for i := range per {
			s := &nullSink{}
			res, err := r.Join(t.Context(), JoinRequest{Sink: s, Name: "p", ResumeToken: fmt.Appendf(nil, "tok-%d-%d", k, i)})
			if err != nil {
				t.Fatal(err)
			}
			ps[k] = append(ps[k], player{res.Player, s, newBot(uint64(res.Player))})
		}
	}
	for n := 1; n <= 400; n++ { // past the history (64 ticks) and the first checkpoint (CheckpointEvery, 300)
		for k, r := range rs {
			for _, p := range ps[k] {
				in := p.bot.next()
				in.Tick = game.Tick(r.Info().Tick + 1)
				r.Input(p.id, p.sink, in, 0)
			}
		}
		clk.Advance(t0.Add(time.Duration(n) * time.Second / 30).Sub(clk.Now()))
		for _, r := range rs {
			r.sync()
		}
	}
	after := heapInUse()
	if p := os.Getenv("ROOM_HEAP_PROFILE"); p != "" { // where the memory goes: go tool pprof -sample_index=inuse_space
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		_ = pprof.WriteHeapProfile(f)
		_ = f.Close()
	}
	perPlayer := float64(after-before) / (rooms * per)
	t.Logf("heap in use per player: %.1f KiB (%d rooms of %d arena players)", perPlayer/1024, rooms, per)
	// About 19 KiB now: the packed history (32 ticks) 4.5, the inbox (InboxSize items of 88 bytes) 1.4, input buffers
	// 2, the journal since its checkpoint, the message queue 1.5. With a history of 64 ticks and an inbox of 1024
	// items of 112 bytes it was 34; with the history of []game.Entity over 60.
	if perPlayer > 30*1024 {
		t.Errorf("%.1f KiB per player, want at most 30 KiB", perPlayer/1024)
	}
}
