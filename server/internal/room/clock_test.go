package room

import (
	"testing"
	"time"
)

func TestTickClock(t *testing.T) {
	obs := newCountObserver()
	h := startRoom(t, Config{TickRate: 25, MaxCatchUp: 3, Observer: obs, EmptyTimeout: time.Hour}, newLineSim())
	dt := time.Second / 25 // exactly 40 ms
	step := func(name string, d time.Duration, wantTick uint32, wantOverruns uint64) {
		t.Helper()
		h.clk.Advance(d)
		h.r.sync()
		if info := h.r.Info(); info.Tick != wantTick || info.Overruns != wantOverruns {
			t.Fatalf("%s: tick %d overruns %d; want %d, %d", name, info.Tick, info.Overruns, wantTick, wantOverruns)
		}
	}
	step("before the first tick", dt-1, 0, 0)
	step("on time", 1, 1, 0)
	step("on time again", dt, 2, 0)
	step("late", dt*5/2, 4, 0) // now 4.5 dt: ticks 3 and 4 run back to back
	step("schedule kept after lateness", dt/2, 5, 0)
	// Very late: 10 ticks due at once, the cap runs 3, the other 7 are dropped from the schedule.
	step("very late", 10*dt, 8, 7)
	if obs.overruns != 7 {
		t.Errorf("Observer.Overrun total %d, want 7", obs.overruns)
	}
	step("rescheduled: not yet", dt-time.Millisecond, 8, 7)
	step("rescheduled: next tick one interval after falling behind", time.Millisecond, 9, 7)
	step("catch-up within the cap", 3*dt, 12, 7)
	step("exactly one more than the cap", 4*dt, 15, 8)
}

func TestSystemClockRoomTicks(t *testing.T) {
	r, err := New(Config{ID: "real", TickRate: 200, EmptyTimeout: time.Hour}, newLineSim())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	go r.Run()
	time.Sleep(60 * time.Millisecond)
	r.End("done")
	<-r.Done()
	elapsed := time.Since(start)
	// Never ahead of the wall clock; on a loaded machine it may fall behind, but it must run.
	if tick, most := r.Info().Tick, uint32(elapsed*200/time.Second); tick < 3 || tick > most {
		t.Errorf("after %v at 200 Hz the room is at tick %d (at most %d)", elapsed, tick, most)
	}
}

// TestTickPhase: Phase delays the whole schedule by a fixed offset within the interval.
func TestTickPhase(t *testing.T) {
	dt := time.Second / 25
	h := startRoom(t, Config{TickRate: 25, Phase: 15 * time.Millisecond, EmptyTimeout: time.Hour}, newLineSim())
	for _, c := range []struct {
		d    time.Duration
		want uint32
	}{{dt, 0}, {15*time.Millisecond - 1, 0}, {1, 1}, {dt - 1, 1}, {1, 2}} {
		h.clk.Advance(c.d)
		h.r.sync()
		if got := h.r.Info().Tick; got != c.want {
			t.Fatalf("after +%v: tick %d, want %d", c.d, got, c.want)
		}
	}
	if _, err := New(Config{ID: "x", TickRate: 25, Phase: dt}, newLineSim()); err == nil {
		t.Error("a phase of a whole interval was accepted")
	}
}
