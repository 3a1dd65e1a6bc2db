// Package interest is spatial interest management for games: a uniform grid of square cells over entity positions,
// and View, a game.Visibility in which each player sees the entities within a radius of its own entity. With it a
// player's snapshot costs what its neighbourhood holds, whatever the size of the room.
//
// Nothing here is safe for concurrent use: like a game.Sim, a View belongs to the room goroutine.
package interest

import (
	"slices"

	"github.com/tickwire/tickwire/game"
)

// Position says where an entity is. ok false: the entity has no place (a scoreboard, a match timer) and every view
// holds it.
type Position func(e *game.Entity) (x, y int32, ok bool)

// Grid buckets the entities of one world by cell, for radius queries. Build it once per tick; queries then cost the
// entities of the cells a circle touches. It allocates only while its buffers grow.
type Grid struct {
	// Static after NewGrid.
	cell       int32
	cols, rows int32
	w, h       int32

	// Rebuilt by Build.
	world  []game.Entity
	start  []int32 // cell c's entities are order[start[c]:start[c+1]]
	order  []int32 // indices into world, ascending within a cell
	cellOf []int32 // per entity: its cell, or -1 for one without a position
	global []int32 // entities without a position
	xs, ys []int32
	hits   []int32 // query scratch
}

// NewGrid makes a grid over the rectangle [0, w] × [0, h] with square cells of side cell (positions outside are
// clamped into it). A cell as large as the usual query radius is a good choice.
func NewGrid(w, h, cell int32) *Grid {
	cell = max(cell, 1)
	g := &Grid{cell: cell, w: max(w, 0), h: max(h, 0)}
	g.cols, g.rows = g.w/cell+1, g.h/cell+1
	g.start = make([]int32, g.cols*g.rows+1)
	return g
}

// Build indexes world (sorted by ID, as AppendEntities writes it). The grid keeps world until the next Build.
func (g *Grid) Build(world []game.Entity, pos Position) {
	g.world = world
	n := len(world)
	g.cellOf = slices.Grow(g.cellOf[:0], n)[:n]
	g.xs = slices.Grow(g.xs[:0], n)[:n]
	g.ys = slices.Grow(g.ys[:0], n)[:n]
	g.order = slices.Grow(g.order[:0], n)[:0]
	g.global = g.global[:0]
	clear(g.start)
	for i := range world {
		x, y, ok := pos(&world[i])
		if !ok {
			g.cellOf[i] = -1
			g.global = append(g.global, int32(i))
			continue
		}
		x, y = min(max(x, 0), g.w), min(max(y, 0), g.h)
		g.xs[i], g.ys[i] = x, y
		c := (y/g.cell)*g.cols + x/g.cell
		g.cellOf[i] = c
		g.start[c+1]++
	}
	for c := 1; c < len(g.start); c++ {
		g.start[c] += g.start[c-1]
	}
	g.order = g.order[:g.start[len(g.start)-1]]
	// Fill each cell from its start, using the counts as cursors (entity order kept: ascending ids within a cell).
	cur := g.hitsFor(len(g.start))
	copy(cur, g.start)
	for i, c := range g.cellOf {
		if c < 0 {
			continue
		}
		g.order[cur[c]] = int32(i)
		cur[c]++
	}
}

func (g *Grid) hitsFor(n int) []int32 {
	g.hits = slices.Grow(g.hits[:0], n)[:n]
	return g.hits
}

// AppendNear appends the entities within radius of (x, y) (distance at most radius), and those without a position,
// in ascending ID order, and returns the extended slice.
func (g *Grid) AppendNear(dst []game.Entity, x, y, radius int32) []game.Entity {
	hits := g.hits[:0]
	hits = append(hits, g.global...)
	r := int64(max(radius, 0))
	r2 := r * r
	c0, c1 := max((x-radius)/g.cell, 0), min((x+radius)/g.cell, g.cols-1)
	r0, r1 := max((y-radius)/g.cell, 0), min((y+radius)/g.cell, g.rows-1)
	for row := r0; row <= r1; row++ {
		for col := c0; col <= c1; col++ {
			c := row*g.cols + col
			for _, i := range g.order[g.start[c]:g.start[c+1]] {
				dx, dy := int64(g.xs[i])-int64(x), int64(g.ys[i])-int64(y)
				if dx*dx+dy*dy <= r2 {
					hits = append(hits, i)
				}
			}
		}
	}
	slices.Sort(hits) // world order: ascending ids
	for _, i := range hits {
		dst = append(dst, g.world[i])
	}
	g.hits = hits[:0]
	return dst
}

// View is a game.Visibility: each player sees the entities within Radius of its own entity (the one Self names),
// plus entities without a position. A player whose entity is absent sees only those. Embed it in a Sim (or return
// it from the Sim's ViewKey and AppendView) and call Invalidate whenever the world changes (in Step).
type View struct {
	Grid   *Grid
	Radius int32
	Pos    Position
	// Self is the id of player p's own entity.
	Self func(p game.PlayerID) uint32

	stale bool
}

var _ game.Visibility = (*View)(nil)

// Invalidate marks the grid out of date: the next AppendView rebuilds it from the world it is given.
func (v *View) Invalidate() { v.stale = true }

// ViewKey gives every player its own view (key = player id; ids start at 1, and 0 would be the whole world).
func (v *View) ViewKey(p game.PlayerID) uint64 { return uint64(p) }

// AppendView appends what player p sees of world.
func (v *View) AppendView(dst []game.Entity, world []game.Entity, p game.PlayerID, _ uint64) []game.Entity {
	if v.stale || v.Grid.world == nil || len(v.Grid.world) != len(world) || (len(world) > 0 && &v.Grid.world[0] != &world[0]) {
		v.Grid.Build(world, v.Pos)
		v.stale = false
	}
	self := v.Self(p)
	lo, hi := 0, len(world) // binary search by index: an Entity is too large to pass by value
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if world[m].ID < self {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if i, found := lo, lo < len(world) && world[lo].ID == self; found {
		if x, y, ok := v.Pos(&world[i]); ok {
			return v.Grid.AppendNear(dst, x, y, v.Radius)
		}
	}
	for _, k := range v.Grid.global {
		dst = append(dst, world[k])
	}
	return dst
}
