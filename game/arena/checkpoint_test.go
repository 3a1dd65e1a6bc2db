package arena

import (
	"errors"
	"slices"
	"testing"

	"github.com/tickwire/tickwire/game"
)

// A restored arena goes on exactly as the one that made the checkpoint: the same entities every tick, respawns
// (the random generator) included.
func TestCheckpointRestore(t *testing.T) {
	const players = 8
	a := newTestArena(t, 5, players)
	w := newWorkload(6, players)
	var ev game.Events
	tick := game.Tick(0)
	for range 200 {
		tick++
		runTick(a, w, tick, &ev)
	}
	state := a.Checkpoint()
	b := newTestArena(t, 5, players)
	if err := b.Restore(state); err != nil {
		t.Fatal(err)
	}
	if got := b.Checkpoint(); !slices.Equal(got, state) {
		t.Fatal("the restored arena checkpoints differently")
	}
	for range 300 {
		tick++
		bots := w.next()
		for i, bt := range bots {
			a.ApplyInput(tick, bt.id, &w.players[i].in)
			b.ApplyInput(tick, bt.id, &w.players[i].in)
		}
		ev.Reset()
		a.Step(tick, &ev)
		ev.Reset()
		b.Step(tick, &ev)
		ea, eb := a.AppendEntities(nil), b.AppendEntities(nil)
		if !slices.Equal(ea, eb) {
			t.Fatalf("tick %d: the restored arena differs", tick)
		}
	}
	for n := range len(state) {
		if err := newTestArena(t, 5, players).Restore(state[:n]); !errors.Is(err, ErrBadCheckpoint) {
			t.Fatalf("a checkpoint cut to %d bytes: %v", n, err)
		}
	}
}

// BenchmarkArenaCheckpoint is one Checkpoint and one Restore of a 16-player arena in steady state; it reports the
// checkpoint's size.
func BenchmarkArenaCheckpoint(b *testing.B) {
	const players = 16
	a := newTestArena(b, 1, players)
	w := newWorkload(2, players)
	var ev game.Events
	for tick := game.Tick(1); tick <= 300; tick++ {
		runTick(a, w, tick, &ev)
	}
	c := newTestArena(b, 1, players)
	var size int
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		state := a.Checkpoint()
		size = len(state)
		if err := c.Restore(state); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(size), "checkpoint-B")
}
