package room

import (
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
)

// stuckSim blocks in Step at tick stuckAt until release is closed.
type stuckSim struct {
	*lineSim
	stuckAt game.Tick
	entered chan struct{} // closed when Step reached stuckAt
	release chan struct{}
}

func (s *stuckSim) Step(t game.Tick, ev *game.Events) {
	if t == s.stuckAt {
		close(s.entered)
		<-s.release
	}
	s.lineSim.Step(t, ev)
}

// TestWatchdogFailsStuckRoom: a Sim stuck in Step fails its room after StallTimeout (players closed with
// CLOSE_ROOM_FAILED, a room_error event, Run returns) while another room keeps its ticks; when the stuck Step finally
// returns, the abandoned loop touches nothing (the race detector checks).
func TestWatchdogFailsStuckRoom(t *testing.T) {
	const stall = 300 * time.Millisecond
	sim := &stuckSim{lineSim: newLineSim(), stuckAt: 3, entered: make(chan struct{}), release: make(chan struct{})}
	hb := startRoom(t, Config{ID: "stuck", StallTimeout: stall}, sim)
	hg := startRoom(t, Config{ID: "good", StallTimeout: stall}, newLineSim())
	a, pa := hb.join("a")
	g, pg := hg.join("g")
	hb.ticks(2)
	hb.input(pa, a, game.Input{Seq: 1, Tick: 3, Values: [8]int32{1}})
	hb.n++
	hb.clk.Advance(hb.t0.Add(hb.dueAfter(3)).Sub(hb.clk.Now())) // tick 3 is due: its Step blocks
	select {
	case <-sim.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the Sim never reached the stuck tick")
	}
	failed := false
	for i := 0; i < 200 && !failed; i++ { // the watchdog checks every stall/4 of the fake clock
		hb.clk.Advance(stall / 4)
		select {
		case <-hb.r.Done():
			failed = true
		case <-time.After(20 * time.Millisecond):
		}
	}
	if !failed {
		t.Fatal("the stuck room was not failed")
	}
	if closed, code := a.state(); !closed || code != CloseRoomFailed {
		t.Fatalf("closed=%v code=%d, want %d", closed, code, CloseRoomFailed)
	}
	var roomErr *Event
	for _, e := range hb.drainEvents() {
		if e.Type == EventRoomError {
			roomErr = &e
		}
	}
	if roomErr == nil || roomErr.Room != "stuck" || !strings.HasPrefix(roomErr.Reason, "stalled: Sim.Step of tick 3") {
		t.Fatalf("room_error event %+v", roomErr)
	}
	if info := hb.r.Info(); info.State != StateEnded {
		t.Fatalf("stuck room %+v", info)
	}
	if _, err := hb.r.Join(t.Context(), JoinRequest{Sink: newFakeSink(t), Name: "late"}); err == nil {
		t.Fatal("a failed room took a join")
	}
	close(sim.release) // the abandoned loop quits without touching the room
	hg.input(pg, g, game.Input{Seq: 1, Tick: 1, Values: [8]int32{1}})
	hg.ticks(5)
	g.check(t)
	if info := hg.r.Info(); info.Tick != 5 || info.State != StateRunning {
		t.Fatalf("healthy room %+v", info)
	}
}

// TestWatchdogKeepsPanicPath: with the watchdog on, a panicking Sim still fails its room once, with the panic's text.
func TestWatchdogKeepsPanicPath(t *testing.T) {
	bad := newLineSim()
	bad.panicAt = 2
	h := startRoom(t, Config{ID: "bad", StallTimeout: time.Second}, bad)
	a, _ := h.join("a")
	h.ticks(2)
	select {
	case <-h.r.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("failed room did not stop")
	}
	if closed, code := a.state(); !closed || code != CloseRoomFailed {
		t.Fatalf("closed=%v code=%d", closed, code)
	}
	n := 0
	for _, e := range h.drainEvents() {
		if e.Type == EventRoomError {
			n++
			if e.Reason != "lineSim: boom" {
				t.Fatalf("reason %q", e.Reason)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d room_error events, want 1", n)
	}
}

// nopStepSim is a lineSim whose Step does nothing: what remains is the watchdog's share of a tick.
type nopStepSim struct{ *lineSim }

func (nopStepSim) Step(game.Tick, *game.Events) {}

// BenchmarkStepSim is the watchdog's cost per tick: Sim.Step of a Sim that does nothing, without and with the
// watchdog (one atomic store and one compare-and-swap, no allocation).
func BenchmarkStepSim(b *testing.B) {
	for _, c := range []struct {
		name  string
		stall time.Duration
	}{{"off", 0}, {"on", time.Second}} {
		b.Run(c.name, func(b *testing.B) {
			r, err := New(Config{ID: "bench", Clock: newFakeClock(), StallTimeout: c.stall}, nopStepSim{newLineSim()})
			if err != nil {
				b.Fatal(err)
			}
			t0 := r.cfg.Clock.Now()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				r.stepSim(uint32(i+1), t0)
			}
		})
	}
}
