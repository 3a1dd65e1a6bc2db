// Package interest is spatial interest management for games: a uniform grid of square cells over entity positions,
// and two game.Visibility implementations on it. With View each player sees the entities within a radius of its own
// entity, one view per player; with Cells the players whose entities share a grid cell share one view, the entities
// within the radius of that cell, so the room encodes one view per occupied cell, not one per player. Either way a
// player's snapshot costs what its neighbourhood holds, whatever the size of the room.
//
// Nothing here is safe for concurrent use: like a game.Sim, a View belongs to the room goroutine.
package interest

import (
	"math/bits"
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
	hits   []int32  // Build's scratch
	mark   []uint64 // query scratch: bit i set when world[i] is a hit
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
	mark := g.clearMarks()
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
					mark[i>>6] |= 1 << (i & 63)
				}
			}
		}
	}
	return g.appendMarked(dst)
}

// clearMarks returns the query bitmap, one bit per entity of the world, with only the entities without a position set.
func (g *Grid) clearMarks() []uint64 {
	n := (len(g.world) + 63) / 64
	g.mark = slices.Grow(g.mark[:0], n)[:n]
	clear(g.mark)
	for _, i := range g.global {
		g.mark[i>>6] |= 1 << (i & 63)
	}
	return g.mark
}

// appendMarked appends the marked entities in world order (ascending ids): no sort, one pass over the bitmap.
func (g *Grid) appendMarked(dst []game.Entity) []game.Entity {
	for w, m := range g.mark {
		for m != 0 {
			dst = append(dst, g.world[w<<6|bits.TrailingZeros64(m)])
			m &= m - 1
		}
	}
	return dst
}

// AppendNearCell appends the entities within radius of grid cell c (of any point of it: distance from the cell's
// square at most radius), and those without a position, in ascending ID order, and returns the extended slice.
func (g *Grid) AppendNearCell(dst []game.Entity, c int32, radius int32) []game.Entity {
	mark := g.clearMarks()
	if c >= 0 && c < g.cols*g.rows {
		radius = max(radius, 0)
		r2 := int64(radius) * int64(radius)
		// The cell's points: [x0, x1] × [y0, y1] (positions were clamped into the world).
		x0, y0 := (c%g.cols)*g.cell, (c/g.cols)*g.cell
		x1, y1 := min(x0+g.cell-1, g.w), min(y0+g.cell-1, g.h)
		c0, c1 := max((x0-radius)/g.cell, 0), min((x1+radius)/g.cell, g.cols-1)
		r0, r1 := max((y0-radius)/g.cell, 0), min((y1+radius)/g.cell, g.rows-1)
		for row := r0; row <= r1; row++ {
			for col := c0; col <= c1; col++ {
				cc := row*g.cols + col
				ids := g.order[g.start[cc]:g.start[cc+1]]
				// A cell in the view cell's row (or column) whose span lies within the reach on the other axis is
				// wholly inside: no test.
				inRow := row == c/g.cols && col*g.cell >= x0-radius && col*g.cell+g.cell-1 <= x1+radius
				inCol := col == c%g.cols && row*g.cell >= y0-radius && row*g.cell+g.cell-1 <= y1+radius
				if inRow || inCol {
					for _, i := range ids {
						mark[i>>6] |= 1 << (i & 63)
					}
					continue
				}
				for _, i := range ids {
					dx := int64(max(x0-g.xs[i], 0, g.xs[i]-x1))
					dy := int64(max(y0-g.ys[i], 0, g.ys[i]-y1))
					if dx*dx+dy*dy <= r2 {
						mark[i>>6] |= 1 << (i & 63)
					}
				}
			}
		}
	}
	return g.appendMarked(dst)
}

// AppendCellsSeeing appends the cells whose square lies within radius of position (x, y): the cells whose Cells
// view holds an entity there.
func (g *Grid) AppendCellsSeeing(dst []int32, x, y, radius int32) []int32 {
	x, y = min(max(x, 0), g.w), min(max(y, 0), g.h)
	radius = max(radius, 0)
	r2 := int64(radius) * int64(radius)
	c0, c1 := max((x-radius)/g.cell, 0), min((x+radius)/g.cell, g.cols-1)
	r0, r1 := max((y-radius)/g.cell, 0), min((y+radius)/g.cell, g.rows-1)
	for row := r0; row <= r1; row++ {
		for col := c0; col <= c1; col++ {
			x0, y0 := col*g.cell, row*g.cell
			dx := int64(max(x0-x, 0, x-min(x0+g.cell-1, g.w)))
			dy := int64(max(y0-y, 0, y-min(y0+g.cell-1, g.h)))
			if dx*dx+dy*dy <= r2 {
				dst = append(dst, row*g.cols+col)
			}
		}
	}
	return dst
}

// NumCells is the number of cells of the grid.
func (g *Grid) NumCells() int32 { return g.cols * g.rows }

// CellAt returns the cell holding position (x, y) (clamped into the grid).
func (g *Grid) CellAt(x, y int32) int32 {
	x, y = min(max(x, 0), g.w), min(max(y, 0), g.h)
	return (y/g.cell)*g.cols + x/g.cell
}

// CellSize is the side of the grid's cells.
func (g *Grid) CellSize() int32 { return g.cell }

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

// Cells is a game.Visibility in which players share views by grid cell: every player whose entity lies in one cell of
// Grid gets the same view, the entities within Radius of that cell (of any point of its square), plus the entities
// without a position. A player so sees at least everything within Radius of itself, and nothing farther than Radius
// plus the cell's diagonal. Players in one cell share one view, one encoding and, when they were in the same cell at
// the baseline they acknowledged, one delta; a player crossing into another cell gets a delta from its old cell's view
// to the new one (what only the new one holds enters, what only the old one held exits). Embed it in a Sim and call
// Invalidate whenever the world changes (in Step).
type Cells struct {
	Grid   *Grid
	Radius int32
	Pos    Position
	// Locate says where player p's own entity is now, as Pos reads it from the world the next AppendView gets
	// (ok false: p has no entity; such players share a view of the entities without a position).
	Locate func(p game.PlayerID) (x, y int32, ok bool)

	stale bool
}

var _ game.Visibility = (*Cells)(nil)

// Nowhere is the view key of a player without an entity: it sees only the entities without a position. Cell keys
// are cell + 1, below it.
const Nowhere uint64 = 1 << 32

// Invalidate marks the grid out of date: the next AppendView rebuilds it from the world it is given.
func (v *Cells) Invalidate() { v.stale = true }

// ViewKey is 1 + the cell of player p's entity, or Nowhere.
func (v *Cells) ViewKey(p game.PlayerID) uint64 {
	x, y, ok := v.Locate(p)
	if !ok {
		return Nowhere
	}
	return uint64(v.Grid.CellAt(x, y)) + 1
}

// AppendView appends what the players of view key see of world.
func (v *Cells) AppendView(dst []game.Entity, world []game.Entity, _ game.PlayerID, key uint64) []game.Entity {
	if v.stale || v.Grid.world == nil || len(v.Grid.world) != len(world) || (len(world) > 0 && &v.Grid.world[0] != &world[0]) {
		v.Grid.Build(world, v.Pos)
		v.stale = false
	}
	if key == 0 || key >= Nowhere {
		for _, k := range v.Grid.global {
			dst = append(dst, world[k])
		}
		return dst
	}
	return v.Grid.AppendNearCell(dst, int32(key-1), v.Radius)
}
