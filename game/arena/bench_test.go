package arena

import (
	"testing"

	"github.com/tickwire/tickwire/game"
)

// BenchmarkArenaStep measures one tick of a 16-player arena under the standard workload: every player's input, the
// Step and the snapshot of the whole world. One op is one tick.
func BenchmarkArenaStep(b *testing.B) {
	const players = 16
	a := newTestArena(b, 1, players)
	w := newWorkload(2, players)
	var ev game.Events
	es := make([]game.Entity, 0, 256)
	tick := game.Tick(0)
	for range 300 { // reach steady state: projectiles in flight, buffers grown
		tick++
		runTick(a, w, tick, &ev)
		es = a.AppendEntities(es[:0])
	}
	b.ReportAllocs()
	b.ResetTimer()
	entities := 0
	for b.Loop() {
		tick++
		runTick(a, w, tick, &ev)
		es = a.AppendEntities(es[:0])
		entities += len(es)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/players, "ns/player-tick")
	b.ReportMetric(float64(entities)/float64(b.N), "entities/tick")
}

// TestTickAllocs requires a steady-state tick (inputs, Step, AppendEntities) to allocate nothing.
func TestTickAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	a := newTestArena(t, 1, 16)
	w := newWorkload(2, 16)
	var ev game.Events
	es := make([]game.Entity, 0, 256)
	tick := game.Tick(0)
	step := func() {
		tick++
		runTick(a, w, tick, &ev)
		es = a.AppendEntities(es[:0])
	}
	for range 300 {
		step()
	}
	if n := testing.AllocsPerRun(3000, step); n != 0 {
		t.Errorf("a steady-state tick allocates %v times, want 0", n)
	}
}
