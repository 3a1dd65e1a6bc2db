package room

import (
	"cmp"
	"fmt"
	"github.com/tickwire/tickwire/game/arena"
	"math"
	"slices"
	"syscall"
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
	cells        *interest.Cells // when set, players share views by cell instead
	// With observers set the players are not entities (spectators moving over the world, as a camera would): the
	// world holds only the walkers of npcs (ids from npcBase).
	observers bool
	npcs      []crowdPlayer
}

const npcBase = 1 << 20

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
	s.walk(s.ps, t)
	s.walk(s.npcs, t)
	s.view.Invalidate()
	if s.cells != nil {
		s.cells.Invalidate()
	}
}

// addNPCs adds n walkers that are entities but no players.
func (s *crowdSim) addNPCs(n int) {
	for i := range n {
		h := mix(uint32(npcBase + i))
		s.npcs = append(s.npcs, crowdPlayer{id: game.PlayerID(npcBase + i), x: int32(h % uint32(s.world)), y: int32(mix(h) % uint32(s.world))})
	}
}

func (s *crowdSim) walk(ps []crowdPlayer, t game.Tick) {
	for i := range ps {
		p := &ps[i]
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
}

// shareByCell makes players share views by square cells of side cell, each seeing everything within the crowd's
// radius of its cell.
func (s *crowdSim) shareByCell(cell int32) {
	s.cells = &interest.Cells{Grid: interest.NewGrid(s.world, s.world, cell), Radius: s.view.Radius, Pos: s.view.Pos,
		Locate: func(p game.PlayerID) (int32, int32, bool) {
			i, ok := slices.BinarySearchFunc(s.ps, p, func(c crowdPlayer, p game.PlayerID) int { return cmp.Compare(c.id, p) })
			if !ok {
				return 0, 0, false
			}
			return s.ps[i].x, s.ps[i].y, true
		}}
}

func (s *crowdSim) AppendEntities(dst []game.Entity) []game.Entity {
	if !s.observers {
		dst = appendWalkers(dst, s.ps)
	}
	return appendWalkers(dst, s.npcs)
}

func appendWalkers(dst []game.Entity, ps []crowdPlayer) []game.Entity {
	for _, p := range ps {
		e := game.Entity{ID: uint32(p.id), Kind: 1}
		e.Fields[0], e.Fields[1], e.Fields[2], e.Fields[3] = p.x, p.y, p.vx, p.vy
		dst = append(dst, e)
	}
	return dst
}

func (s *crowdSim) ViewKey(p game.PlayerID) uint64 {
	if s.cells != nil {
		return s.cells.ViewKey(p)
	}
	return s.view.ViewKey(p)
}

func (s *crowdSim) AppendView(dst, world []game.Entity, p game.PlayerID, key uint64) []game.Entity {
	if s.cells != nil {
		return s.cells.AppendView(dst, world, p, key)
	}
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

// encodeCounter counts the room's snapshot encodings (one per distinct view and baseline view).
type encodeCounter struct {
	NopObserver
	encodes, full int
}

func (o *encodeCounter) SnapshotEncoded(full bool, _ int) {
	o.encodes++
	if full {
		o.full++
	}
}

// largeArenaRoom is an arena room of n players playing the standard workload in a world of side world units with the
// given interest settings, driven without its goroutine.
func largeArenaRoom(tb testing.TB, n, world int, settings map[string]string, obs Observer) (tick func(), sinks []*benchSink) {
	s := map[string]string{}
	for k, v := range settings {
		s[k] = v
	}
	s["world_size"] = fmt.Sprint(world)
	sim, err := arena.Factory(game.Config{Seed: 7, TickRate: 30, MaxPlayers: n, Settings: s})
	if err != nil {
		tb.Fatal(err)
	}
	r, err := New(Config{ID: "large", Clock: newFakeClock(), MaxPlayers: n, EmptyTimeout: time.Hour,
		HashInterval: 30, Observer: obs}, sim)
	if err != nil {
		tb.Fatal(err)
	}
	ids, sinks, bots := joinBots(tb, r, n)
	return func() {
		for i, bt := range bots {
			directInput(r, ids[i], sinks[i], bt.next())
		}
		r.step()
	}, sinks
}

// BenchmarkLargeArena is one tick of arena rooms under the standard workload at a constant crowd density (the large
// mode's: 200 players in 4000 × 4000 units), from 50 players (2000 units) to 800 (8000), each player seeing everything
// within 300 units: views=cell shares one view per 800-unit cell (the large mode's settings), views=player builds one
// per player. The whole tick is timed (inputs, Step, grid, views, encodings, hand-off); encodes/tick counts the
// encodings, ns/player-tick and bytes/snapshot stay flat in room size when the views' size does.
func BenchmarkLargeArena(b *testing.B) {
	for _, views := range []struct {
		name     string
		settings map[string]string
	}{
		{"cell", arena.LargeSettings()},
		{"player", map[string]string{"interest_radius": fmt.Sprint(arena.LargeInterestRadius)}},
	} {
		for _, n := range []int{50, 200, 800} {
			world := int(4000 * math.Sqrt(float64(n)/200))
			b.Run(fmt.Sprintf("views=%s/players=%d", views.name, n), func(b *testing.B) {
				obs := &encodeCounter{}
				step, sinks := largeArenaRoom(b, n, world, views.settings, obs)
				for range 300 {
					step()
				}
				// benchTicks warms up 300 more ticks: count from its timed ones.
				ticks, encodes, frames, bytes, reliable := 0, 0, 0, 0, 0
				var cpu time.Duration
				tick := func() {
					if ticks++; ticks == 301 {
						encodes, cpu = -obs.encodes, -processCPU()
						for _, s := range sinks {
							frames -= s.frames
							bytes -= s.bytes
							reliable -= s.reliable
						}
					}
					step()
				}
				benchTicks(b, n, tick)
				encodes, cpu = encodes+obs.encodes, cpu+processCPU()
				for _, s := range sinks {
					frames += s.frames
					bytes += s.bytes
					reliable += s.reliable
				}
				b.ReportMetric(float64(bytes)/float64(frames), "bytes/snapshot")
				// Events and other reliable frames, per player and tick (30 ticks a second).
				b.ReportMetric(float64(reliable)/float64(b.N)/float64(n), "event-bytes/player-tick")
				b.ReportMetric(float64(encodes)/float64(b.N), "encodes/tick")
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(n), "cpu-ns/player-tick")
			})
		}
	}
}

// processCPU is the process's CPU time so far (user + system, every thread): on a machine that others load, a
// benchmark's CPU time per op is steadier than its wall-clock time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkViewEncodeFlat is the snapshot work of one tick (grid, views, delta encodings, hand-off) of crowds of 50 to
// 800 walkers at one density (200 in 4000 × 4000 units: the large mode's), so that every view holds about as many
// entities whatever the room's size. views=cell shares views by 800-unit cell with a 300-unit radius (the large
// mode); views=player gives each player its own 300-unit circle. The walkers' own Step is a few ns each. With shared
// views the cost per tick grows with the number of distinct views (encodes/tick), the cost per view and per player
// stays flat, and a steady-state tick allocates nothing.
func BenchmarkViewEncodeFlat(b *testing.B) {
	for _, views := range []string{"cell", "player"} {
		for _, n := range []int{50, 200, 800} {
			b.Run(fmt.Sprintf("views=%s/players=%d", views, n), func(b *testing.B) {
				world := int32(4000 * math.Sqrt(float64(n)/200))
				sim := newCrowdSim(world, 300)
				if views == "cell" {
					sim.shareByCell(800)
				}
				obs := &encodeCounter{}
				r, err := New(Config{ID: "bench", Clock: newFakeClock(), MaxPlayers: n, EmptyTimeout: time.Hour, Observer: obs}, sim)
				if err != nil {
					b.Fatal(err)
				}
				for range n {
					directJoin(b, r, &benchSink{}, "walker")
				}
				ticks, encodes := 0, 0
				var cpu time.Duration
				benchTicks(b, n, func() {
					if ticks++; ticks == 301 {
						encodes, cpu = -obs.encodes, -processCPU()
					}
					r.step()
				})
				encodes, cpu = encodes+obs.encodes, cpu+processCPU()
				b.ReportMetric(float64(encodes)/float64(b.N), "encodes/tick")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(encodes), "ns/encode")
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(n), "cpu-ns/player-tick")
			})
		}
	}
}

// BenchmarkViewEncodeFixedViews is the snapshot work of one tick when the views stay the same size whatever the
// room's size: 400 walkers (entities) in a 4000 × 4000 world, and rooms of 50 to 800 players moving over it as
// spectators (not entities), sharing views by 800-unit cell with a 300-unit radius (the large mode's). The room
// builds and encodes one view per occupied cell (at most 36, plus one per player crossing into another cell that
// tick): encodes/tick, and with it the encoding's cost, stays flat as the room grows 16-fold. What grows with the room
// is each player's own part, a fraction of a microsecond: its view key, ring and frame hand-off; the cost per player
// falls.
func BenchmarkViewEncodeFixedViews(b *testing.B) {
	for _, n := range []int{50, 200, 800} {
		b.Run(fmt.Sprintf("players=%d", n), func(b *testing.B) {
			sim := newCrowdSim(4000, 300)
			sim.observers = true
			sim.addNPCs(400)
			sim.shareByCell(800)
			obs := &encodeCounter{}
			r, err := New(Config{ID: "bench", Clock: newFakeClock(), MaxPlayers: n, EmptyTimeout: time.Hour, Observer: obs}, sim)
			if err != nil {
				b.Fatal(err)
			}
			for range n {
				directJoin(b, r, &benchSink{}, "spectator")
			}
			ticks, encodes := 0, 0
			var cpu time.Duration
			benchTicks(b, n, func() {
				if ticks++; ticks == 301 {
					encodes, cpu = -obs.encodes, -processCPU()
				}
				r.step()
			})
			encodes, cpu = encodes+obs.encodes, cpu+processCPU()
			b.ReportMetric(float64(encodes)/float64(b.N), "encodes/tick")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/tick")
		})
	}
}
