package arena

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/interest"
)

// The large mode: the arena at scale, in a world four times the standard one's area with rooms of 200 players, where
// each player sees only its neighbourhood and players share views by cell. A server registers it under LargeMode with
// LargeMaxPlayers slots per room and LargeSettings().
const (
	LargeMode           = "arena-large"
	LargeMaxPlayers     = 200
	LargeWorld          = 4000 // world units on each side
	LargeInterestRadius = 300  // world units: a player sees at least everything this close to it
	LargeInterestCell   = 800  // world units: the side of the cells whose players share a view
)

// LargeSettings returns the settings of a LargeMode room (a new map each call).
func LargeSettings() map[string]string {
	return map[string]string{
		"world_size":      strconv.Itoa(LargeWorld),
		"interest_radius": strconv.Itoa(LargeInterestRadius),
		"interest_cell":   strconv.Itoa(LargeInterestCell),
	}
}

// maxWorldSize bounds the setting "world_size" (world units), so that positions in sub-units stay far from
// overflowing and grids stay small.
const maxWorldSize = 1 << 16

// maxGridSide bounds a grid's cells per side: a tiny radius or cell in a large world would otherwise make a grid of
// millions of cells.
const maxGridSide = 256

// worldSetting returns the world's width and height in world units: the setting "world_size" when above 0, else
// WorldW × WorldH.
func worldSetting(s map[string]string) (w, h int32, err error) {
	size, err := setting(s, "world_size")
	if err != nil {
		return 0, 0, err
	}
	if size == 0 {
		return WorldW, WorldH, nil
	}
	if size < 2*HitRadius || size > maxWorldSize {
		return 0, 0, fmt.Errorf("%w: world_size=%d: want 0 or %d to %d", ErrBadSetting, size, 2*HitRadius, maxWorldSize)
	}
	return size, size, nil
}

// withInterest returns a, or an interest-managed arena around it when the setting "interest_radius" is above 0:
// per-player views, or views shared by the players of each square cell when "interest_cell" is above 0 too.
func withInterest(a *Arena, s map[string]string) (game.Sim, error) {
	radius, err := setting(s, "interest_radius")
	if err != nil {
		return nil, err
	}
	cell, err := setting(s, "interest_cell")
	if err != nil {
		return nil, err
	}
	if radius == 0 {
		return a, nil
	}
	w, h := a.params.WorldW*a.params.Scale, a.params.WorldH*a.params.Scale
	side := max(w, h)
	r := min(radius, max(a.params.WorldW, a.params.WorldH)) * a.params.Scale
	if cell == 0 {
		return newInterestArena(a, interest.NewGrid(w, h, max(r, side/maxGridSide)), r), nil
	}
	c := min(max(cell*a.params.Scale, side/maxGridSide), side)
	return newCellArena(a, interest.NewGrid(w, h, c), r), nil
}

// interestArena is an arena whose players each see only what lies within the setting "interest_radius" (world
// units) of their own player: game.Visibility through a grid (package interest). Entities entering a player's view
// reach it as new entities, those leaving as removed ones.
type interestArena struct {
	*Arena
	view interest.View
}

var _ game.Visibility = (*interestArena)(nil)

func newInterestArena(a *Arena, g *interest.Grid, r int32) *interestArena {
	return &interestArena{Arena: a, view: interest.View{
		Grid:   g,
		Radius: r,
		Pos:    entityPosition,
		Self:   func(p game.PlayerID) uint32 { return uint32(p) }, // a player's entity id is its player id
	}}
}

// entityPosition is where a player or projectile is (every arena entity has one).
func entityPosition(e *game.Entity) (x, y int32, ok bool) {
	return e.Fields[PlayerX], e.Fields[PlayerY], true
}

// Step advances the arena and marks the grid out of date.
func (a *interestArena) Step(t game.Tick, ev *game.Events) {
	a.Arena.Step(t, ev)
	a.view.Invalidate()
}

func (a *interestArena) ViewKey(p game.PlayerID) uint64 { return a.view.ViewKey(p) }

func (a *interestArena) AppendView(dst, world []game.Entity, p game.PlayerID, key uint64) []game.Entity {
	return a.view.AppendView(dst, world, p, key)
}

// Restore restores the arena and marks the grid out of date.
func (a *interestArena) Restore(state []byte) error {
	err := a.Arena.Restore(state)
	a.view.Invalidate()
	return err
}

// cellArena is an arena whose players share views by square cells of the setting "interest_cell" (world units): the
// players in one cell see everything within "interest_radius" of any point of the cell (interest.Cells), so the
// room builds and encodes one view per occupied cell. A player crossing into another cell gets a delta from the view
// it held to its new one: what it newly sees enters, what it no longer sees exits.
//
// Its events are interest-managed too: a "hit", "kill" or "respawn" goes to the player it is about, to the shooter,
// and to the players whose view holds the place where it happened (for a respawn, also the new place), not to the
// whole room, so that what a player receives follows its neighbourhood, not the room's size.
type cellArena struct {
	*Arena
	view interest.Cells

	// Step's scratch, owned by the room goroutine.
	before    []pos        // the players' positions before the Step (a.players order): where hits happened
	events    []game.Event // the Step's events, targeted
	cellStart []int32      // players by cell: cell c's are byCell[cellStart[c]:cellStart[c+1]]
	byCell    []int32      // indexes into a.players
	cells     []int32      // cells seeing a place
	stamp     []uint32     // per player index: the event it was last addressed for
	epoch     uint32
	to        []game.PlayerID
}

type pos struct{ x, y int32 }

var _ game.Visibility = (*cellArena)(nil)

func newCellArena(a *Arena, g *interest.Grid, r int32) *cellArena {
	c := &cellArena{Arena: a}
	c.view = interest.Cells{Grid: g, Radius: r, Pos: entityPosition, Locate: c.locate}
	return c
}

// locate is where player p's entity is: AppendEntities writes the players' positions as they are.
func (a *cellArena) locate(p game.PlayerID) (x, y int32, ok bool) {
	i := a.find(p)
	if i < 0 {
		return 0, 0, false
	}
	return a.players[i].x, a.players[i].y, true
}

// Step advances the arena, marks the grid out of date and addresses the Step's events to the players near them.
func (a *cellArena) Step(t game.Tick, ev *game.Events) {
	a.before = a.before[:0]
	for i := range a.players {
		a.before = append(a.before, pos{a.players[i].x, a.players[i].y})
	}
	n0 := len(ev.List) // events of the tick's messages stay as they are
	a.Arena.Step(t, ev)
	a.view.Invalidate()
	if len(ev.List) > n0 {
		a.targetEvents(ev, n0)
	}
}

// targetEvents replaces each of the Step's events (ev.List[n0:]) by one per player it concerns: the player it is
// about, the shooter, and the players in the cells whose view holds where it happened. Steps never add or remove
// players, so a.before and a.players share their indexes.
func (a *cellArena) targetEvents(ev *game.Events, n0 int) {
	g := a.view.Grid
	n := int(g.NumCells())
	a.cellStart = slices.Grow(a.cellStart[:0], n+1)[:n+1]
	clear(a.cellStart)
	for i := range a.players {
		a.cellStart[g.CellAt(a.players[i].x, a.players[i].y)+1]++
	}
	for c := 1; c <= n; c++ {
		a.cellStart[c] += a.cellStart[c-1]
	}
	a.byCell = slices.Grow(a.byCell[:0], len(a.players))[:len(a.players)]
	a.cells = slices.Grow(a.cells[:0], n)[:n] // cursors
	copy(a.cells, a.cellStart[:n])
	for i := range a.players {
		c := g.CellAt(a.players[i].x, a.players[i].y)
		a.byCell[a.cells[c]] = int32(i)
		a.cells[c]++
	}
	if len(a.stamp) < len(a.players) {
		a.stamp = make([]uint32, len(a.players))
	}
	a.events = a.events[:0]
	for _, e := range ev.List[n0:] {
		if e.To != 0 || (e.Type != EventHit && e.Type != EventKill && e.Type != EventRespawn) {
			a.events = append(a.events, e)
			continue
		}
		a.epoch++
		a.to = a.to[:0]
		a.addressee(e.Player)
		if e.Type != EventRespawn {
			a.addressee(game.PlayerID(e.Args[0])) // the shooter
		}
		if v := a.find(e.Player); v >= 0 {
			a.addressNear(a.before[v].x, a.before[v].y)
		}
		if e.Type == EventRespawn {
			a.addressNear(e.Args[0], e.Args[1])
			if v := a.find(e.Player); v >= 0 { // a later hit in this Step happens at the new place
				a.before[v] = pos{e.Args[0], e.Args[1]}
			}
		}
		for _, p := range a.to {
			e.To = p
			a.events = append(a.events, e)
		}
	}
	ev.List = append(ev.List[:n0], a.events...)
}

// addressee adds player p to the current event's recipients once.
func (a *cellArena) addressee(p game.PlayerID) {
	if i := a.find(p); i >= 0 && a.stamp[i] != a.epoch {
		a.stamp[i] = a.epoch
		a.to = append(a.to, p)
	}
}

// addressNear adds the players whose view holds position (x, y).
func (a *cellArena) addressNear(x, y int32) {
	a.cells = a.view.Grid.AppendCellsSeeing(a.cells[:0], x, y, a.view.Radius)
	for _, c := range a.cells {
		for _, i := range a.byCell[a.cellStart[c]:a.cellStart[c+1]] {
			if a.stamp[i] != a.epoch {
				a.stamp[i] = a.epoch
				a.to = append(a.to, a.players[i].id)
			}
		}
	}
}

func (a *cellArena) ViewKey(p game.PlayerID) uint64 { return a.view.ViewKey(p) }

func (a *cellArena) AppendView(dst, world []game.Entity, p game.PlayerID, key uint64) []game.Entity {
	return a.view.AppendView(dst, world, p, key)
}

// Restore restores the arena and marks the grid out of date.
func (a *cellArena) Restore(state []byte) error {
	err := a.Arena.Restore(state)
	a.view.Invalidate()
	return err
}
