package arena

import (
	"encoding/binary"
	"errors"

	"github.com/tickwire/tickwire/game"
)

var _ game.Checkpointer = (*Arena)(nil)

// ErrBadCheckpoint is returned by Restore for bytes that are not an arena checkpoint.
var ErrBadCheckpoint = errors.New("arena: bad checkpoint")

// checkpointVersion starts every checkpoint; bump it when the layout changes.
const checkpointVersion = 1

// Checkpoint saves the arena's state (game.Checkpointer): the random generator, every player and projectile, the
// next projectile id, the last tick and the result. Integers are varints (zigzag for signed ones): about 20 bytes a
// player and 12 a projectile.
func (a *Arena) Checkpoint() []byte {
	b := make([]byte, 0, 64+len(a.players)*24+len(a.projectiles)*16)
	b = append(b, checkpointVersion)
	rng, _ := a.pcg.MarshalBinary() // never fails
	b = append(b, byte(len(rng)))
	b = append(b, rng...)
	b = binary.AppendUvarint(b, uint64(a.nextProj))
	b = binary.AppendUvarint(b, uint64(a.tick))
	b = binary.AppendUvarint(b, uint64(len(a.players)))
	for i := range a.players {
		p := &a.players[i]
		b = binary.AppendUvarint(b, uint64(p.id))
		for _, v := range [...]int32{p.x, p.y, p.vx, p.vy, int32(p.aim), p.aimRate, p.hp, p.score, int32(p.nextFire), p.lag} {
			b = binary.AppendVarint(b, int64(v))
		}
		c := byte(0)
		if p.connected {
			c = 1
		}
		b = append(b, c)
	}
	b = binary.AppendUvarint(b, uint64(len(a.projectiles)))
	for i := range a.projectiles {
		pr := &a.projectiles[i]
		b = binary.AppendUvarint(b, uint64(pr.id))
		for _, v := range [...]int32{pr.x, pr.y, pr.vx, pr.vy, int32(pr.owner), int32(pr.expires), pr.lag} {
			b = binary.AppendVarint(b, int64(v))
		}
	}
	if !a.ended {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendUvarint(b, uint64(len(a.result.Reason)))
	b = append(b, a.result.Reason...)
	b = binary.AppendUvarint(b, uint64(len(a.result.Players)))
	for _, r := range a.result.Players {
		b = binary.AppendUvarint(b, uint64(r.Player))
		b = binary.AppendVarint(b, int64(r.Score))
		b = binary.AppendUvarint(b, uint64(r.Rank))
	}
	return b
}

// Restore loads a Checkpoint into an arena New just made with the same game.Config (game.Checkpointer).
func (a *Arena) Restore(state []byte) error {
	d := ckptReader{b: state}
	if d.byte() != checkpointVersion {
		return ErrBadCheckpoint
	}
	n := int(d.byte())
	if n > len(d.b) {
		return ErrBadCheckpoint
	}
	if err := a.pcg.UnmarshalBinary(d.b[:n]); err != nil {
		return ErrBadCheckpoint
	}
	d.b = d.b[n:]
	a.nextProj = d.u32()
	a.tick = game.Tick(d.u32())
	np := d.count(12)
	if np > a.maxPlayers {
		return ErrBadCheckpoint
	}
	a.players = a.players[:0]
	for range np {
		p := player{id: game.PlayerID(d.u32())}
		var v [10]int32
		for i := range v {
			v[i] = d.i32()
		}
		p.x, p.y, p.vx, p.vy, p.aim, p.aimRate, p.hp, p.score, p.nextFire, p.lag =
			v[0], v[1], v[2], v[3], uint16(v[4]), v[5], v[6], v[7], game.Tick(v[8]), v[9]
		p.connected = d.byte() == 1
		a.players = append(a.players, p)
	}
	a.projectiles = a.projectiles[:0]
	for range d.count(8) {
		pr := projectile{id: d.u32()}
		var v [7]int32
		for i := range v {
			v[i] = d.i32()
		}
		pr.x, pr.y, pr.vx, pr.vy, pr.owner, pr.expires, pr.lag =
			v[0], v[1], v[2], v[3], game.PlayerID(v[4]), game.Tick(v[5]), v[6]
		a.projectiles = append(a.projectiles, pr)
	}
	a.ended, a.result = false, game.Result{}
	if d.byte() == 1 {
		a.ended = true
		rn := d.count(1)
		a.result.Reason = string(d.b[:min(rn, len(d.b))])
		d.b = d.b[min(rn, len(d.b)):]
		nr := d.count(3)
		a.result.Players = make([]game.PlayerResult, 0, nr)
		for range nr {
			a.result.Players = append(a.result.Players, game.PlayerResult{
				Player: game.PlayerID(d.u32()), Score: d.i32(), Rank: int(d.u32())})
		}
	}
	if d.bad || len(d.b) != 0 {
		return ErrBadCheckpoint
	}
	a.playersChanged()
	return nil
}

// ckptReader reads a checkpoint; an overrun sets bad and later reads return zeros.
type ckptReader struct {
	b   []byte
	bad bool
}

func (d *ckptReader) byte() byte {
	if len(d.b) == 0 {
		d.bad = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *ckptReader) u32() uint32 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > 1<<32-1 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return uint32(v)
}

func (d *ckptReader) i32() int32 {
	v, n := binary.Varint(d.b)
	if n <= 0 || v != int64(int32(v)) {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return int32(v)
}

// count reads a count of items of at least size bytes each, bounded by what is left.
func (d *ckptReader) count(size int) int {
	n := d.u32()
	if int64(n)*int64(size) > int64(len(d.b)) {
		d.bad, d.b = true, nil
		return 0
	}
	return int(n)
}
