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
