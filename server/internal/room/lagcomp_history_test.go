package room

import (
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
)

// rewindSim is a lineSim that rewinds: it keeps the room's History and, in every Step, checks it against the worlds
// the room reported for the ticks before.
type rewindSim struct {
	*lineSim
	t      *testing.T
	hist   game.History
	uses   int
	seen   map[game.Tick][]game.Entity // the world at the end of each tick, as AppendEntities gave it
	size   int                         // the room's HistorySize
	checks int
}

func (s *rewindSim) UseHistory(h game.History) { s.hist, s.uses = h, s.uses+1 }

func (s *rewindSim) Step(t game.Tick, ev *game.Events) {
	s.check(t)
	s.lineSim.Step(t, ev)
	s.seen[t] = s.AppendEntities(nil)
}

// check runs in the Step of tick t: ticks t-size+1 .. t-1 are held exactly as they were, tick t is not (it is being
// simulated) and neither is any older one.
func (s *rewindSim) check(t game.Tick) {
	if s.hist == nil {
		s.t.Error("Step before UseHistory")
		return
	}
	wantOldest := game.Tick(1)
	if int(t) > s.size {
		wantOldest = t - game.Tick(s.size) + 1
	}
	if got := s.hist.Oldest(); got != wantOldest {
		s.t.Errorf("Step %d: Oldest() = %d, want %d", t, got, wantOldest)
	}
	for k := max(int(t)-s.size-2, 0); k <= int(t)+1; k++ {
		held := game.Tick(k) >= wantOldest && game.Tick(k) < t && k > 0
		for id := uint32(0); id <= 6; id++ {
			var want game.Entity
			wantOK := false
			if held {
				for _, e := range s.seen[game.Tick(k)] {
					if e.ID == id {
						want, wantOK = e, true
					}
				}
			}
			got, ok := s.hist.Entity(game.Tick(k), id)
			if ok != wantOK || got != want {
				s.t.Errorf("Step %d: Entity(%d, %d) = %v, %v; want %v, %v", t, k, id, got, ok, want, wantOK)
			}
			s.checks++
		}
	}
}

// TestHistory drives a room's loop by hand with players joining and leaving, and checks from inside the Sim's Step
// that the History gives each entity as the world held it at each tick of the window, and nothing outside it.
func TestHistory(t *testing.T) {
	const size = 16
	sim := &rewindSim{lineSim: newLineSim(), t: t, seen: map[game.Tick][]game.Entity{}, size: size}
	r, err := New(Config{ID: "h", Clock: newFakeClock(), HistorySize: size, EmptyTimeout: time.Hour}, sim)
	if err != nil {
		t.Fatal(err)
	}
	if sim.uses != 1 {
		t.Fatalf("UseHistory called %d times by New, want 1", sim.uses)
	}
	if got := sim.hist.Oldest(); got != 1 {
		t.Errorf("Oldest() before the first tick = %d, want 1", got)
	}
	if _, ok := sim.hist.Entity(0, 1); ok {
		t.Error("Entity(0, 1) found before the first tick")
	}
	sinks := map[game.PlayerID]*fakeSink{}
	for tick := 1; tick <= 40; tick++ {
		switch tick {
		case 1, 3, 4, 12, 20:
			s := newFakeSink(t)
			sinks[directJoin(t, r, s, "p")] = s
		case 15:
			c := ctlCmd{kind: ctlLeave, player: 2, sink: sinks[2]}
			r.handleControl(&c)
		}
		for id := range sim.x {
			sim.x[id] += int32(tick) * int32(id) // every entity changes every tick
		}
		r.step()
	}
	if n := len(sim.seen[40]); n != 4 || sim.checks == 0 {
		t.Fatalf("%d entities at the end, want 4 (5 joined, 1 left); %d lookups checked", n, sim.checks)
	}
	t.Logf("%d lookups checked", sim.checks)
}

// TestHistoryAllocs: looking an entity up allocates nothing, and neither does handing the History out.
func TestHistoryAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	sim := &rewindSim{lineSim: newLineSim(), t: t, seen: map[game.Tick][]game.Entity{}, size: 32}
	r, err := New(Config{ID: "h", Clock: newFakeClock(), EmptyTimeout: time.Hour}, sim)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		directJoin(t, r, newFakeSink(t), "p")
	}
	for range 100 {
		r.step()
	}
	h := r.history()
	var sum int32
	n := testing.AllocsPerRun(1000, func() {
		h = r.history()
		for id := uint32(1); id <= 6; id++ {
			e, _ := h.Entity(h.Oldest()+game.Tick(id), id)
			sum += e.Fields[0]
		}
	})
	if n != 0 {
		t.Errorf("history lookups allocate %v times, want 0", n)
	}
	if sum == 0 {
		t.Error("found nothing")
	}
}
