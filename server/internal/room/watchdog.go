package room

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// The watchdog fails a room whose Sim is stuck in Step (an endless loop, a deadlock in game code). A goroutine cannot
// be stopped from outside, so the stuck loop is abandoned: the watchdog takes the room over, closes its players with
// CLOSE_ROOM_FAILED, reports room_error and lets Run return, so the directory forgets the room. If Step ever returns,
// the loop finds the room taken and quits without touching it.
//
// Ownership moves with one compare-and-swap on Room.stepping. The loop publishes the Step's start time there before
// Step and takes it back (start → 0) after; the watchdog claims it (start → stallClaimed) once the start is older than
// StallTimeout. Exactly one of the two succeeds. Everything the loop wrote before Step happens before the watchdog's
// claim (the atomics order it), and after a failed take-back the loop writes nothing the watchdog reads. The cost per
// tick is one atomic store and one compare-and-swap, no allocation; with StallTimeout 0 not even that.

// StalledPrefix starts the Reason of the room_error event of a room failed by the watchdog.
const StalledPrefix = "stalled: "

// stallClaimed is Room.stepping once the watchdog has taken the room over.
const stallClaimed = -1

// errAbandoned is the loop's own panic when, Step having returned, it finds the room taken over by the watchdog.
var errAbandoned = errors.New("room: loop abandoned by the watchdog")

// stepSim runs Sim.Step for tick t, begun at t0, under the watchdog's eye.
func (r *Room) stepSim(t uint32, t0 time.Time) {
	if r.cfg.StallTimeout <= 0 {
		r.feedStep()
		return
	}
	start := t0.UnixNano()
	if start == 0 || start == stallClaimed {
		start = 1
	}
	r.stepping.Store(start)
	r.feedStep()
	if !r.stepping.CompareAndSwap(start, 0) {
		panic(errAbandoned)
	}
}

// release takes the room back from a Step that panicked; false: the watchdog had already claimed it.
func (r *Room) release() bool {
	for {
		v := r.stepping.Load()
		if v == stallClaimed {
			return false
		}
		if v == 0 || r.stepping.CompareAndSwap(v, 0) {
			return true
		}
	}
}

// watch checks the loop every quarter of StallTimeout until it returns (loopDone) or is found stuck in Step.
func (r *Room) watch(loopDone <-chan struct{}) {
	every := max(r.cfg.StallTimeout/4, time.Millisecond)
	timer := r.cfg.Clock.NewTimer(every)
	defer timer.Stop()
	for {
		select {
		case <-loopDone:
			return
		case <-timer.C():
		}
		if v := r.stepping.Load(); v != 0 && v != stallClaimed {
			ran := time.Duration(r.cfg.Clock.Now().UnixNano() - v)
			if ran >= r.cfg.StallTimeout && r.stepping.CompareAndSwap(v, stallClaimed) {
				r.stalled(ran)
				return
			}
		}
		timer.Reset(every)
	}
}

// stalled fails the room on the watchdog's goroutine, which owns the room's state from the successful claim on.
func (r *Room) stalled(ran time.Duration) {
	msg := fmt.Sprintf(StalledPrefix+"Sim.Step of tick %d ran for %v (stall timeout %v)", r.tick, ran.Round(time.Millisecond),
		r.cfg.StallTimeout)
	r.failWith(msg, "room failed: simulation stalled", slog.String("err", msg))
	r.closeControl()
}
