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
