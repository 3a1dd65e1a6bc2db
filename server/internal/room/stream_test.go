package room

import (
	"fmt"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
)

// copyStreamer is a Streamer that keeps what it is given, as a real one copies it into its chunk buffers.
type copyStreamer struct {
	buf      []byte
	entries  int
	seats    map[game.PlayerID][]byte
	snaps    []*Export
	due      bool
	ended    int
	exported bool
}

func (s *copyStreamer) Entries(b []byte, _ uint32) { s.buf = append(s.buf[:0], b...); s.entries++ }
func (s *copyStreamer) Seat(id game.PlayerID, token []byte) {
	s.seats[id] = append([]byte(nil), token...)
}
func (s *copyStreamer) Snapshot(ex *Export)       { s.snaps = append(s.snaps, ex) }
func (s *copyStreamer) SnapshotDue(_ uint32) bool { return s.due }
func (s *copyStreamer) End(exported bool)         { s.ended++; s.exported = exported }

// streamRoom is an arena room of n players streaming to s, driven without its goroutine.
func streamRoom(tb testing.TB, n int, s *copyStreamer) (*Room, []game.PlayerID, func()) {
	gc := game.Config{Seed: 3, TickRate: 30, MaxPlayers: n}
	sim, err := arena.Factory(gc)
	if err != nil {
		tb.Fatal(err)
	}
	r, err := New(Config{ID: "stream", Clock: newFakeClock(), EmptyTimeout: time.Hour, MaxPlayers: n, Game: gc,
		CheckpointEvery: 1 << 30, JournalTail: 1 << 30, Stream: func(string) Streamer { return s }}, sim)
	if err != nil {
		tb.Fatal(err)
	}
	ids, sinks, bots := joinBots(tb, r, n)
	return r, ids, func() {
		for i, bt := range bots {
			directInput(r, ids[i], sinks[i], bt.next())
		}
		r.step()
	}
}

// A streamed room hands over a snapshot at its first tick, then every tick's entries; when the Streamer asks, it
// checkpoints and hands over a snapshot that Import continues exactly (the same tick and world hash).
func TestStreamSnapshotsAndEntries(t *testing.T) {
	s := &copyStreamer{seats: map[game.PlayerID][]byte{}}
	r, _, tick := streamRoom(t, 4, s)
	for range 5 {
		tick()
	}
	if len(s.snaps) != 1 || s.snaps[0].Tick != 1 {
		t.Fatalf("snapshots %d (want 1, at tick 1)", len(s.snaps))
	}
	if s.entries != 4 {
		t.Errorf("%d entry hand-overs after the first snapshot, want 4", s.entries)
	}
	s.due = true
	tick()
	s.due = false
	if len(s.snaps) != 2 {
		t.Fatalf("snapshots %d after SnapshotDue, want 2", len(s.snaps))
	}
	ex := s.snaps[1]
	if ex.Tick != r.tick || ex.Hash != r.j.lastHash || len(ex.Players) != 4 {
		t.Errorf("snapshot tick %d hash %x players %d, room at %d %x", ex.Tick, ex.Hash, len(ex.Players), r.tick,
			r.j.lastHash)
	}
	_, gc, err := ex.Game()
	if err != nil {
		t.Fatal(err)
	}
	sim, _ := arena.Factory(gc)
	ex.Recovered, ex.LostTicks = true, 3
	r2, err := Import(Config{Clock: newFakeClock(), EmptyTimeout: time.Hour, MaxPlayers: 4}, sim, ex)
	if err != nil {
		t.Fatal(err)
	}
	if r2.tick != ex.Tick || !r2.recovered || r2.lostTicks != 3 {
		t.Errorf("imported at tick %d recovered %v lost %d", r2.tick, r2.recovered, r2.lostTicks)
	}
}

// BenchmarkStreamTick is a whole room tick with its journal streamed (to a Streamer that copies it, as the cluster's
// does), at 16 players: with -benchmem, streaming allocates nothing per tick. Compare with BenchmarkJournalTick.
func BenchmarkStreamTick(b *testing.B) {
	for _, n := range []int{16, 256} {
		b.Run(fmt.Sprintf("players=%d", n), func(b *testing.B) {
			s := &copyStreamer{seats: map[game.PlayerID][]byte{}, buf: make([]byte, 0, 1<<20)}
			_, _, tick := streamRoom(b, n, s)
			for range 300 {
				tick()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				tick()
			}
		})
	}
}
