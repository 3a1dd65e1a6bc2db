package room

import (
	"math/rand/v2"
	"testing"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
)

// bot produces the standard workload's inputs: one per tick, a new random direction about once a second, the aim
// rotating, fire on 20% of inputs.
type bot struct {
	rng    *rand.Rand
	dx, dy int32
	aim    int32
	seq    uint32
}

func newBot(seed uint64) *bot {
	b := &bot{rng: rand.New(rand.NewPCG(seed, 0x5eed))}
	b.turn()
	b.aim = b.rng.Int32N(65536)
	return b
}

func (b *bot) turn() {
	for {
		b.dx, b.dy = b.rng.Int32N(3)-1, b.rng.Int32N(3)-1
		if b.dx != 0 || b.dy != 0 {
			return
		}
	}
}

func (b *bot) next() game.Input {
	if b.rng.IntN(30) == 0 {
		b.turn()
	}
	b.aim = (b.aim + 1111) & 0xffff
	fire := int32(0)
	if b.rng.IntN(5) == 0 {
		fire = 1
	}
	b.seq++
	var in game.Input
	in.Seq = b.seq
	in.Values[arena.InputDX] = b.dx
	in.Values[arena.InputDY] = b.dy
	in.Values[arena.InputAim] = b.aim
	in.Values[arena.InputFire] = fire
	return in
}

func newArena(t testing.TB, seed uint64, settings map[string]string) game.Sim {
	t.Helper()
	sim, err := arena.Factory(game.Config{Seed: seed, TickRate: 30, MaxPlayers: 16, Settings: settings})
	if err != nil {
		t.Fatal(err)
	}
	return sim
}
