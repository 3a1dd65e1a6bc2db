package room

import (
	"fmt"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/interest"
)

// crowdSim is a crowd wandering a square world: each player walks straight, turning every so often and at the walls,
// and sees (game.Visibility through package interest) the players within a radius. No inputs: the engine's snapshot
// path is what it measures.
type crowdSim struct {
	world, speed int32
	tick         game.Tick
	ps           []crowdPlayer // ascending id
	view         interest.View
}

type crowdPlayer struct {
	id           game.PlayerID
	x, y, vx, vy int32
}

func newCrowdSim(world, radius int32) *crowdSim {
	s := &crowdSim{world: world, speed: 4}
	s.view = interest.View{Grid: interest.NewGrid(world, world, radius), Radius: radius,
		Pos:  func(e *game.Entity) (int32, int32, bool) { return e.Fields[0], e.Fields[1], true },
		Self: func(p game.PlayerID) uint32 { return uint32(p) }}
	return s
}

// mix is a small deterministic hash for positions and turns.
func mix(v uint32) uint32 {
	v ^= v >> 16
	v *= 0x7feb352d
	v ^= v >> 15
	v *= 0x846ca68b
	return v ^ v>>16
}

func (s *crowdSim) Schema() *game.Schema {
	return &game.Schema{Kinds: []game.KindSpec{{ID: 1, Name: "walker", Fields: []game.FieldSpec{
		{Name: "x", RateField: 3}, {Name: "y", RateField: 4}, {Name: "vx"}, {Name: "vy"}}}}}
}

func (s *crowdSim) Join(p game.Player) error {
	h := mix(uint32(p.ID))
	s.ps = append(s.ps, crowdPlayer{id: p.ID, x: int32(h % uint32(s.world)), y: int32(mix(h) % uint32(s.world))})
	return nil
}
func (s *crowdSim) Leave(game.PlayerID)                              {}
func (s *crowdSim) Disconnected(game.PlayerID)                       {}
func (s *crowdSim) Resumed(game.PlayerID)                            {}
func (s *crowdSim) ApplyInput(game.Tick, game.PlayerID, *game.Input) {}
func (s *crowdSim) Result() (game.Result, bool)                      { return game.Result{}, false }

func (s *crowdSim) Step(t game.Tick, _ *game.Events) {
	s.tick = t
	for i := range s.ps {
		p := &s.ps[i]
		if h := mix(uint32(p.id)*7919 + uint32(t)); h%30 == 0 || p.vx == 0 && p.vy == 0 {
			p.vx, p.vy = int32(h>>8%3)*s.speed-s.speed, int32(h>>16%3)*s.speed-s.speed
		}
		nx, ny := p.x+p.vx, p.y+p.vy
		if nx < 0 || nx > s.world {
			p.vx, nx = -p.vx, p.x
		}
		if ny < 0 || ny > s.world {
			p.vy, ny = -p.vy, p.y
		}
		p.x, p.y = nx, ny
	}
	s.view.Invalidate()
}

func (s *crowdSim) AppendEntities(dst []game.Entity) []game.Entity {
	for _, p := range s.ps {
		e := game.Entity{ID: uint32(p.id), Kind: 1}
		e.Fields[0], e.Fields[1], e.Fields[2], e.Fields[3] = p.x, p.y, p.vx, p.vy
		dst = append(dst, e)
	}
	return dst
}

func (s *crowdSim) ViewKey(p game.PlayerID) uint64 { return s.view.ViewKey(p) }
func (s *crowdSim) AppendView(dst, world []game.Entity, p game.PlayerID, key uint64) []game.Entity {
	return s.view.AppendView(dst, world, p, key)
}

// BenchmarkInterestSnapshot is one tick of rooms of 50, 100 and 200 players in a 4000 × 4000 world where each player
// sees those within 400 units (game.Visibility through package interest): grid, views, per-view delta encoding
// against each player's own baseline view, hand-off to the sinks. The cost per player stays flat as the room grows,
// because each player's work is its neighbourhood's, not the room's.
func BenchmarkInterestSnapshot(b *testing.B) {
	for _, n := range []int{50, 100, 200} {
		b.Run(fmt.Sprintf("players=%d", n), func(b *testing.B) {
			sim := newCrowdSim(4000, 400)
			r, err := New(Config{ID: "bench", Clock: newFakeClock(), MaxPlayers: n, EmptyTimeout: time.Hour}, sim)
			if err != nil {
				b.Fatal(err)
			}
			sinks := make([]*benchSink, n)
			for i := range n {
				sinks[i] = &benchSink{}
				directJoin(b, r, sinks[i], "walker")
			}
			frames := 0
			for _, s := range sinks {
				frames -= s.frames
			}
			bytes := 0
			for _, s := range sinks {
				bytes -= s.bytes
			}
			benchTicks(b, n, r.step)
			for _, s := range sinks {
				frames += s.frames
				bytes += s.bytes
			}
			b.ReportMetric(float64(bytes)/float64(frames), "bytes/snapshot")
		})
	}
}

// BenchmarkWholeWorldSnapshot is BenchmarkInterestSnapshot's rooms without interest management: every player is sent
// the whole world (shared encodings), for comparison.
func BenchmarkWholeWorldSnapshot(b *testing.B) {
	for _, n := range []int{50, 100, 200} {
		b.Run(fmt.Sprintf("players=%d", n), func(b *testing.B) {
			sim := wholeWorld{newCrowdSim(4000, 400)}
			r, err := New(Config{ID: "bench", Clock: newFakeClock(), MaxPlayers: n, EmptyTimeout: time.Hour}, sim)
			if err != nil {
				b.Fatal(err)
			}
			sinks := make([]*benchSink, n)
			for i := range n {
				sinks[i] = &benchSink{}
				directJoin(b, r, sinks[i], "walker")
			}
			benchTicks(b, n, r.step)
			frames, bytes := 0, 0
			for _, s := range sinks {
				frames += s.frames
				bytes += s.bytes
			}
			b.ReportMetric(float64(bytes)/float64(frames), "bytes/snapshot")
		})
	}
}

// wholeWorld hides a Sim's game.Visibility.
type wholeWorld struct{ s *crowdSim }

func (w wholeWorld) Schema() *game.Schema                                    { return w.s.Schema() }
func (w wholeWorld) Join(p game.Player) error                                { return w.s.Join(p) }
func (w wholeWorld) Leave(p game.PlayerID)                                   {}
func (w wholeWorld) Disconnected(p game.PlayerID)                            {}
func (w wholeWorld) Resumed(p game.PlayerID)                                 {}
func (w wholeWorld) ApplyInput(t game.Tick, p game.PlayerID, in *game.Input) {}
func (w wholeWorld) Step(t game.Tick, ev *game.Events)                       { w.s.Step(t, ev) }
func (w wholeWorld) AppendEntities(dst []game.Entity) []game.Entity          { return w.s.AppendEntities(dst) }
func (w wholeWorld) Result() (game.Result, bool)                             { return game.Result{}, false }
