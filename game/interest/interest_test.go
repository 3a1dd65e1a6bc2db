package interest

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tickwire/tickwire/game"
)

func pos(e *game.Entity) (int32, int32, bool) { return e.Fields[0], e.Fields[1], e.Kind == 1 }

func randomWorld(rng *rand.Rand, n int, w int32) []game.Entity {
	out := make([]game.Entity, 0, n)
	id := uint32(0)
	for range n {
		id += 1 + rng.Uint32N(3)
		e := game.Entity{ID: id, Kind: 1}
		if rng.IntN(20) == 0 {
			e.Kind = 2 // no position
		}
		e.Fields[0], e.Fields[1] = rng.Int32N(w+200)-100, rng.Int32N(w+200)-100
		out = append(out, e)
	}
	return out
}

// bruteNear is AppendNear by brute force.
func bruteNear(world []game.Entity, w int32, x, y, r int32) []game.Entity {
	var out []game.Entity
	for _, e := range world {
		ex, ey, ok := pos(&e)
		if ok {
			ex, ey = min(max(ex, 0), w), min(max(ey, 0), w)
			dx, dy := int64(ex-x), int64(ey-y)
			ok = dx*dx+dy*dy > int64(r)*int64(r)
		} else {
			ok = false
		}
		if !ok {
			out = append(out, e)
		}
	}
	return out
}

func TestGridMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		n       int
		w, cell int32
	}{{0, 100, 10}, {1, 100, 10}, {50, 1000, 100}, {500, 4000, 250}, {300, 4000, 4000}, {300, 4000, 7}} {
		g := NewGrid(tc.w, tc.w, tc.cell)
		for round := range 3 {
			world := randomWorld(rng, tc.n, tc.w)
			g.Build(world, pos)
			for range 50 {
				x, y, r := rng.Int32N(tc.w+1), rng.Int32N(tc.w+1), rng.Int32N(tc.w/2+1)
				got := g.AppendNear(nil, x, y, r)
				want := bruteNear(world, tc.w, x, y, r)
				if !slices.Equal(got, want) {
					t.Fatalf("n=%d cell=%d round %d: near (%d,%d) r=%d: got %d entities, want %d", tc.n, tc.cell, round, x, y, r, len(got), len(want))
				}
			}
		}
	}
}

func TestViewSeesItsNeighbourhood(t *testing.T) {
	world := []game.Entity{
		{ID: 1, Kind: 1, Fields: [game.MaxFields]int32{100, 100}},
		{ID: 2, Kind: 1, Fields: [game.MaxFields]int32{150, 100}},
		{ID: 3, Kind: 1, Fields: [game.MaxFields]int32{900, 900}},
		{ID: 4, Kind: 2}, // no position: seen by all
	}
	v := &View{Grid: NewGrid(1000, 1000, 100), Radius: 100, Pos: pos, Self: func(p game.PlayerID) uint32 { return uint32(p) }}
	v.Invalidate()
	ids := func(p game.PlayerID) []uint32 {
		var out []uint32
		for _, e := range v.AppendView(nil, world, p, v.ViewKey(p)) {
			out = append(out, e.ID)
		}
		return out
	}
	for _, tc := range []struct {
		p    game.PlayerID
		want []uint32
	}{{1, []uint32{1, 2, 4}}, {2, []uint32{1, 2, 4}}, {3, []uint32{3, 4}}, {9, []uint32{4}}} {
		if got := ids(tc.p); !slices.Equal(got, tc.want) {
			t.Errorf("player %d sees %v, want %v", tc.p, got, tc.want)
		}
	}
}

func BenchmarkGridBuildAndQuery(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	world := randomWorld(rng, 600, 4000)
	g := NewGrid(4000, 4000, 400)
	var dst []game.Entity
	b.ReportAllocs()
	for b.Loop() {
		g.Build(world, pos)
		for k := range 200 {
			dst = g.AppendNear(dst[:0], int32(k*20), int32(k*20), 400)
		}
	}
}

// bruteNearCell is AppendNearCell by brute force: distance from the cell's square [x0, x1] × [y0, y1].
func bruteNearCell(world []game.Entity, w, cell int32, c int32, r int32) []game.Entity {
	cols := w/cell + 1
	x0, y0 := (c%cols)*cell, (c/cols)*cell
	x1, y1 := min(x0+cell-1, w), min(y0+cell-1, w)
	var out []game.Entity
	for _, e := range world {
		ex, ey, ok := pos(&e)
		if ok {
			ex, ey = min(max(ex, 0), w), min(max(ey, 0), w)
			dx, dy := int64(max(x0-ex, 0, ex-x1)), int64(max(y0-ey, 0, ey-y1))
			ok = dx*dx+dy*dy > int64(r)*int64(r)
		}
		if !ok {
			out = append(out, e)
		}
	}
	return out
}

func TestGridNearCellMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		n       int
		w, cell int32
	}{{0, 100, 10}, {1, 100, 10}, {50, 1000, 100}, {500, 4000, 250}, {300, 4000, 4000}, {300, 4000, 7}, {400, 1000, 333}} {
		g := NewGrid(tc.w, tc.w, tc.cell)
		cells := (tc.w/tc.cell + 1) * (tc.w/tc.cell + 1)
		for round := range 3 {
			world := randomWorld(rng, tc.n, tc.w)
			g.Build(world, pos)
			for range 50 {
				c, r := rng.Int32N(cells), rng.Int32N(tc.w/2+1)
				if rng.IntN(4) == 0 {
					r = tc.cell * rng.Int32N(4) // radii on cell boundaries
				}
				got := g.AppendNearCell(nil, c, r)
				want := bruteNearCell(world, tc.w, tc.cell, c, r)
				if !slices.Equal(got, want) {
					t.Fatalf("n=%d cell=%d round %d: near cell %d r=%d: got %d entities, want %d", tc.n, tc.cell, round, c, r, len(got), len(want))
				}
			}
		}
	}
}

// Players in one cell share a view that holds everything within the radius of each of them; a player without an
// entity sees only what has no position.
func TestCellsShareViews(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const w, cell, radius = 4000, 500, 300
	world := randomWorld(rng, 600, w)
	at := map[game.PlayerID]*game.Entity{}
	for i := range world {
		if world[i].Kind == 1 && len(at) < 200 {
			at[game.PlayerID(len(at)+1)] = &world[i]
		}
	}
	v := &Cells{Grid: NewGrid(w, w, cell), Radius: radius, Pos: pos,
		Locate: func(p game.PlayerID) (int32, int32, bool) {
			if e := at[p]; e != nil {
				return e.Fields[0], e.Fields[1], true
			}
			return 0, 0, false
		}}
	v.Invalidate()
	keys := map[uint64]bool{}
	for p, e := range at {
		key := v.ViewKey(p)
		if key == 0 || key >= Nowhere {
			t.Fatalf("player %d has key %d", p, key)
		}
		keys[key] = true
		got := v.AppendView(nil, world, p, key)
		if !slices.Equal(got, bruteNearCell(world, w, cell, int32(key-1), radius)) {
			t.Fatalf("player %d: view of cell %d is wrong", p, key-1)
		}
		in := map[uint32]bool{}
		for _, g := range got {
			in[g.ID] = true
		}
		x, y := min(max(e.Fields[0], 0), w), min(max(e.Fields[1], 0), w)
		for _, near := range bruteNear(world, w, x, y, radius) {
			if !in[near.ID] {
				t.Fatalf("player %d misses entity %d within its radius", p, near.ID)
			}
		}
	}
	if len(keys) >= len(at) {
		t.Errorf("%d players, %d views: none shared", len(at), len(keys))
	}
	if key := v.ViewKey(9999); key != Nowhere {
		t.Fatalf("a player without an entity has key %d", key)
	}
	got := v.AppendView(nil, world, 9999, Nowhere)
	for _, e := range got {
		if _, _, ok := pos(&e); ok {
			t.Fatalf("the view of nowhere holds entity %d with a position", e.ID)
		}
	}
}

func BenchmarkCellsViews(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	world := randomWorld(rng, 800, 4000)
	g := NewGrid(4000, 4000, 500)
	var dst []game.Entity
	b.ReportAllocs()
	for b.Loop() {
		g.Build(world, pos)
		for c := range int32(64) {
			dst = g.AppendNearCell(dst[:0], c, 400)
		}
	}
}
