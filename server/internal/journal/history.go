package journal

import (
	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto/snapcodec"
)

// History is a world history as the room keeps one (a ring of HistorySize ticks indexed by tick), for a replayed
// Sim that rewinds (game.HistoryUser). It answers exactly as the room's did at the same tick, which a replay needs:
// a lag-compensated hit depends on what the history holds. Not safe for concurrent use.
type History struct {
	ring []snapcodec.World
	tick game.Tick // the current tick: being simulated, or the last completed one between ticks
}

var _ game.History = (*History)(nil)

// NewHistory makes an empty history of size ticks.
func NewHistory(size int) *History { return &History{ring: make([]snapcodec.World, max(size, 1))} }

// SetTick makes t the current tick (Begin, or a checkpoint's tick).
func (h *History) SetTick(t game.Tick) { h.tick = t }

// Store records the world at the end of tick t (reusing the slot's storage).
func (h *History) Store(t game.Tick, es []game.Entity) {
	w := &h.ring[int(uint32(t)%uint32(len(h.ring)))]
	w.Tick = uint32(t)
	w.Entities = append(w.Entities[:0], es...)
}

// Load replaces the content with a checkpoint's worlds.
func (h *History) Load(c *Checkpoint) {
	for i := range h.ring {
		h.ring[i].Reset()
	}
	for i := range c.Worlds {
		h.Store(game.Tick(c.Worlds[i].Tick), c.Worlds[i].Entities)
	}
	h.tick = c.Tick
}

// World returns the world at tick t while the history holds it, else nil.
func (h *History) World(t game.Tick) *snapcodec.World {
	n := uint32(len(h.ring))
	if t == 0 || t > h.tick || uint32(h.tick-t) >= n {
		return nil
	}
	w := &h.ring[uint32(t)%n]
	if w.Tick != uint32(t) {
		return nil
	}
	return w
}

// Entity implements game.History.
func (h *History) Entity(t game.Tick, id uint32) (game.Entity, bool) {
	w := h.World(t)
	if w == nil {
		return game.Entity{}, false
	}
	es := w.Entities
	lo, hi := 0, len(es)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if es[m].ID < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(es) && es[lo].ID == id {
		return es[lo], true
	}
	return game.Entity{}, false
}

// Oldest implements game.History.
func (h *History) Oldest() game.Tick {
	n := uint32(len(h.ring))
	if uint32(h.tick) < n {
		return 1
	}
	return h.tick - game.Tick(n) + 1
}

// AppendWorlds appends the worlds the history holds, oldest first (a checkpoint's Worlds), copying their entities.
func (h *History) AppendWorlds(dst []snapcodec.World) []snapcodec.World {
	n := uint32(len(h.ring))
	first := game.Tick(1)
	if uint32(h.tick) >= n {
		first = h.tick - game.Tick(n) + 1
	}
	for t := first; t <= h.tick && t != 0; t++ {
		if w := h.World(t); w != nil {
			dst = append(dst, snapcodec.World{Tick: w.Tick, Entities: append([]game.Entity(nil), w.Entities...)})
		}
	}
	return dst
}
