package room

import "github.com/tickwire/tickwire/game"

// history is the room's world history as a game sees it (game.History), for lag compensation: the worlds of the last
// HistorySize ticks, exactly as snapshots carried them. It reads the loop-owned ring, so a Sim may use it only from
// its own calls (which the loop makes). A pointer-shaped value: handing it out as an interface allocates nothing.
type history struct{ r *Room }

var _ game.History = history{}

// history returns the room's history for a Sim that rewinds (game.HistoryUser).
func (r *Room) history() game.History { return history{r} }

// Entity returns entity id as the world held it at the end of tick t: a binary search of that tick's packed entities,
// which the room keeps sorted by id (checkWorld enforces it), unpacked into a game.Entity. False when t is not in the history (evicted, the current tick
// while it is being simulated, or later) or the entity did not exist then.
func (h history) Entity(t game.Tick, id uint32) (game.Entity, bool) {
	w := h.r.packedAt(uint32(t))
	if w == nil {
		return game.Entity{}, false
	}
	k, ok := w.Find(id)
	if !ok {
		return game.Entity{}, false
	}
	return w.Entity(k), true
}

// Oldest is the oldest tick the history holds: HistorySize ticks back from the last completed one, or tick 1 early
// in the room's life. While tick n is being simulated it is n-HistorySize+1; before the first tick, 1 (which the
// history does not hold yet).
func (h history) Oldest() game.Tick {
	n := uint32(len(h.r.hist))
	if h.r.tick < n {
		return 1
	}
	return game.Tick(h.r.tick - n + 1)
}
