package arena

import (
	"cmp"
	"slices"

	"github.com/tickwire/tickwire/game"
)

// Step advances every projectile by its velocity, removes those that expired or left the world, and resolves hits:
// a projectile within HitRadius of a player other than its owner hits the nearest such player (the lower id on a
// tie), deals Damage and is removed. A player brought to 0 hp scores its shooter a point and respawns at a random
// point with MaxHP. Projectiles are resolved in id order, so the outcome never depends on anything but the inputs.
// With lag compensation a projectile tests the players where they were when its shooter aimed (see the package doc).
func (a *Arena) Step(t game.Tick, ev *game.Events) {
	a.tick = t
	if a.ended {
		return
	}
	a.resetRewind()
	w, h := a.params.WorldW*a.params.Scale, a.params.WorldH*a.params.Scale
	r := int64(a.params.HitRadius) * int64(a.params.Scale)
	r2 := r * r
	kept := a.projectiles[:0]
	for _, pr := range a.projectiles {
		if t >= pr.expires {
			continue
		}
		pr.x += pr.vx
		pr.y += pr.vy
		if pr.x < 0 || pr.x > w || pr.y < 0 || pr.y > h {
			continue
		}
		v := -1
		if pr.lag > 0 && a.hist != nil {
			v = a.nearestRewound(t, pr.x, pr.y, pr.owner, pr.lag, r2)
		} else {
			v = a.nearest(pr.x, pr.y, pr.owner, r2)
		}
		if v >= 0 {
			a.hit(v, pr.owner, ev)
			continue
		}
		kept = append(kept, pr)
	}
	a.projectiles = kept
	a.checkEnd(t)
}

// nearest returns the index of the player other than owner nearest to (x, y) within squared distance r2, or -1.
func (a *Arena) nearest(x, y int32, owner game.PlayerID, r2 int64) int {
	best, bestD := -1, r2+1
	for i := range a.players {
		pl := &a.players[i]
		if pl.id == owner {
			continue
		}
		dx, dy := int64(pl.x-x), int64(pl.y-y)
		if d := dx*dx + dy*dy; d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

func (a *Arena) hit(v int, shooter game.PlayerID, ev *game.Events) {
	pl := &a.players[v]
	pl.hp -= a.params.Damage
	if pl.hp < 0 {
		pl.hp = 0
	}
	ev.Add(game.Event{Type: EventHit, Player: pl.id, Args: [4]int32{int32(shooter), a.params.Damage, pl.hp}, NArgs: 3})
	if pl.hp > 0 {
		return
	}
	var score int32
	if s := a.find(shooter); s >= 0 {
		a.players[s].score++
		score = a.players[s].score
	}
	ev.Add(game.Event{Type: EventKill, Player: pl.id, Args: [4]int32{int32(shooter), score}, NArgs: 2})
	pl.x, pl.y = a.spawnPoint()
	pl.hp = a.params.MaxHP
	ev.Add(game.Event{Type: EventRespawn, Player: pl.id, Args: [4]int32{pl.x, pl.y}, NArgs: 2})
}

// checkEnd ends the match when a player reached the score limit (this wins over the time limit in the same tick) or
// the time limit passed.
func (a *Arena) checkEnd(t game.Tick) {
	switch {
	case a.scoreLimit > 0 && a.topScore() >= a.scoreLimit:
		a.end(ReasonScoreLimit)
	case a.timeLimit > 0 && t >= a.timeLimit:
		a.end(ReasonTimeLimit)
	}
}

func (a *Arena) topScore() int32 {
	var top int32
	for i := range a.players {
		top = max(top, a.players[i].score)
	}
	return top
}

func (a *Arena) end(reason string) {
	a.ended = true
	a.result = game.Result{Reason: reason, Players: a.Standings()}
}

// Standings ranks every player still in the arena, best score first (ascending id among equals), equal scores
// sharing a rank (1, 1, 3, ...). The room uses it when a match is ended from outside before a limit is reached.
func (a *Arena) Standings() []game.PlayerResult {
	res := make([]game.PlayerResult, len(a.players))
	for i, pl := range a.players {
		res[i] = game.PlayerResult{Player: pl.id, Score: pl.score}
	}
	slices.SortStableFunc(res, func(x, y game.PlayerResult) int { return cmp.Compare(y.Score, x.Score) })
	for i := range res {
		if i > 0 && res[i].Score == res[i-1].Score {
			res[i].Rank = res[i-1].Rank
		} else {
			res[i].Rank = i + 1
		}
	}
	return res
}

// Result reports the end of the match once the score or time limit is reached: every player still in the arena
// (connected or not), best score first (ascending id among equals), equal scores sharing a rank (1, 1, 3, ...).
// After the end, inputs and steps change nothing.
func (a *Arena) Result() (game.Result, bool) {
	return a.result, a.ended
}
