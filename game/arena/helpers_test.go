package arena

import (
	"math/rand/v2"
	"testing"

	"github.com/tickwire/tickwire/game"
)

// newTestArena makes an arena at 30 Hz with the given settings (key, value pairs) and joins players 1..n.
func newTestArena(t testing.TB, seed uint64, n int, settings ...string) *Arena {
	t.Helper()
	s := map[string]string{}
	for i := 0; i+1 < len(settings); i += 2 {
		s[settings[i]] = settings[i+1]
	}
	a, err := New(game.Config{Seed: seed, TickRate: 30, MaxPlayers: 16, Settings: s})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for p := 1; p <= n; p++ {
		if err := a.Join(game.Player{ID: game.PlayerID(p)}); err != nil {
			t.Fatalf("Join(%d): %v", p, err)
		}
	}
	return a
}

// place puts player p at (x, y) world units, at rest.
func place(t testing.TB, a *Arena, p game.PlayerID, x, y int32) {
	t.Helper()
	i := a.find(p)
	if i < 0 {
		t.Fatalf("place: no player %d", p)
	}
	pl := &a.players[i]
	pl.x, pl.y, pl.vx, pl.vy = x*Scale, y*Scale, 0, 0
}

func input(dx, dy, aim, fire int32) *game.Input {
	return &game.Input{Values: [game.MaxInputValues]int32{dx, dy, aim, fire}}
}

// entity returns the entity with the given id in a snapshot of a, and whether there is one.
func entity(a *Arena, id uint32) (game.Entity, bool) {
	for _, e := range a.AppendEntities(nil) {
		if e.ID == id {
			return e, true
		}
	}
	return game.Entity{}, false
}

func projectiles(es []game.Entity) []game.Entity {
	var out []game.Entity
	for _, e := range es {
		if e.Kind == KindProjectile {
			out = append(out, e)
		}
	}
	return out
}

// workload is the standard arena workload for n players (see ARENA.md): one input per player per tick, a new random
// direction about once a second, aim rotating, fire on 20% of inputs. It is seeded, so it is reproducible.
type workload struct {
	rng     *rand.Rand
	players []botState
}

type botState struct {
	id       game.PlayerID
	dx, dy   int32
	aim      int32
	turn     int32 // aim change per tick
	nextTurn int   // ticks until the next direction change
	in       game.Input
}

func newWorkload(seed uint64, n int) *workload {
	w := &workload{rng: rand.New(rand.NewPCG(seed, 1))}
	for p := 1; p <= n; p++ {
		w.players = append(w.players, botState{
			id:   game.PlayerID(p),
			aim:  w.rng.Int32N(65536),
			turn: 256 + w.rng.Int32N(768),
		})
	}
	return w
}

// next fills each bot's input for the next tick and returns the bots.
func (w *workload) next() []botState {
	for i := range w.players {
		b := &w.players[i]
		if b.nextTurn <= 0 {
			b.dx, b.dy = w.rng.Int32N(3)-1, w.rng.Int32N(3)-1
			b.nextTurn = 15 + w.rng.IntN(31) // 0.5 s to 1.5 s at 30 Hz
		}
		b.nextTurn--
		b.aim = (b.aim + b.turn) & 0xFFFF
		var fire int32
		if w.rng.IntN(5) == 0 {
			fire = 1
		}
		b.in.Seq++
		b.in.Values = [game.MaxInputValues]int32{b.dx, b.dy, b.aim, fire}
	}
	return w.players
}

// runTick applies one workload tick to a and steps it.
func runTick(a *Arena, w *workload, t game.Tick, ev *game.Events) {
	for i, b := range w.next() {
		a.ApplyInput(t, b.id, &w.players[i].in)
	}
	ev.Reset()
	a.Step(t, ev)
}
