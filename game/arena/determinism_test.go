package arena

import (
	"slices"
	"testing"

	"github.com/tickwire/tickwire/game"
)

// script drives an arena through ticks of the standard workload with joins, leaves, disconnects and resumes at fixed
// ticks, calling check after every tick.
func script(t *testing.T, seed uint64, ticks int, check func(tick game.Tick, es []game.Entity, ev []game.Event)) {
	t.Helper()
	a := newTestArena(t, seed, 16)
	w := newWorkload(99, 16)
	var ev game.Events
	var es []game.Entity
	for tick := game.Tick(1); int(tick) <= ticks; tick++ {
		switch tick {
		case 1000:
			a.Disconnected(3)
		case 1500:
			a.Resumed(3)
		case 2000:
			a.Leave(5)
			w.players = slices.DeleteFunc(w.players, func(b botState) bool { return b.id == 5 })
		case 2500:
			if err := a.Join(game.Player{ID: 17}); err != nil {
				t.Fatalf("Join(17): %v", err)
			}
			w.players = append(w.players, botState{id: 17, turn: 300})
		}
		for i := range w.next() {
			b := &w.players[i]
			if a.find(b.id) >= 0 && !(tick >= 1000 && tick < 1500 && b.id == 3) {
				a.ApplyInput(tick, b.id, &b.in)
			}
		}
		ev.Reset()
		a.Step(tick, &ev)
		es = a.AppendEntities(es[:0])
		check(tick, es, ev.List)
	}
}

// TestDeterminism runs two arenas with the same seed and inputs for 10,000 ticks and requires identical entities and
// events every tick.
func TestDeterminism(t *testing.T) {
	const ticks = 10000
	var states [][]game.Entity
	var events [][]game.Event
	script(t, 12345, ticks, func(_ game.Tick, es []game.Entity, ev []game.Event) {
		states = append(states, slices.Clone(es))
		events = append(events, slices.Clone(ev))
	})
	kills := 0
	script(t, 12345, ticks, func(tick game.Tick, es []game.Entity, ev []game.Event) {
		i := int(tick) - 1
		if !slices.Equal(es, states[i]) {
			t.Fatalf("tick %d: entities differ between two runs with the same seed:\n%v\n%v", tick, states[i], es)
		}
		if !slices.Equal(ev, events[i]) {
			t.Fatalf("tick %d: events differ between two runs with the same seed:\n%v\n%v", tick, events[i], ev)
		}
		for _, e := range ev {
			if e.Type == EventKill {
				kills++
			}
		}
	})
	t.Logf("%d ticks, %d kills, %d entities at the end", ticks, kills, len(states[ticks-1]))
	if kills == 0 {
		t.Error("no kill in 10,000 ticks of the workload: the run does not exercise respawns")
	}
}

// TestSeedsDiffer checks that the seed decides spawn and respawn points.
func TestSeedsDiffer(t *testing.T) {
	spawns := func(seed uint64) (join [][2]int32, respawn [][2]int32) {
		a := newTestArena(t, seed, 4)
		for _, e := range a.AppendEntities(nil) {
			join = append(join, [2]int32{e.Fields[PlayerX], e.Fields[PlayerY]})
		}
		place(t, a, 1, 1000, 1000)
		place(t, a, 2, 1100, 1000)
		var tick game.Tick
		for range 3 {
			a.players[a.find(2)].hp = 10
			for _, e := range shoot(t, a, 1, 1, &tick) {
				if e.Type == EventRespawn {
					respawn = append(respawn, [2]int32{e.Args[0], e.Args[1]})
				}
			}
			place(t, a, 2, 1100, 1000)
		}
		return join, respawn
	}
	j1, r1 := spawns(1)
	j1b, r1b := spawns(1)
	j2, r2 := spawns(2)
	if len(r1) != 3 || len(r2) != 3 {
		t.Fatalf("respawns: %v, %v; want 3 each", r1, r2)
	}
	if !slices.Equal(j1, j1b) || !slices.Equal(r1, r1b) {
		t.Errorf("same seed, different points: %v %v vs %v %v", j1, r1, j1b, r1b)
	}
	if slices.Equal(j1, j2) {
		t.Errorf("seeds 1 and 2 give the same join points %v", j1)
	}
	if slices.Equal(r1, r2) {
		t.Errorf("seeds 1 and 2 give the same respawn points %v", r1)
	}
}

// TestRatesPredictMotion checks the property the snapshot codec relies on, over the standard workload: a projectile
// moves exactly by its vx, vy every tick, and a player given one input a tick moves exactly by the vx, vy it reports.
func TestRatesPredictMotion(t *testing.T) {
	prev := map[uint32]game.Entity{}
	respawned := map[uint32]bool{}
	script(t, 7, 3000, func(tick game.Tick, es []game.Entity, ev []game.Event) {
		clear(respawned)
		for _, e := range ev {
			if e.Type == EventRespawn {
				respawned[uint32(e.Player)] = true
			}
		}
		for i, e := range es {
			if i > 0 && es[i-1].ID >= e.ID {
				t.Fatalf("tick %d: entity ids not ascending: %d then %d", tick, es[i-1].ID, e.ID)
			}
			p, ok := prev[e.ID]
			if !ok || respawned[e.ID] || (e.ID == 3 && tick >= 1000 && tick <= 1500) {
				continue
			}
			if e.Fields[0] != p.Fields[0]+e.Fields[2] || e.Fields[1] != p.Fields[1]+e.Fields[3] {
				t.Fatalf("tick %d: entity %d moved from (%d, %d) to (%d, %d) but reports rate (%d, %d)", tick, e.ID,
					p.Fields[0], p.Fields[1], e.Fields[0], e.Fields[1], e.Fields[2], e.Fields[3])
			}
			if e.Kind == KindProjectile && e.Fields != p.Fields {
				if e.Fields[ProjVX] != p.Fields[ProjVX] || e.Fields[ProjVY] != p.Fields[ProjVY] || e.Fields[ProjOwner] != p.Fields[ProjOwner] {
					t.Fatalf("tick %d: projectile %d changed %v -> %v", tick, e.ID, p.Fields, e.Fields)
				}
			}
		}
		clear(prev)
		for _, e := range es {
			prev[e.ID] = e
		}
	})
}
