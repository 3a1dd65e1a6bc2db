package room

import (
	"github.com/tickwire/tickwire/game/arena"
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

// Players sharing views by grid cell (interest.Cells): each player's decoded world is exactly its cell's view at
// every snapshot, through walkers crossing cells (a delta from the old cell's view to the new one), slow writers,
// a player leaving and another joining, and players resuming on a new connection (a full view, then deltas again),
// while the room encodes far fewer snapshots than it sends.
func TestViewsSharedByCell(t *testing.T) {
	sim := newCrowdSim(600, 150)
	sim.speed = 7 // cells of 200: a walker crosses one every 30 ticks or so
	sim.shareByCell(200)
	obs := &encodeCounter{}
	r, err := New(Config{ID: "cells", Clock: newFakeClock(), MaxPlayers: 40, EmptyTimeout: time.Hour,
		HashInterval: 3, Grace: time.Hour, Observer: obs}, sim)
	if err != nil {
		t.Fatal(err)
	}
	ref := interest.Cells{Grid: interest.NewGrid(600, 600, 200), Radius: 150, Pos: sim.view.Pos, Locate: sim.cells.Locate}
	sinks := map[game.PlayerID]*fakeSink{}
	join := func() {
		s := newFakeSink(t)
		sinks[directJoin(t, r, s, "w")] = s
	}
	for range 36 {
		join()
	}
	sinks[3].hold, sinks[4].hold = true, true // slow writers
	var entered, exited, offered, crossed int
	prev := map[game.PlayerID]map[uint32]bool{}
	prevKey := map[game.PlayerID]uint64{}
	for tick := 1; tick <= 660; tick++ {
		switch tick {
		case 100:
			c := ctlCmd{kind: ctlLeave, player: 5, sink: sinks[5]}
			r.handleControl(&c)
			delete(sinks, 5)
		case 150:
			join()
		case 200, 400, 600: // players 7 and 8 drop, and resume a few ticks later on new connections
			for _, p := range []game.PlayerID{7, 8} {
				r.handleControl(&ctlCmd{kind: ctlDisconnected, player: p, sink: sinks[p]})
				delete(prev, p)
			}
		case 230, 430, 630:
			for _, p := range []game.PlayerID{7, 8} {
				s := newFakeSink(t)
				c := ctlCmd{kind: ctlResume, player: p, sink: s, reply: make(chan joinReply, 1)}
				r.handleControl(&c)
				if rep := <-c.reply; rep.err != nil {
					t.Fatalf("resume of %d: %v", p, rep.err)
				}
				sinks[p] = s
			}
		}
		r.step()
		if tick%5 == 0 { // slow writers take one snapshot in five
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
			if tick >= 200 && tick < 230 || tick >= 400 && tick < 430 || tick >= 600 && tick < 630 {
				if id == 7 || id == 8 {
					continue // disconnected
				}
			}
			if got.Tick != uint32(tick) {
				if !s.hold {
					t.Fatalf("tick %d: player %d holds tick %d", tick, id, got.Tick)
				}
				continue
			}
			offered++
			key := ref.ViewKey(id)
			if k, ok := prevKey[id]; ok && k != key {
				crossed++
			}
			prevKey[id] = key
			want := ref.AppendView(nil, w.Entities, id, key)
			if len(got.Entities) != len(want) {
				t.Fatalf("tick %d: player %d holds %d entities, its cell's view has %d", tick, id, len(got.Entities), len(want))
			}
			now := map[uint32]bool{}
			for i := range want {
				if got.Entities[i] != want[i] {
					t.Fatalf("tick %d: player %d: entity %+v, want %+v", tick, id, got.Entities[i], want[i])
				}
				now[want[i].ID] = true
				if prev[id] != nil && !prev[id][want[i].ID] {
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
	if entered == 0 || exited == 0 || crossed == 0 {
		t.Fatalf("views never changed: %d entered, %d exited, %d cell crossings", entered, exited, crossed)
	}
	for _, p := range []game.PlayerID{7, 8} {
		if s := sinks[p]; len(s.snaps) == 0 || s.snaps[0].baseline != 0 {
			t.Fatalf("player %d's resumed connection did not start with a full view", p)
		}
	}
	t.Logf("%d entities entered and %d left views, %d cell crossings; %d snapshots checked, %d encodings; %d pooled views",
		entered, exited, crossed, offered, obs.encodes, len(r.vis.free))
	// 36 players in 9 cells of 200 share views: the room encodes well under one snapshot per player.
	if obs.encodes*3 > offered*2 {
		t.Errorf("%d encodings for %d snapshots: views are not shared", obs.encodes, offered)
	}
}

// The large mode's room (arena, 200 players, views shared by cell, targeted events) allocates nothing per tick in
// steady state.
func TestLargeArenaTickAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	step, _ := largeArenaRoom(t, 200, 4000, arena.LargeSettings(), NopObserver{})
	for range 1500 {
		step()
	}
	if n := testing.AllocsPerRun(300, step); n != 0 {
		t.Errorf("a steady-state tick allocates %v times, want 0", n)
	}
}
