package room

import (
	"fmt"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/server/internal/journal"
)

// journalRoom is an arena room of n players recording to a Dir, driven without its goroutine.
func journalRoom(b *testing.B, n int) (*Room, func()) {
	d, err := journal.OpenDir(journal.DirConfig{Path: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(d.Close)
	gc := game.Config{Seed: 3, TickRate: 30, MaxPlayers: n}
	sim, err := arena.Factory(gc)
	if err != nil {
		b.Fatal(err)
	}
	r, err := New(Config{ID: "bench", Clock: newFakeClock(), EmptyTimeout: time.Hour, MaxPlayers: n, Game: gc,
		Journal: d, CheckpointEvery: 1 << 30, JournalTail: 1 << 30}, sim)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]game.PlayerID, n)
	sinks := make([]*benchSink, n)
	bots := make([]*bot, n)
	for i := range n {
		sinks[i] = &benchSink{}
		ids[i] = directJoin(b, r, sinks[i], "bot")
		bots[i] = newBot(uint64(i + 1))
	}
	return r, func() {
		for i, bt := range bots {
			directInput(r, ids[i], sinks[i], bt.next())
		}
		r.step()
	}
}

// BenchmarkJournalTick is a whole room tick with the journal recorded to files, at 16 and 256 players: it reports
// the journal's bytes per tick and, with -benchmem, that recording allocates nothing per tick. Compare with
// BenchmarkJournalCost for the journal's own share.
func BenchmarkJournalTick(b *testing.B) {
	for _, n := range []int{16, 256} {
		b.Run(fmt.Sprintf("players=%d", n), func(b *testing.B) {
			r, tick := journalRoom(b, n)
			for range 300 {
				tick()
			}
			start, bytes := r.tick, 0
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				n0 := len(r.j.enc.Buf)
				tick()
				bytes += len(r.j.enc.Buf) - n0
			}
			b.ReportMetric(float64(bytes)/float64(r.tick-start), "journal-B/tick")
		})
	}
}

// BenchmarkJournalCost is the journal's own work for one tick of 16 and 256 players: encoding the tick's entries
// (begin, one input per player, step) and hashing the world, then handing the bytes to the recorder.
func BenchmarkJournalCost(b *testing.B) {
	for _, n := range []int{16, 256} {
		b.Run(fmt.Sprintf("players=%d", n), func(b *testing.B) {
			r, tick := journalRoom(b, n)
			for range 300 {
				tick()
			}
			w := &r.world
			in := make([]game.Input, n)
			for i := range in {
				in[i] = game.Input{Seq: 1000 + uint32(i), Tick: game.Tick(r.tick), View: game.Tick(r.tick - 2),
					ViewFrac: 100, Values: [game.MaxInputValues]int32{1, -1, 40000, 1}}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				r.j.enc.Buf, r.j.sent = r.j.enc.Buf[:0], 0
				r.beginTick(r.tick)
				for i := range in {
					e := r.entry(journal.KindInput)
					e.Player.ID, e.Input = game.PlayerID(i+1), in[i]
					r.j.enc.Append(e)
				}
				r.j.enc.Append(r.entry(journal.KindStep))
				r.endTick(w)
			}
		})
	}
}

// BenchmarkRoomCheckpoint is one checkpoint of a 16-player arena room: the arena's state and the room's world
// history (HistorySize ticks), encoded. It reports the checkpoint's bytes.
func BenchmarkRoomCheckpoint(b *testing.B) {
	r, tick := journalRoom(b, 16)
	for range 300 {
		tick()
	}
	r.j.ckpt = r.sim.(game.Checkpointer)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r.checkpoint()
	}
	b.ReportMetric(float64(len(r.j.enc.Buf)), "checkpoint-B")
	r.j.sent = len(r.j.enc.Buf)
}
