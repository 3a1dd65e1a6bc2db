package room

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
)

// benchSink is a session's outbound slot without a socket: the latest snapshot wins, and a writer that keeps up takes
// it at once (recording it as the baseline, dropping stale ones) and releases it.
type benchSink struct {
	lastTaken atomic.Uint32
	bytes     int // snapshot payload + last_input_seq tail + WebSocket header
	frames    int
	reliable  int
}

func (s *benchSink) OfferSnapshot(f *Frame, tail Tail) {
	if f.Baseline == 0 || f.Baseline == s.lastTaken.Load() {
		s.lastTaken.Store(f.Tick)
		n := len(f.Data) + 1 + uvarintLen(tail.LastInputSeq)
		if tail.HasLead {
			n += 1 + uvarintLen(uint32(tail.InputLeadUS<<1^tail.InputLeadUS>>31))
		}
		s.bytes += n + wsHeader(n)
		s.frames++
	}
	f.Release()
}

func (s *benchSink) SendReliable(b []byte) bool { s.reliable += len(b) + wsHeader(len(b)); return true }
func (s *benchSink) Baseline() uint32           { return s.lastTaken.Load() }
func (s *benchSink) Close(uint16, string)       {}

func uvarintLen(v uint32) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// joinBots seats n bot players in r, each with its own sink.
func joinBots(tb testing.TB, r *Room, n int) ([]game.PlayerID, []*benchSink, []*bot) {
	ids := make([]game.PlayerID, n)
	sinks := make([]*benchSink, n)
	bots := make([]*bot, n)
	for i := range n {
		sinks[i] = &benchSink{}
		ids[i] = directJoin(tb, r, sinks[i], "bot")
		bots[i] = newBot(uint64(i + 1))
	}
	return ids, sinks, bots
}

// benchRoom is an arena room of n players driven without its goroutine, with one bot per player. Its stall watchdog
// is on, as the server runs rooms, so that each tick pays the watchdog's part (the watching goroutine is not started).
func benchRoom(tb testing.TB, n int) (*Room, []game.PlayerID, []*benchSink, []*bot) {
	r, err := New(Config{ID: "bench", Clock: newFakeClock(), EmptyTimeout: time.Hour, StallTimeout: 2 * time.Second},
		newArena(tb, 3, nil))
	if err != nil {
		tb.Fatal(err)
	}
	ids, sinks, bots := joinBots(tb, r, n)
	return r, ids, sinks, bots
}

// BenchmarkRoomTick is one tick of a 16-player arena room under the standard workload: inputs filed and applied,
// Step, world snapshot, hash when due, delta encoding, hand-off to 16 sinks and events.
func BenchmarkRoomTick(b *testing.B) {
	const players = 16
	r, ids, sinks, bots := benchRoom(b, players)
	tick := func() {
		for i, bt := range bots {
			directInput(r, ids[i], sinks[i], bt.next())
		}
		r.step()
	}
	benchTicks(b, players, tick)
}

// inputOnlySim is a lineSim whose ApplyInput only stores the value: the engine's input path without the game's.
type inputOnlySim struct{ *lineSim }

func (s inputOnlySim) ApplyInput(_ game.Tick, p game.PlayerID, in *game.Input) {
	s.vx[p] = in.Values[0]
}

// BenchmarkInputPath is the engine's input work for one tick of 16 players, without the game's: each player's input
// filed from the inbox (lead, checks, clamping, buffer) and handed to the Sim from the buffer, with the counts
// reported. Every input is real; see BenchmarkRoomTick for a whole tick.
func BenchmarkInputPath(b *testing.B) {
	const players = 16
	r, err := New(Config{ID: "bench", Clock: newFakeClock(), EmptyTimeout: time.Hour}, inputOnlySim{newLineSim()})
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]game.PlayerID, players)
	sinks := make([]*benchSink, players)
	for i := range players {
		sinks[i] = &benchSink{}
		ids[i] = directJoin(b, r, sinks[i], "p")
	}
	seq := uint32(0)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		seq++
		now := r.cfg.Clock.Now()
		for i := range players {
			it := inboxItem{kind: itemInput, player: ids[i], sink: sinks[i], arrival: r.stamp(now),
				in: game.Input{Seq: seq, Tick: game.Tick(r.tick + 1), Values: [8]int32{int32(seq%3) - 1}}}
			r.handleItem(&it)
		}
		r.tick++
		r.applyInputs(r.tick, now)
		r.reportInputs()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/players, "ns/player-tick")
}

// benchTicks warms the room up with tick (pools, history and projectile counts reach steady state), then times it,
// reporting allocations and the cost per player-tick.
func benchTicks(b *testing.B, players int, tick func()) {
	for range 300 {
		tick()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		tick()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(players), "ns/player-tick")
}
