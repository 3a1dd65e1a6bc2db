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

// In the large mode a hit, kill or respawn goes to the player it is about, the shooter and the players whose cell's
// view holds the place where it happened, each once, in the order the Step reported them; nobody else gets it.
func TestLargeModeEventsAreTargeted(t *testing.T) {
	sim, err := Factory(game.Config{Seed: 5, TickRate: 30, MaxPlayers: LargeMaxPlayers, Settings: LargeSettings()})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := New(game.Config{Seed: 5, TickRate: 30, MaxPlayers: LargeMaxPlayers, Settings: LargeSettings()})
	if err != nil {
		t.Fatal(err)
	}
	for p := game.PlayerID(1); p <= LargeMaxPlayers; p++ {
		if err := sim.Join(game.Player{ID: p}); err != nil {
			t.Fatal(err)
		}
		if err := plain.Join(game.Player{ID: p}); err != nil {
			t.Fatal(err)
		}
	}
	w := newWorkload(6, LargeMaxPlayers)
	cell, r := int64(LargeInterestCell*Scale), int64(LargeInterestRadius*Scale)
	sees := func(at [2]int32, x, y int32) bool { // does the view of the cell of position at hold (x, y)?
		cx, cy := int64(at[0])/cell*cell, int64(at[1])/cell*cell
		dx := max(cx-int64(x), 0, int64(x)-(cx+cell-1))
		dy := max(cy-int64(y), 0, int64(y)-(cy+cell-1))
		return dx*dx+dy*dy <= r*r
	}
	var ev, want game.Events
	var world []game.Entity
	sent, events := 0, 0
	for tick := game.Tick(1); tick <= 600; tick++ {
		for i, b := range w.next() {
			sim.ApplyInput(tick, b.id, &w.players[i].in)
			plain.ApplyInput(tick, b.id, &w.players[i].in)
		}
		world = sim.AppendEntities(world[:0])
		where := map[game.PlayerID][2]int32{} // before the Step: where hits happen
		for _, e := range world {
			if e.Kind == KindPlayer {
				where[game.PlayerID(e.ID)] = [2]int32{e.Fields[PlayerX], e.Fields[PlayerY]}
			}
		}
		ev.Reset()
		want.Reset()
		sim.Step(tick, &ev)
		plain.Step(tick, &want)
		world = sim.AppendEntities(world[:0])
		now := map[game.PlayerID][2]int32{} // after it: the players' cells at the snapshot
		for _, e := range world {
			if e.Kind == KindPlayer {
				now[game.PlayerID(e.ID)] = [2]int32{e.Fields[PlayerX], e.Fields[PlayerY]}
			}
		}
		// The targeted list is the plain arena's, each event repeated for exactly its recipients.
		k := 0
		for _, e := range want.List {
			events++
			place := where[e.Player]
			got := map[game.PlayerID]bool{}
			for k < len(ev.List) && ev.List[k].Type == e.Type && ev.List[k].Player == e.Player && ev.List[k].Args == e.Args {
				if ev.List[k].To == 0 || got[ev.List[k].To] {
					t.Fatalf("tick %d: %s of %d sent to %d", tick, e.Type, e.Player, ev.List[k].To)
				}
				got[ev.List[k].To] = true
				k++
			}
			sent += len(got)
			for p, at := range now {
				should := p == e.Player || (e.Type != EventRespawn && p == game.PlayerID(e.Args[0])) ||
					sees(at, place[0], place[1]) || (e.Type == EventRespawn && sees(at, e.Args[0], e.Args[1]))
				if should != got[p] {
					t.Fatalf("tick %d: %s of %d at %v: player %d at %v got it %v, want %v", tick, e.Type, e.Player, place, p, at, got[p], should)
				}
			}
			if e.Type == EventRespawn {
				where[e.Player] = [2]int32{e.Args[0], e.Args[1]}
			}
		}
		if k != len(ev.List) {
			t.Fatalf("tick %d: %d targeted events left over", tick, len(ev.List)-k)
		}
	}
	if events == 0 {
		t.Fatal("no events")
	}
	t.Logf("%d events, %d deliveries: %.1f players each of %d", events, sent, float64(sent)/float64(events), LargeMaxPlayers)
	if sent > events*LargeMaxPlayers/4 {
		t.Errorf("events reach %d players on average", sent/events)
	}
}
