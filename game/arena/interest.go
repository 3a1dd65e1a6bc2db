package arena

import (
	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/interest"
)

// interestArena is an arena whose players each see only what lies within the setting "interest_radius" (world
// units) of their own player: game.Visibility through a grid (package interest). Entities entering a player's view
// reach it as new entities, those leaving as removed ones.
type interestArena struct {
	*Arena
	view interest.View
}

var _ game.Visibility = (*interestArena)(nil)

func newInterestArena(a *Arena, radius int32) *interestArena {
	r := radius * a.params.Scale
	w, h := a.params.WorldW*a.params.Scale, a.params.WorldH*a.params.Scale
	return &interestArena{Arena: a, view: interest.View{
		Grid:   interest.NewGrid(w, h, r),
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
