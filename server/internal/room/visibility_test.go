package room

import (
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/interest"
)

// Each player's decoded world is exactly its view at every snapshot, through entities entering and leaving views,
// snapshots every other tick, writers that fall behind (deltas against older views of the player's ring, or stale
// frames dropped), players leaving and joining; hashes are per view.
func TestViewsPerPlayer(t *testing.T) {
	sim := newCrowdSim(1000, 200)
	sim.speed = 9 // fast walkers: views change every few ticks
	r, err := New(Config{ID: "views", Clock: newFakeClock(), MaxPlayers: 12, EmptyTimeout: time.Hour,
		SnapshotEvery: 2, HashInterval: 2}, sim)
	if err != nil {
		t.Fatal(err)
	}
	ref := interest.View{Grid: interest.NewGrid(1000, 1000, 200), Radius: 200, Pos: sim.view.Pos, Self: sim.view.Self}
	sinks := map[game.PlayerID]*fakeSink{}
	join := func() {
		s := newFakeSink(t)
		sinks[directJoin(t, r, s, "w")] = s
	}
	for range 10 {
		join()
	}
	sinks[3].hold, sinks[4].hold = true, true // slow writers
	var entered, exited int
	prev := map[game.PlayerID]map[uint32]bool{}
	for tick := 1; tick <= 600; tick++ {
		switch tick {
		case 100:
			c := ctlCmd{kind: ctlLeave, player: 5, sink: sinks[5]}
			r.handleControl(&c)
			delete(sinks, 5)
		case 150:
			join()
		}
		r.step()
		if tick%2 != 0 {
			continue
		}
		// Slow writers take one snapshot in three.
		if tick%6 == 0 {
			sinks[3].take()
			sinks[4].take()
		}
		w := r.worldAt(uint32(tick))
		ref.Invalidate()
		for id, s := range sinks {
			s.check(t)
			s.mu.Lock()
			got := s.world
			s.mu.Unlock()
			if got.Tick != uint32(tick) {
				if !s.hold {
					t.Fatalf("tick %d: player %d holds tick %d", tick, id, got.Tick)
				}
				continue
			}
			want := ref.AppendView(nil, w.Entities, id, uint64(id))
			if len(got.Entities) != len(want) {
				t.Fatalf("tick %d: player %d holds %d entities, its view has %d", tick, id, len(got.Entities), len(want))
			}
			now := map[uint32]bool{}
			for i := range want {
				if got.Entities[i] != want[i] {
					t.Fatalf("tick %d: player %d: entity %+v, want %+v", tick, id, got.Entities[i], want[i])
				}
				now[want[i].ID] = true
				if !prev[id][want[i].ID] && prev[id] != nil {
					entered++
				}
			}
			for e := range prev[id] {
				if !now[e] {
					exited++
				}
			}
			prev[id] = now
		}
	}
	if entered == 0 || exited == 0 {
		t.Fatalf("views never changed: %d entered, %d exited", entered, exited)
	}
	var stale, snaps int
	for _, s := range sinks {
		stale += s.stale
		snaps += len(s.snaps)
	}
	t.Logf("%d entities entered and %d left views; %d snapshots, %d stale dropped; %d pooled views",
		entered, exited, snaps, stale, len(r.vis.free))
	// Views are recycled: the pool and the rings hold a bounded number (rings of the 10 players, the tick's table).
	if n := len(r.vis.free); n > 12*(viewRingSize+1) {
		t.Fatalf("%d views pooled", n)
	}
}

// A steady-state tick of views shared by cell allocates nothing: views, their entity buffers and encodings are pooled.
func TestCellViewsTickAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	sim := newCrowdSim(4000, 300)
	sim.shareByCell(800)
	r, err := New(Config{ID: "allocs", Clock: newFakeClock(), MaxPlayers: 200, EmptyTimeout: time.Hour}, sim)
	if err != nil {
		t.Fatal(err)
	}
	for range 200 {
		directJoin(t, r, &benchSink{}, "walker")
	}
	for range 3000 {
		r.step()
	}
	if n := testing.AllocsPerRun(600, r.step); n != 0 {
		t.Errorf("a steady-state tick allocates %v times, want 0", n)
	}
}
