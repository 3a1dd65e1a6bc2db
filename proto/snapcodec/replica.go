package snapcodec

import (
	"errors"
	"fmt"
)

// ErrBaseline means a snapshot is a delta against a world the replica does not hold; drop it and count a decode
// error (the server only sends deltas against the last snapshot it wrote, so this means frames were lost).
var ErrBaseline = errors.New("snapcodec: snapshot baseline is not the world held")

// Replica is a client's copy of a room's world, advanced snapshot by snapshot. It double-buffers the world, so that
// applying a snapshot allocates nothing in steady state and a bad snapshot leaves the world unchanged. Not safe for
// concurrent use.
type Replica struct {
	codec *Codec
	world World
	spare World
}

// NewReplica returns an empty replica for codec's schema.
func NewReplica(c *Codec) *Replica { return &Replica{codec: c} }

// World is the world the replica holds (Tick 0: none yet). It stays valid until the next Apply or Reset.
func (r *Replica) World() *World { return &r.world }

// Reset forgets the world (after a reconnection: the next snapshot is full).
func (r *Replica) Reset() { r.world.Reset() }

// Apply decodes Snapshot{tick, baseline_tick, entities}. baseline 0 is a full snapshot; any other baseline must be
// the tick of the world held, else ErrBaseline. On error the world is unchanged.
func (r *Replica) Apply(tick, baseline uint32, entities []byte) error {
	var base *World
	if baseline != 0 {
		if r.world.Tick != baseline {
			return fmt.Errorf("%w: delta against %d, holding %d", ErrBaseline, baseline, r.world.Tick)
		}
		base = &r.world
	}
	if err := r.codec.Apply(base, tick, entities, &r.spare); err != nil {
		return err
	}
	r.world, r.spare = r.spare, r.world
	return nil
}

// Hash returns the hash of the world held, to compare with Snapshot.state_hash.
func (r *Replica) Hash() uint32 { return r.codec.Hash(&r.world) }
