package main

import (
	"math"
	"math/rand/v2"

	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/proto/snapcodec"
)

// behavior makes one bot's inputs. It is owned by the bot's driver goroutine.
type behavior struct {
	rng      *rand.Rand
	kind     string // "wander" or "aggressive"
	dx, dy   int32
	aim      uint16
	turnIn   int // inputs until the next direction change
	rate     int // inputs per second
	values   [4]int32
	aimDelta uint16
}

func newBehavior(kind string, seed uint64, idx int, rate int) *behavior {
	b := &behavior{rng: rand.New(rand.NewPCG(seed, uint64(idx))), kind: kind, rate: rate}
	b.aim = uint16(b.rng.Uint32())
	// One turn every three seconds, in either direction.
	b.aimDelta = uint16(65536 / (3 * max(rate, 1)))
	if b.rng.IntN(2) == 0 {
		b.aimDelta = -b.aimDelta
	}
	b.turn()
	return b
}

// turn picks a new random direction (never standing still) and when to change it next: about once a second.
func (b *behavior) turn() {
	for {
		b.dx, b.dy = int32(b.rng.IntN(3))-1, int32(b.rng.IntN(3))-1
		if b.dx != 0 || b.dy != 0 {
			break
		}
	}
	b.turnIn = b.rate/2 + b.rng.IntN(b.rate+1)
}

// next returns the input values [dx, dy, aim, fire] of the standard workload (ARENA.md): direction changes about
// once a second at random, the aim rotates, fire on 20% of inputs. An aggressive bot instead chases and aims at the
// nearest other player (me, target from its world) and fires on half of its inputs.
func (b *behavior) next(me, target *[2]int32, haveTarget bool) []int32 {
	fire := int32(0)
	if b.kind == "aggressive" && haveTarget {
		ddx, ddy := float64(target[0]-me[0]), float64(target[1]-me[1])
		b.dx, b.dy = sign(ddx, 40*arena.Scale), sign(ddy, 40*arena.Scale)
		b.aim = uint16(int64(math.Atan2(ddy, ddx)/(2*math.Pi)*65536) & 0xffff)
		if b.rng.IntN(2) == 0 {
			fire = 1
		}
	} else {
		b.turnIn--
		if b.turnIn <= 0 {
			b.turn()
		}
		b.aim += b.aimDelta
		if b.rng.IntN(5) == 0 {
			fire = 1
		}
	}
	b.values[arena.InputDX] = b.dx
	b.values[arena.InputDY] = b.dy
	b.values[arena.InputAim] = int32(b.aim)
	b.values[arena.InputFire] = fire
	return b.values[:]
}

func sign(v, dead float64) int32 {
	switch {
	case v > dead:
		return 1
	case v < -dead:
		return -1
	}
	return 0
}

// nearest finds the player me in w and the nearest other player.
func nearest(w *snapcodec.Packed, me uint32, pos, target *[2]int32) (found bool) {
	k, ok := w.Find(me)
	if !ok || w.Kind(k) != arena.KindPlayer {
		return false
	}
	pos[0], pos[1] = w.Field(k, arena.PlayerX), w.Field(k, arena.PlayerY)
	best := int64(math.MaxInt64)
	for i := range w.Len() {
		if w.Kind(i) != arena.KindPlayer || w.ID(i) == me {
			continue
		}
		x, y := w.Field(i, arena.PlayerX), w.Field(i, arena.PlayerY)
		dx, dy := int64(x-pos[0]), int64(y-pos[1])
		if d := dx*dx + dy*dy; d < best {
			best, target[0], target[1], found = d, x, y, true
		}
	}
	return found
}
