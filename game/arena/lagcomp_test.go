package arena

import (
	"slices"
	"testing"

	"github.com/tickwire/tickwire/game"
)

// ringHistory is a game.History like the room's: the worlds of the last len(worlds) ticks, recorded after each Step.
type ringHistory struct {
	worlds []recorded
	newest game.Tick
}

type recorded struct {
	tick game.Tick
	es   []game.Entity
}

func newRingHistory(size int) *ringHistory { return &ringHistory{worlds: make([]recorded, size)} }

// record stores a's world as the end of tick t.
func (h *ringHistory) record(t game.Tick, a *Arena) {
	w := &h.worlds[int(t)%len(h.worlds)]
	w.tick, w.es = t, a.AppendEntities(w.es[:0])
	h.newest = t
}

func (h *ringHistory) Entity(t game.Tick, id uint32) (game.Entity, bool) {
	if t == 0 || t > h.newest || int(h.newest-t) >= len(h.worlds) {
		return game.Entity{}, false
	}
	w := &h.worlds[int(t)%len(h.worlds)]
	if w.tick != t {
		return game.Entity{}, false
	}
	lo, hi := 0, len(w.es) // as the room's history: a binary search of the sorted entities
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if w.es[m].ID < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(w.es) && w.es[lo].ID == id {
		return w.es[lo], true
	}
	return game.Entity{}, false
}

func (h *ringHistory) Oldest() game.Tick {
	if int(h.newest) < len(h.worlds) {
		return 1
	}
	return h.newest - game.Tick(len(h.worlds)) + 1
}

// mapHistory is a hand-written game.History: entities by tick.
type mapHistory struct {
	ticks  map[game.Tick][]game.Entity
	oldest game.Tick
}

func (h *mapHistory) Entity(t game.Tick, id uint32) (game.Entity, bool) {
	for _, e := range h.ticks[t] {
		if e.ID == id {
			return e, true
		}
	}
	return game.Entity{}, false
}

func (h *mapHistory) Oldest() game.Tick { return h.oldest }

func playerAt(id uint32, x, y, hp int32) game.Entity {
	return game.Entity{ID: id, Kind: KindPlayer, Fields: [game.MaxFields]int32{PlayerX: x, PlayerY: y, PlayerHP: hp}}
}

func TestViewLag(t *testing.T) {
	for _, tt := range []struct {
		t, view game.Tick
		frac    uint8
		want    int32
	}{
		{100, 0, 0, 0},   // unknown
		{100, 0, 200, 0}, // unknown, whatever the fraction
		{100, 100, 0, 0}, // not before t
		{100, 150, 0, 0}, // the future
		{100, 94, 0, 6 * 256},
		{100, 94, 64, 6*256 - 64},
		{100, 99, 255, 1},
		{1 << 30, 1, 0, maxLag}, // bounded
	} {
		if got := viewLag(tt.t, tt.view, tt.frac); got != tt.want {
			t.Errorf("viewLag(%d, %d, %d) = %d, want %d", tt.t, tt.view, tt.frac, got, tt.want)
		}
	}
}

// TestNearestRewound checks the rewound hit test against a hand-written history: player 2 was at x=1000 at the end
// of tick 10 and x=1200 at the end of tick 11 (sub-units), and is at x=1400 now, in the Step of tick 12; player 1
// shoots.
func TestNearestRewound(t *testing.T) {
	r := int64(HitRadius * Scale)
	r2 := r * r
	for _, tt := range []struct {
		name    string
		hist    map[game.Tick][]game.Entity
		oldest  game.Tick
		lag     int32 // 1/256 tick, before the Step of tick 12
		wantX   int32 // where player 2 is tested
		notThen bool  // player 2 cannot be hit at all
	}{
		{name: "whole tick", lag: 2 * 256, wantX: 1000},
		{name: "quarter", lag: 2*256 - 64, wantX: 1050},
		{name: "half", lag: 2*256 - 128, wantX: 1100},
		{name: "rounding", lag: 2*256 - 1, wantX: 1001}, // 200·1/256 = 0.8
		{name: "last fraction", lag: 2*256 - 255, wantX: 1199},
		{name: "later tick is now", lag: 256 - 128, wantX: 1300},
		{name: "one tick back", lag: 256, wantX: 1200},
		{name: "older than the history: now", lag: 3 * 256, oldest: 10, wantX: 1400},
		{name: "at the oldest tick", lag: 2 * 256, oldest: 10, wantX: 1000},
		{
			name: "respawn held", lag: 2*256 - 200, wantX: 1000,
			hist: map[game.Tick][]game.Entity{10: {playerAt(2, 1000, 0, 100)}, 11: {playerAt(2, 1000+teleportAt30+1, 0, 100)}},
		},
		{
			name: "largest move interpolated", lag: 2*256 - 128, wantX: 1000 + teleportAt30/2,
			hist: map[game.Tick][]game.Entity{10: {playerAt(2, 1000, 0, 100)}, 11: {playerAt(2, 1000+teleportAt30, 0, 100)}},
		},
		{
			name: "joined later", lag: 2*256 - 128, notThen: true,
			hist: map[game.Tick][]game.Entity{11: {playerAt(2, 1200, 0, 100)}},
		},
		{
			name: "no hp then", lag: 2 * 256, notThen: true,
			hist: map[game.Tick][]game.Entity{10: {playerAt(2, 1000, 0, 0)}, 11: {playerAt(2, 1200, 0, 100)}},
		},
		{
			name: "gone at the later tick: held", lag: 2*256 - 128, wantX: 1000,
			hist: map[game.Tick][]game.Entity{10: {playerAt(2, 1000, 0, 100)}},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestArena(t, 1, 2)
			place(t, a, 1, 0, 1000)
			a.players[1].x, a.players[1].y = 1400, 0
			h := tt.hist
			if h == nil {
				h = map[game.Tick][]game.Entity{10: {playerAt(2, 1000, 0, 100)}, 11: {playerAt(2, 1200, 0, 100)}}
			}
			a.UseHistory(&mapHistory{ticks: h, oldest: max(tt.oldest, 1)})
			a.resetRewind()
			rr := int32(r)
			for _, c := range []struct {
				px  int32
				hit bool
			}{{tt.wantX - rr, true}, {tt.wantX + rr, true}, {tt.wantX - rr - 1, false}, {tt.wantX + rr + 1, false}} {
				want := -1
				if c.hit && !tt.notThen {
					want = 1 // player 2's index
				}
				if got := a.nearestRewound(12, c.px, 0, 1, tt.lag, r2); got != want {
					t.Errorf("projectile at x=%d: nearestRewound = %d, want %d (player 2 tested at x=%d)", c.px, got, want, tt.wantX)
				}
			}
		})
	}
}

// teleportAt30 is the player teleport threshold at 30 Hz.
var teleportAt30 = NewParams(30).TeleportStep()

func TestNearestRewoundPicksNearestThenAndNeverTheOwner(t *testing.T) {
	a := newTestArena(t, 1, 3)
	r := int64(HitRadius * Scale)
	// Now player 2 is far and player 3 right on the projectile; at tick 10 it was the other way round, and the owner
	// (1) was on the projectile then too.
	a.players[0].x, a.players[0].y = 5000, 5000
	a.players[1].x, a.players[1].y = 9000, 9000
	a.players[2].x, a.players[2].y = 100, 0
	a.UseHistory(&mapHistory{oldest: 1, ticks: map[game.Tick][]game.Entity{
		10: {playerAt(1, 100, 0, 100), playerAt(2, 120, 0, 100), playerAt(3, 9000, 0, 100)},
	}})
	a.resetRewind()
	if got := a.nearestRewound(12, 100, 0, 1, 2*256, r*r); got != 1 {
		t.Errorf("rewound: hit player index %d, want 1 (player 2)", got)
	}
	if got := a.nearest(100, 0, 1, r*r); got != 2 {
		t.Errorf("current: hit player index %d, want 2 (player 3)", got)
	}
}

// lagShot plays a shot aimed at where a client lagging by `view` ticks draws a moving target. Player 2 walks right
// along y=1200 units, crossing x=1000 at the end of tick 23; player 1 stands at (1000, 1000) and fires straight down
// at tick 20, seeing the world as of tick View + ViewFrac/256. Its projectile reaches y=1200 in the Step of tick 29,
// when that client draws tick 23 if it lags 6 ticks. It returns the tick of the hit (0: none) and the events.
func lagShot(t *testing.T, hist *ringHistory, view game.Tick, frac uint8, settings ...string) (game.Tick, []game.Event) {
	t.Helper()
	a := newTestArena(t, 1, 2, settings...)
	if hist != nil {
		a.UseHistory(hist)
	}
	p := a.Params()
	place(t, a, 1, 1000, 1000)
	a.players[1].x, a.players[1].y = 1000*Scale-23*p.Speed, 1200*Scale
	var ev game.Events
	var all []game.Event
	for tick := game.Tick(1); tick <= 40; tick++ {
		shooter := input(0, 0, 16384, 0) // aim straight down (+y)
		if tick == 20 {
			shooter.Values[InputFire] = 1
			shooter.View, shooter.ViewFrac = view, frac
		}
		a.ApplyInput(tick, 1, shooter)
		a.ApplyInput(tick, 2, input(1, 0, 0, 0))
		ev.Reset()
		a.Step(tick, &ev)
		if hist != nil {
			hist.record(tick, a)
		}
		all = append(all, ev.List...)
		for _, e := range ev.List {
			if e.Type == EventHit {
				return tick, all
			}
		}
	}
	return 0, all
}

func TestLagCompensatedShot(t *testing.T) {
	for _, tt := range []struct {
		name     string
		hist     int // history size; 0: none
		view     game.Tick
		frac     uint8
		settings []string
		want     game.Tick
	}{
		{"rewound", 64, 14, 0, nil, 29},
		{"rewound, fractional", 64, 13, 160, nil, 29},
		{"setting on", 64, 14, 0, []string{"lag_compensation", "1"}, 29},
		{"setting off", 64, 14, 0, []string{"lag_compensation", "0"}, 0},
		{"no history", 0, 14, 0, nil, 0},
		{"no view", 64, 0, 0, nil, 0},
		{"older than the history", 4, 14, 0, nil, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var h *ringHistory
			if tt.hist > 0 {
				h = newRingHistory(tt.hist)
			}
			got, evs := lagShot(t, h, tt.view, tt.frac, tt.settings...)
			if got != tt.want {
				t.Fatalf("hit at tick %d, want %d (events %v)", got, tt.want, evs)
			}
			if got == 0 {
				return
			}
			// The hit damages the target as it is now.
			hit := evs[len(evs)-1]
			if hit.Player != 2 || hit.Args != [4]int32{1, Damage, MaxHP - Damage} {
				t.Errorf("hit event %+v", hit)
			}
		})
	}
}

// TestLagCompensationHitsCurrentState: a rewound hit on a player who respawned since damages the respawned player.
func TestLagCompensationHitsCurrentState(t *testing.T) {
	h := newRingHistory(64)
	a := newTestArena(t, 1, 2)
	a.UseHistory(h)
	place(t, a, 1, 1000, 1000)
	place(t, a, 2, 1000, 1100)
	var ev game.Events
	tick := game.Tick(0)
	step := func(shooter *game.Input) {
		tick++
		a.ApplyInput(tick, 1, shooter)
		a.ApplyInput(tick, 2, input(0, 0, 0, 0))
		ev.Reset()
		a.Step(tick, &ev)
		h.record(tick, a)
	}
	for range 10 {
		step(input(0, 0, 0, 0))
	}
	// Player 2 is somewhere else now, with less hp; the shooter saw it at tick 5, below it.
	a.players[1].x, a.players[1].y, a.players[1].hp = 100*Scale, 100*Scale, 50
	shot := input(0, 0, 16384, 1)
	shot.View = 5
	step(shot)
	for range 10 {
		if len(ev.List) > 0 {
			break
		}
		step(input(0, 0, 16384, 0))
	}
	if len(ev.List) != 1 || ev.List[0].Type != EventHit || ev.List[0].Player != 2 || ev.List[0].Args[2] != 40 {
		t.Fatalf("events %+v, want one hit on player 2 leaving 40 hp", ev.List)
	}
	if e, _ := entity(a, 2); e.Fields[PlayerHP] != 40 || e.Fields[PlayerX] != 100*Scale {
		t.Errorf("player 2 now %v", e.Fields)
	}
}

// TestFillKeepsLag: a fill fires with the lag of the player's last real input, not with its (older) View.
func TestFillKeepsLag(t *testing.T) {
	a := newTestArena(t, 1, 1)
	in := input(0, 0, 0, 1)
	in.View, in.ViewFrac = 94, 128
	a.ApplyInput(100, 1, in)
	fill := *in
	fill.Missed, fill.Seq = true, 0
	a.ApplyInput(108, 1, &fill) // the engine hands a fill the last real View
	if n := len(a.projectiles); n != 2 {
		t.Fatalf("%d projectiles, want 2: a fill repeats fire", n)
	}
	for i, pr := range a.projectiles {
		if want := int32(6*256 - 128); pr.lag != want {
			t.Errorf("projectile %d: lag %d, want %d", i, pr.lag, want)
		}
	}
	off := newTestArena(t, 1, 1, "lag_compensation", "0")
	off.ApplyInput(100, 1, in)
	if off.projectiles[0].lag != 0 {
		t.Errorf("lag %d with lag compensation off", off.projectiles[0].lag)
	}
}

// lagWorkload plays the standard workload with every input carrying a View 5 to 7 ticks back, recording a history.
func lagWorkload(t testing.TB, settings ...string) (step func() []game.Event, a *Arena) {
	a = newTestArena(t, 7, 16, settings...)
	h := newRingHistory(64)
	a.UseHistory(h)
	w := newWorkload(3, 16)
	var ev game.Events
	tick := game.Tick(0)
	return func() []game.Event {
		tick++
		for i, b := range w.next() {
			in := &w.players[i].in
			if tick > 7 {
				in.View, in.ViewFrac = tick-5-game.Tick(i%3), uint8(i*37)
			}
			a.ApplyInput(tick, b.id, in)
		}
		ev.Reset()
		a.Step(tick, &ev)
		h.record(tick, a)
		return ev.List
	}, a
}

// TestLagCompensationDeterminism: with a history and Views, two runs still agree tick for tick, and rewinding changes
// the outcome compared with lag compensation off.
func TestLagCompensationDeterminism(t *testing.T) {
	const ticks = 3000
	run := func(settings ...string) (states [][]game.Entity, hits int) {
		step, a := lagWorkload(t, settings...)
		for range ticks {
			for _, e := range step() {
				if e.Type == EventHit {
					hits++
				}
			}
			states = append(states, a.AppendEntities(nil))
		}
		return states, hits
	}
	s1, hits := run()
	s2, _ := run()
	for i := range s1 {
		if !slices.Equal(s1[i], s2[i]) {
			t.Fatalf("tick %d: entities differ between two runs", i+1)
		}
	}
	off, hitsOff := run("lag_compensation", "0")
	t.Logf("hits in %d ticks: %d rewound, %d not", ticks, hits, hitsOff)
	if hits == 0 {
		t.Fatal("no hits")
	}
	if slices.EqualFunc(s1, off, func(x, y []game.Entity) bool { return slices.Equal(x, y) }) {
		t.Error("lag compensation changed nothing")
	}
}

// TestLagCompensationTickAllocs requires a steady-state tick with rewinding to allocate nothing.
func TestLagCompensationTickAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	step, _ := lagWorkload(t)
	for range 300 {
		step()
	}
	if n := testing.AllocsPerRun(3000, func() { step() }); n != 0 {
		t.Errorf("a steady-state tick with lag compensation allocates %v times, want 0", n)
	}
}

// BenchmarkArenaStepLagComp is BenchmarkArenaStep with every input carrying a View 5 to 7 ticks back and a 64-tick
// history: every projectile's hit test is rewound. The snapshot's AppendEntities writes into the history, as in the
// room.
func BenchmarkArenaStepLagComp(b *testing.B) {
	const players = 16
	a := newTestArena(b, 1, players)
	h := newRingHistory(64)
	a.UseHistory(h)
	w := newWorkload(2, players)
	var ev game.Events
	tick := game.Tick(0)
	entities := 0
	run := func() {
		tick++
		for i, bs := range w.next() {
			in := &w.players[i].in
			if tick > 7 {
				in.View, in.ViewFrac = tick-5-game.Tick(i%3), uint8(i*37)
			}
			a.ApplyInput(tick, bs.id, in)
		}
		ev.Reset()
		a.Step(tick, &ev)
		h.record(tick, a) // AppendEntities into the history, as the room does
		entities += len(h.worlds[int(tick)%len(h.worlds)].es)
	}
	for range 300 {
		run()
	}
	entities = 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		run()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/players, "ns/player-tick")
	b.ReportMetric(float64(entities)/float64(b.N), "entities/tick")
}
