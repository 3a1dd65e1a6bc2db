// Package gravitygame is a small side-view game for testing client-side prediction against a real server: players
// run left and right and jump; gravity pulls them back to the ground. Its per-tick rules (ApplyInput, Step) are
// plain functions over an entity's fields, shared by the Sim the server runs and the Model the client predicts with,
// so that a correct predictor never has to be corrected.
//
// A Sim is owned by one room goroutine, as game.Sim requires; Model is stateless and safe for concurrent use.
package gravitygame

import (
	"github.com/tickwire/tickwire/game"
)

// Mode is the game's mode name.
const Mode = "gravity"

// Entity kinds and fields.
const (
	KindPlayer = 1

	FieldX  = 0
	FieldY  = 1
	FieldVX = 2
	FieldVY = 3

	InputMove = 0 // -1, 0, 1
	InputJump = 1 // 0, 1
)

// Rules, in world units per tick (squared for Gravity).
const (
	Width   = 10000
	Speed   = 40
	JumpV   = 120
	Gravity = 9
)

var schema = &game.Schema{
	Kinds: []game.KindSpec{{ID: KindPlayer, Name: "player", Fields: []game.FieldSpec{
		{Name: "x"}, {Name: "y"}, {Name: "vx"}, {Name: "vy"}}}},
	Input: []game.InputField{{Name: "move", Min: -1, Max: 1}, {Name: "jump", Min: 0, Max: 1}},
	Fill:  game.FillRepeat,
}

// ApplyInput applies one tick's input to a player: run, and jump when on the ground.
func ApplyInput(f *[game.MaxFields]int32, v []int32) {
	if len(v) < 2 {
		return
	}
	f[FieldVX] = v[InputMove] * Speed
	if v[InputJump] != 0 && f[FieldY] == 0 {
		f[FieldVY] = JumpV
	}
}

// Step advances a player by one tick: gravity, motion, the walls and the ground.
func Step(f *[game.MaxFields]int32) {
	f[FieldX] = min(max(f[FieldX]+f[FieldVX], 0), Width)
	if f[FieldY] > 0 || f[FieldVY] > 0 {
		f[FieldVY] -= Gravity
	}
	f[FieldY] += f[FieldVY]
	if f[FieldY] <= 0 {
		f[FieldY], f[FieldVY] = 0, 0
	}
}

// Model predicts a player with the game's rules (client.Model).
type Model struct{}

// ApplyInput implements client.Model.
func (Model) ApplyInput(f *[game.MaxFields]int32, v []int32) { ApplyInput(f, v) }

// Step implements client.Model.
func (Model) Step(f *[game.MaxFields]int32) { Step(f) }

// Sim is one room of the game.
type Sim struct {
	players []game.Entity // ascending id
	max     int
}

// Factory makes a room's Sim (game.Factory).
func Factory(cfg game.Config) (game.Sim, error) {
	return &Sim{max: max(cfg.MaxPlayers, 1)}, nil
}

var _ game.Sim = (*Sim)(nil)

// Schema implements game.Sim.
func (s *Sim) Schema() *game.Schema { return schema }

func (s *Sim) find(p game.PlayerID) *game.Entity {
	for i := range s.players {
		if s.players[i].ID == uint32(p) {
			return &s.players[i]
		}
	}
	return nil
}

// Join implements game.Sim.
func (s *Sim) Join(who game.Player) error {
	p := who.ID
	if len(s.players) >= s.max {
		return game.ErrFull
	}
	e := game.Entity{ID: uint32(p), Kind: KindPlayer}
	e.Fields[FieldX] = int32(p) * 500 % Width
	s.players = append(s.players, e) // ids grow: the list stays sorted
	return nil
}

// Leave implements game.Sim.
func (s *Sim) Leave(p game.PlayerID) {
	for i := range s.players {
		if s.players[i].ID == uint32(p) {
			s.players = append(s.players[:i], s.players[i+1:]...)
			return
		}
	}
}

// Disconnected implements game.Sim.
func (s *Sim) Disconnected(game.PlayerID) {}

// Resumed implements game.Sim.
func (s *Sim) Resumed(game.PlayerID) {}

// ApplyInput implements game.Sim.
func (s *Sim) ApplyInput(_ game.Tick, p game.PlayerID, in *game.Input) {
	if e := s.find(p); e != nil {
		ApplyInput(&e.Fields, in.Values[:len(schema.Input)])
	}
}

// Step implements game.Sim.
func (s *Sim) Step(_ game.Tick, _ *game.Events) {
	for i := range s.players {
		Step(&s.players[i].Fields)
	}
}

// AppendEntities implements game.Sim.
func (s *Sim) AppendEntities(dst []game.Entity) []game.Entity { return append(dst, s.players...) }

// Result implements game.Sim.
func (s *Sim) Result() (game.Result, bool) { return game.Result{}, false }
