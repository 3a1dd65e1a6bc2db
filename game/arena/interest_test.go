package arena

import (
	"testing"

	"github.com/tickwire/tickwire/game"
)

// With interest_radius set, the Factory's arena is a game.Visibility whose views hold exactly the entities within
// the radius of the player; without it, the plain arena (everyone sees everything).
func TestInterestRadiusSetting(t *testing.T) {
	plain, err := Factory(game.Config{Seed: 1, TickRate: 30, MaxPlayers: 8})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := plain.(game.Visibility); ok {
		t.Fatal("the default arena restricts views")
	}
	if _, err := Factory(game.Config{Seed: 1, Settings: map[string]string{"interest_radius": "x"}}); err == nil {
		t.Fatal("a bad interest_radius is accepted")
	}
	sim, err := Factory(game.Config{Seed: 1, TickRate: 30, MaxPlayers: 8, Settings: map[string]string{"interest_radius": "300"}})
	if err != nil {
		t.Fatal(err)
	}
	vis, ok := sim.(game.Visibility)
	if !ok {
		t.Fatal("interest_radius set, but the arena is no game.Visibility")
	}
	for p := game.PlayerID(1); p <= 8; p++ {
		if err := sim.Join(game.Player{ID: p}); err != nil {
			t.Fatal(err)
		}
	}
	var ev game.Events
	r := int64(300 * Scale)
	for tick := game.Tick(1); tick <= 3; tick++ {
		sim.Step(tick, &ev)
		world := sim.AppendEntities(nil)
		for p := game.PlayerID(1); p <= 8; p++ {
			var me game.Entity
			for _, e := range world {
				if e.ID == uint32(p) {
					me = e
				}
			}
			want := map[uint32]bool{}
			for _, e := range world {
				dx, dy := int64(e.Fields[0]-me.Fields[0]), int64(e.Fields[1]-me.Fields[1])
				if dx*dx+dy*dy <= r*r {
					want[e.ID] = true
				}
			}
			got := vis.AppendView(nil, world, p, vis.ViewKey(p))
			if len(got) != len(want) {
				t.Fatalf("tick %d player %d sees %d entities, want %d", tick, p, len(got), len(want))
			}
			for i, e := range got {
				if !want[e.ID] || (i > 0 && got[i-1].ID >= e.ID) {
					t.Fatalf("tick %d player %d: view %v", tick, p, got)
				}
			}
		}
	}
}

// The large mode's settings make a 4000-unit world whose players share views by cell: each view holds everything
// within the radius of every player that gets it, and nothing farther than the radius from the player's cell.
func TestLargeModeCellViews(t *testing.T) {
	sim, err := Factory(game.Config{Seed: 3, TickRate: 30, MaxPlayers: LargeMaxPlayers, Settings: LargeSettings()})
	if err != nil {
		t.Fatal(err)
	}
	vis, ok := sim.(game.Visibility)
	if !ok {
		t.Fatal("the large mode's arena is no game.Visibility")
	}
	if got := sim.Schema().Params["world_w"]; got != LargeWorld {
		t.Fatalf("world_w %d, want %d", got, LargeWorld)
	}
	for p := game.PlayerID(1); p <= LargeMaxPlayers; p++ {
		if err := sim.Join(game.Player{ID: p}); err != nil {
			t.Fatal(err)
		}
	}
	w := newWorkload(4, LargeMaxPlayers)
	var ev game.Events
	r, cell := int64(LargeInterestRadius*Scale), int32(LargeInterestCell*Scale)
	var world, view []game.Entity
	for tick := game.Tick(1); tick <= 90; tick++ {
		for i, b := range w.next() {
			sim.ApplyInput(tick, b.id, &w.players[i].in)
		}
		ev.Reset()
		sim.Step(tick, &ev)
		world = sim.AppendEntities(world[:0])
		keys := map[uint64][]game.PlayerID{}
		for p := game.PlayerID(1); p <= LargeMaxPlayers; p++ {
			k := vis.ViewKey(p)
			keys[k] = append(keys[k], p)
		}
		if len(keys) >= LargeMaxPlayers/2 {
			t.Fatalf("tick %d: %d views for %d players", tick, len(keys), LargeMaxPlayers)
		}
		pos := map[uint32][2]int64{}
		for _, e := range world {
			pos[e.ID] = [2]int64{int64(e.Fields[0]), int64(e.Fields[1])}
		}
		for k, ps := range keys {
			view = vis.AppendView(view[:0], world, ps[0], k)
			in := map[uint32]bool{}
			for i, e := range view {
				if i > 0 && view[i-1].ID >= e.ID {
					t.Fatalf("tick %d: view %d not in id order", tick, k)
				}
				in[e.ID] = true
			}
			for _, p := range ps {
				me := pos[uint32(p)]
				cx, cy := me[0]/int64(cell)*int64(cell), me[1]/int64(cell)*int64(cell)
				for id, q := range pos {
					dx, dy := q[0]-me[0], q[1]-me[1]
					if dx*dx+dy*dy <= r*r && !in[id] {
						t.Fatalf("tick %d: player %d misses entity %d within the radius", tick, p, id)
					}
					// Distance from the player's cell.
					ex := max(cx-q[0], 0, q[0]-(cx+int64(cell)-1))
					ey := max(cy-q[1], 0, q[1]-(cy+int64(cell)-1))
					if in[id] && ex*ex+ey*ey > r*r {
						t.Fatalf("tick %d: player %d sees entity %d beyond the radius of its cell", tick, p, id)
					}
				}
			}
		}
	}
}

func TestWorldSizeSetting(t *testing.T) {
	for _, tc := range []struct {
		v  string
		ok bool
		w  int32
	}{{"", true, WorldW}, {"0", true, WorldW}, {"4000", true, 4000}, {"10", false, 0}, {"100000", false, 0}, {"x", false, 0}} {
		sim, err := Factory(game.Config{Seed: 1, Settings: map[string]string{"world_size": tc.v}})
		if (err == nil) != tc.ok {
			t.Fatalf("world_size=%q: err %v", tc.v, err)
		}
		if err == nil && sim.Schema().Params["world_w"] != tc.w {
			t.Fatalf("world_size=%q: world_w %d, want %d", tc.v, sim.Schema().Params["world_w"], tc.w)
		}
	}
}
