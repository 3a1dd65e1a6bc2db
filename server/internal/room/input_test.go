package room

import (
	"slices"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
)

func seqsApplied(sim *lineSim, tick game.Tick) []uint32 {
	var out []uint32
	for _, a := range sim.applied {
		if a.tick == tick {
			out = append(out, a.seq)
		}
	}
	return out
}

func TestInputOrderingAndLimits(t *testing.T) {
	sim := newLineSim()
	obs := newCountObserver()
	h := startRoom(t, Config{MaxInputsPerTick: 2, InputQueueSize: 4, Observer: obs}, sim)
	a, pa := h.join("a")
	in := func(seq uint32, dx int32) bool { return h.r.Input(pa, a, game.Input{Seq: seq, Values: [8]int32{dx}}) }

	// In order, more than a tick allows: two per tick, in sequence order.
	for seq := uint32(1); seq <= 3; seq++ {
		in(seq, 1)
	}
	h.ticks(1)
	if got := seqsApplied(sim, 1); !slices.Equal(got, []uint32{1, 2}) {
		t.Fatalf("tick 1 applied %v, want [1 2]", got)
	}
	// Duplicates of applied and of queued inputs, and an older one, are dropped.
	in(2, 1)
	in(3, 1)
	in(5, 1)
	in(4, 1)
	h.ticks(1)
	if got := seqsApplied(sim, 2); !slices.Equal(got, []uint32{3, 5}) {
		t.Fatalf("tick 2 applied %v, want [3 5]", got)
	}
	if d := obs.drops(DropDuplicate); d != 3 {
		t.Errorf("duplicates dropped %d, want 3", d)
	}
	// Flood: the queue holds 4, the rest is dropped; the room keeps two per tick.
	for seq := uint32(6); seq < 106; seq++ {
		in(seq, 1)
	}
	h.ticks(3)
	var all []uint32
	for tk := game.Tick(3); tk <= 5; tk++ {
		all = append(all, seqsApplied(sim, tk)...)
	}
	if !slices.Equal(all, []uint32{6, 7, 8, 9}) {
		t.Fatalf("after a flood applied %v, want [6 7 8 9]", all)
	}
	if d := obs.drops(DropQueueFull); d != 96 {
		t.Errorf("queue_full drops %d, want 96", d)
	}
	if got := a.lastSnap().lastSeq; got != 9 {
		t.Errorf("last_input_seq %d, want 9", got)
	}
	// Gaps are fine: sequence numbers only need to grow.
	in(1000, 1)
	h.ticks(1)
	if got := seqsApplied(sim, 6); !slices.Equal(got, []uint32{1000}) {
		t.Fatalf("tick 6 applied %v", got)
	}
}

func TestInputValidation(t *testing.T) {
	sim := newLineSim()
	obs := newCountObserver()
	h := startRoom(t, Config{Observer: obs}, sim)
	a, pa := h.join("a")
	b, _ := h.join("b")
	// Out of range values are clamped to the schema; values beyond its fields are zeroed.
	h.r.Input(pa, a, game.Input{Seq: 1, Values: [8]int32{1 << 30, 7, 7, 7, 7, 7, 7, 7}})
	h.r.Input(pa, a, game.Input{Seq: 2, Values: [8]int32{-1 << 31}})
	// From another player's connection, an unknown player, and a nil sink: dropped.
	h.r.Input(pa, b, game.Input{Seq: 3})
	h.r.Input(99, a, game.Input{Seq: 3})
	h.r.Input(pa, nil, game.Input{Seq: 3})
	h.r.Ack(pa, a, 1<<31) // an ack from the future is ignored
	h.ticks(2)
	if len(sim.applied) != 2 || sim.applied[0].dx != 5 || sim.applied[1].dx != -5 {
		t.Fatalf("applied %+v", sim.applied)
	}
	if obs.drops(DropStaleSink) != 2 || obs.drops(DropUnknownPlayer) != 1 {
		t.Errorf("drops %v", obs.dropped)
	}
	a.check(t)
}

func TestInboxBound(t *testing.T) {
	obs := newCountObserver()
	r, err := New(Config{ID: "x", InboxSize: 8, Observer: obs, Clock: newFakeClock()}, newLineSim())
	if err != nil {
		t.Fatal(err)
	}
	// Not running: nothing drains the inbox, and pushes must still return at once.
	done := make(chan int)
	go func() {
		ok := 0
		for seq := uint32(1); seq <= 100; seq++ {
			if r.Input(1, nil, game.Input{Seq: seq}) {
				ok++
			}
		}
		done <- ok
	}()
	select {
	case ok := <-done:
		if ok != 8 || obs.drops(DropInboxFull) != 92 || r.Info().InputsDropped != 92 {
			t.Fatalf("accepted %d, inbox_full %d, Info %d", ok, obs.drops(DropInboxFull), r.Info().InputsDropped)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Input blocked on a full inbox")
	}
}
