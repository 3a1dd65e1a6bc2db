package arena

import "github.com/tickwire/tickwire/game"

// maxLag bounds a recorded lag (1/256 tick): far beyond any history, so such a shot is simply not rewound, and far
// from overflowing the fixed-point arithmetic.
const maxLag = 4096 << 8

var _ game.HistoryUser = (*Arena)(nil)

// UseHistory gives the arena the room's world history, which lag compensation reads during Step. Without it (or with
// the setting "lag_compensation" at "0") every hit test uses current positions.
func (a *Arena) UseHistory(h game.History) {
	a.hist = h
	a.playersChanged()
}

// LagCompensation reports whether the arena rewinds hit tests (the setting "lag_compensation").
func (a *Arena) LagCompensation() bool { return a.lagComp }

// viewLag returns how far the moment (view + frac/256) lies before tick t, in 1/256 tick; 0 when the moment is
// unknown (view 0) or not before t.
func viewLag(t, view game.Tick, frac uint8) int32 {
	if view == 0 || view >= t {
		return 0
	}
	d := int64(t-view)<<8 - int64(frac)
	return int32(min(d, maxLag))
}

// rewoundPlayer is a player's position at one past tick, or ok false when it did not exist then or had no hp.
type rewoundPlayer struct {
	x, y int32
	ok   bool
}

// rewindRow holds every player's rewound position at one tick, indexed like Arena.players when it was filled.
type rewindRow struct {
	tick    game.Tick // 0: empty
	gen     uint32    // rewindCache.gen when filled
	players []rewoundPlayer
}

// rewindRows is the number of ticks the rewind cache holds: more than a room rewinds (MaxRewind, 8 ticks at 30 Hz by
// default) plus one, so that in a steady state each tick's row is filled once. A longer rewind is still exact; its
// rows are just filled more often.
const rewindRows = 32

// rewindCache holds the players' positions at the past ticks projectiles looked at, so that the history is searched
// once per player and tick however many projectiles rewind there, and once in all as those ticks stay in the window
// from Step to Step: a tick's world never changes once in the history. Rows are indexed by tick modulo rewindRows
// and belong to a generation of the player list: a join or a leave (which shift indexes) or a new history makes
// them stale. It allocates nothing once its rows have grown to the number of players.
type rewindCache struct {
	rows   [rewindRows]rewindRow
	gen    uint32
	oldest game.Tick // the history's oldest tick, read once per Step; 0: not read yet
}

// resetRewind starts a Step.
func (a *Arena) resetRewind() { a.rewind.oldest = 0 }

// playersChanged makes every rewound row stale: the players' indexes changed.
func (a *Arena) playersChanged() { a.rewind.gen++ }

// rewindRowAt returns the players' positions at past tick n from the history, filling its row on first use.
func (a *Arena) rewindRowAt(n game.Tick) []rewoundPlayer {
	c := &a.rewind
	row := &c.rows[n%rewindRows]
	if row.tick == n && row.gen == c.gen && len(row.players) == len(a.players) {
		return row.players
	}
	row.tick, row.gen = n, c.gen
	row.players = row.players[:0]
	for i := range a.players {
		e, ok := a.hist.Entity(n, uint32(a.players[i].id))
		ok = ok && e.Kind == KindPlayer && e.Fields[PlayerHP] > 0
		row.players = append(row.players, rewoundPlayer{x: e.Fields[PlayerX], y: e.Fields[PlayerY], ok: ok})
	}
	return row.players
}

// nearestRewound is nearest for a projectile of the given lag in the Step of tick t: it looks at the other players
// where they were at t − lag (see the package doc). It falls back to current positions when that moment is not in
// the history.
func (a *Arena) nearestRewound(t game.Tick, x, y int32, owner game.PlayerID, lag int32, r2 int64) int {
	at := int64(t)<<8 - int64(lag) // lag > 0, so at < t·256: the earlier tick n is in the past
	n, frac := game.Tick(at>>8), int32(at&255)
	if a.rewind.oldest == 0 {
		a.rewind.oldest = max(a.hist.Oldest(), 1)
	}
	if at < 256 || n < a.rewind.oldest {
		return a.nearest(x, y, owner, r2)
	}
	before := a.rewindRowAt(n)
	var after []rewoundPlayer // nil: the later tick is t itself, the current positions
	if frac != 0 && n+1 < t {
		after = a.rewindRowAt(n + 1)
	}
	jump := a.params.TeleportStep()
	rr := a.params.HitRadius * a.params.Scale
	// The tested position is within jump of the earlier one on each axis (or is the earlier one, after a respawn),
	// so a player farther than this from the projectile then is out of reach.
	reach := rr + jump
	best, bestD := -1, r2+1
	for i := range before {
		b := &before[i]
		if !b.ok || abs(b.x-x) > reach || abs(b.y-y) > reach {
			continue
		}
		px, py := b.x, b.y
		if frac != 0 {
			qx, qy := a.players[i].x, a.players[i].y
			if after != nil {
				qx, qy = after[i].x, after[i].y
				if !after[i].ok {
					qx, qy = px, py
				}
			}
			if abs(qx-px) <= jump && abs(qy-py) <= jump { // else a respawn: held at the earlier position
				px, py = lerp(px, qx, frac), lerp(py, qy, frac)
			}
		}
		if a.players[i].id == owner {
			continue
		}
		dx, dy := int64(px-x), int64(py-y)
		if d := dx*dx + dy*dy; d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

// lerp returns a + (b − a)·frac/256, rounded half up.
func lerp(a, b, frac int32) int32 {
	return a + int32((int64(b-a)*int64(frac)+128)>>8)
}

func abs(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}
