package arena

import (
	"errors"
	"slices"
	"testing"

	"github.com/tickwire/tickwire/game"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]string
		wantErr  bool
	}{
		{"no settings", nil, false},
		{"zero limits", map[string]string{"time_limit_s": "0", "score_limit": "0"}, false},
		{"empty values", map[string]string{"time_limit_s": "", "score_limit": ""}, false},
		{"limits", map[string]string{"time_limit_s": "300", "score_limit": "25"}, false},
		{"unknown settings ignored", map[string]string{"gravity": "high"}, false},
		{"negative", map[string]string{"time_limit_s": "-1"}, true},
		{"not a number", map[string]string{"score_limit": "ten"}, true},
		{"fraction", map[string]string{"time_limit_s": "1.5"}, true},
		{"huge", map[string]string{"time_limit_s": "99999999999"}, true},
		{"lag compensation off", map[string]string{"lag_compensation": "0"}, false},
		{"lag compensation on", map[string]string{"lag_compensation": "1"}, false},
		{"lag compensation empty", map[string]string{"lag_compensation": ""}, false},
		{"lag compensation not a switch", map[string]string{"lag_compensation": "2"}, true},
		{"lag compensation word", map[string]string{"lag_compensation": "on"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, err := Factory(game.Config{Seed: 1, TickRate: 30, MaxPlayers: 16, Settings: tt.settings})
			if tt.wantErr {
				if !errors.Is(err, ErrBadSetting) || sim != nil {
					t.Fatalf("Factory = %v, %v; want nil, ErrBadSetting", sim, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Factory: %v", err)
			}
			if err := sim.Schema().Validate(); err != nil {
				t.Errorf("Schema().Validate() = %v", err)
			}
		})
	}
}

func TestSchema(t *testing.T) {
	s := newTestArena(t, 1, 0).Schema()
	if len(s.Kinds) != 2 {
		t.Fatalf("%d kinds, want 2", len(s.Kinds))
	}
	player, proj := s.Kinds[0], s.Kinds[1]
	if player.ID != KindPlayer || player.Name != "player" || len(player.Fields) != 8 {
		t.Errorf("player kind = %+v", player)
	}
	if proj.ID != KindProjectile || proj.Name != "projectile" || len(proj.Fields) != 5 {
		t.Errorf("projectile kind = %+v", proj)
	}
	// x and y are predicted from vx and vy (RateField is 1 + index).
	for _, k := range s.Kinds {
		if k.Fields[0].RateField != 3 || k.Fields[1].RateField != 4 {
			t.Errorf("kind %s: x, y rate fields = %d, %d; want 3, 4", k.Name, k.Fields[0].RateField, k.Fields[1].RateField)
		}
	}
	if len(s.Input) != 4 || s.Input[InputAim].Max != 65535 || s.Input[InputFire].Max != 1 {
		t.Errorf("input = %+v", s.Input)
	}
	// Angles wrap; a player's position jumps only when it respawns; a missed input repeats the last one.
	if w := player.Fields[PlayerAim].Wrap; w != 65536>>AimShift {
		t.Errorf("aim wrap = %d", w)
	}
	p := NewParams(30)
	for _, f := range []int{PlayerX, PlayerY} {
		if tp := player.Fields[f].Teleport; tp <= p.Speed || tp <= p.Diag || tp >= p.WorldW*p.Scale/4 {
			t.Errorf("player field %s teleport = %d; want above the largest move per tick %d", player.Fields[f].Name, tp, p.Speed)
		}
	}
	if s.Fill != game.FillRepeat {
		t.Errorf("fill = %v, want FillRepeat", s.Fill)
	}
}

func TestLagCompensationSetting(t *testing.T) {
	for _, tt := range []struct {
		settings []string
		want     bool
	}{{nil, true}, {[]string{"lag_compensation", ""}, true}, {[]string{"lag_compensation", "1"}, true}, {[]string{"lag_compensation", "0"}, false}} {
		if got := newTestArena(t, 1, 0, tt.settings...).LagCompensation(); got != tt.want {
			t.Errorf("settings %q: LagCompensation() = %v, want %v", tt.settings, got, tt.want)
		}
	}
}

func TestJoin(t *testing.T) {
	a, err := New(game.Config{Seed: 7, TickRate: 30, MaxPlayers: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		p    game.PlayerID
		want error
	}{
		{3, nil},
		{1, nil},
		{3, game.ErrRejected}, // already in
		{0, game.ErrRejected},
		{ProjectileIDBase, game.ErrRejected}, // would clash with projectile ids
		{2, nil},
		{4, game.ErrFull},
	} {
		if err := a.Join(game.Player{ID: tt.p}); err != tt.want {
			t.Errorf("Join(%d) = %v, want %v", tt.p, err, tt.want)
		}
	}
	es := a.AppendEntities(nil)
	var ids []uint32
	for _, e := range es {
		ids = append(ids, e.ID)
		if e.Kind != KindPlayer || e.Fields[PlayerHP] != MaxHP || e.Fields[PlayerScore] != 0 {
			t.Errorf("new player entity = %+v", e)
		}
		max := int32(WorldW * Scale)
		if x, y := e.Fields[PlayerX], e.Fields[PlayerY]; x < 0 || x > max || y < 0 || y > max {
			t.Errorf("player %d spawned outside the world at (%d, %d)", e.ID, x, y)
		}
	}
	if !slices.Equal(ids, []uint32{1, 2, 3}) {
		t.Errorf("entity ids = %v, want [1 2 3]", ids)
	}
	a.Leave(2)
	if err := a.Join(game.Player{ID: 4}); err != nil {
		t.Errorf("Join(4) after a leave = %v", err)
	}
}

func TestAimTurn(t *testing.T) {
	for _, c := range []struct{ prev, next, want int32 }{
		{0, 100, 100}, {100, 0, -100}, {65500, 36, 72}, {36, 65500, -72}, {0, 32768, -32768}, {5, 5, 0},
	} {
		if got := aimTurn(c.prev, c.next); got != c.want {
			t.Errorf("aimTurn(%d, %d) = %d, want %d", c.prev, c.next, got, c.want)
		}
	}
}

func TestApplyInput(t *testing.T) {
	a := newTestArena(t, 1, 2)
	place(t, a, 1, 1000, 1000)
	place(t, a, 2, 500, 500)
	a.ApplyInput(1, 1, input(1, 1, 0x1234, 0))
	a.ApplyInput(1, 99, input(1, 0, 0, 1)) // unknown player: ignored
	var ev game.Events
	a.Step(1, &ev)
	p1, _ := entity(a, 1)
	want := [game.MaxFields]int32{16000 + 75, 16000 + 75, 75, 75, 0x1234, MaxHP, 0, 0x1234}
	if p1.Fields != want {
		t.Errorf("player 1 after one input = %v, want %v", p1.Fields, want)
	}
	// No input in a tick: no movement, vx and vy keep their values.
	a.Step(2, &ev)
	if p1b, _ := entity(a, 1); p1b.Fields != want {
		t.Errorf("player 1 after a tick without input = %v, want %v", p1b.Fields, want)
	}
	// Two inputs in a tick move twice; vx is the last displacement.
	a.ApplyInput(3, 1, input(-1, 0, 0, 0))
	a.ApplyInput(3, 1, input(-1, 0, 0, 0))
	a.Step(3, &ev)
	p1c, _ := entity(a, 1)
	if got := [3]int32{p1c.Fields[PlayerX], p1c.Fields[PlayerY], p1c.Fields[PlayerVX]}; got != [3]int32{16075 - 214, 16075, -107} {
		t.Errorf("player 1 after two inputs: x, y, vx = %v", got)
	}
	if p2, _ := entity(a, 2); p2.Fields[PlayerX] != 8000 || p2.Fields[PlayerVX] != 0 {
		t.Errorf("player 2 moved without input: %v", p2.Fields)
	}
	if n := len(projectiles(a.AppendEntities(nil))); n != 0 {
		t.Errorf("%d projectiles after an unknown player's fire, want 0", n)
	}
}

func TestFireRateLimit(t *testing.T) {
	for _, inputsPerTick := range []int{1, 2, 4} {
		a := newTestArena(t, 1, 1)
		place(t, a, 1, 1000, 1000)
		var ev game.Events
		seen := map[uint32]bool{}
		var lastShot game.Tick
		for tick := game.Tick(1); tick <= 90; tick++ { // 3 s at 30 Hz
			for range inputsPerTick {
				a.ApplyInput(tick, 1, input(0, 0, int32(tick)*1000, 1))
			}
			a.Step(tick, &ev)
			for _, e := range projectiles(a.AppendEntities(nil)) {
				if !seen[e.ID] {
					seen[e.ID] = true
					if lastShot != 0 && tick-lastShot < 8 {
						t.Errorf("%d inputs/tick: shots at ticks %d and %d, closer than the fire interval", inputsPerTick, lastShot, tick)
					}
					lastShot = tick
				}
			}
		}
		// 4 shots/s for 3 s, plus one for the shot at the very start.
		if n := len(seen); n > 13 || n < 11 {
			t.Errorf("%d inputs/tick for 3 s with fire set: %d shots, want 11..13", inputsPerTick, n)
		}
	}
}

func TestProjectileLifetimeAndMotion(t *testing.T) {
	a := newTestArena(t, 1, 1)
	place(t, a, 1, 1000, 1000)
	var ev game.Events
	a.ApplyInput(1, 1, input(0, 0, 8192, 1)) // down-right
	a.Step(1, &ev)
	ps := projectiles(a.AppendEntities(nil))
	if len(ps) != 1 {
		t.Fatalf("%d projectiles after a shot, want 1", len(ps))
	}
	p := ps[0]
	want := [game.MaxFields]int32{16000 + 226, 16000 + 226, 226, 226, 1}
	if p.ID != ProjectileIDBase || p.Fields != want {
		t.Fatalf("projectile = %d %v, want %d %v", p.ID, p.Fields, ProjectileIDBase, want)
	}
	for tick := game.Tick(2); tick <= 40; tick++ {
		a.Step(tick, &ev)
		got, ok := entity(a, p.ID)
		if alive := tick < 31; ok != alive {
			t.Fatalf("tick %d: projectile present = %v, want %v (lifetime 30 ticks from tick 1)", tick, ok, alive)
		}
		if !ok {
			continue
		}
		// The snapshot codec predicts x + vx·Δt: a projectile must follow it exactly.
		dt := int32(tick - 1)
		if got.Fields[ProjX] != want[ProjX]+226*dt || got.Fields[ProjY] != want[ProjY]+226*dt || got.Fields[ProjVX] != 226 {
			t.Fatalf("tick %d: projectile %v off its straight line", tick, got.Fields)
		}
	}
	if len(ev.List) != 0 {
		t.Errorf("events with one player = %v", ev.List)
	}
}

func TestProjectileLeavesWorld(t *testing.T) {
	tests := []struct {
		name      string
		x, y      int32 // world units
		aim       int32
		wantTicks int // snapshots the projectile appears in
	}{
		{"right wall", 1940, 1000, 0, 3}, // 20 units a tick: 1960, 1980, 2000 (on the edge), then out
		{"right wall at once", 1999, 1000, 0, 0},
		{"top wall", 1000, 30, 49152, 1},
		{"left wall", 45, 1000, 32768, 2},
		{"bottom wall", 1000, 1990, 16384, 0},
		{"open field", 1000, 1000, 0, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestArena(t, 1, 1)
			place(t, a, 1, tt.x, tt.y)
			var ev game.Events
			a.ApplyInput(1, 1, input(0, 0, tt.aim, 1))
			n := 0
			for tick := game.Tick(1); tick <= 40; tick++ {
				a.Step(tick, &ev)
				if len(projectiles(a.AppendEntities(nil))) > 0 {
					n++
				}
			}
			if n != tt.wantTicks {
				t.Errorf("projectile seen in %d snapshots, want %d", n, tt.wantTicks)
			}
		})
	}
}

// shoot makes player from fire at player to's direction along +x until it has fired n shots (one per fire interval)
// and steps until they land. It returns the events of all those ticks.
func shoot(t *testing.T, a *Arena, from game.PlayerID, n int, tick *game.Tick) []game.Event {
	t.Helper()
	var all []game.Event
	var ev game.Events
	for shots := 0; shots < n; {
		*tick++
		if int(*tick)%int(a.params.FireInterval) == 0 {
			a.ApplyInput(*tick, from, input(0, 0, 0, 1))
			shots++
		}
		ev.Reset()
		a.Step(*tick, &ev)
		all = append(all, ev.List...)
	}
	for range 10 {
		*tick++
		ev.Reset()
		a.Step(*tick, &ev)
		all = append(all, ev.List...)
	}
	return all
}

func TestHitKillRespawn(t *testing.T) {
	a := newTestArena(t, 42, 3)
	place(t, a, 1, 1000, 1000)
	place(t, a, 2, 1100, 1000) // 100 units to the right
	place(t, a, 3, 1000, 1500) // out of the line of fire
	var tick game.Tick

	evs := shoot(t, a, 1, 1, &tick)
	want := []game.Event{{Type: EventHit, Player: 2, Args: [4]int32{1, 10, 90}, NArgs: 3}}
	if !slices.Equal(evs, want) {
		t.Fatalf("events after one shot = %v, want %v", evs, want)
	}
	if p2, _ := entity(a, 2); p2.Fields[PlayerHP] != 90 {
		t.Errorf("player 2 hp = %d, want 90", p2.Fields[PlayerHP])
	}
	if n := len(projectiles(a.AppendEntities(nil))); n != 0 {
		t.Errorf("%d projectiles left after the hit, want 0 (a hit removes it)", n)
	}

	evs = shoot(t, a, 1, 9, &tick)
	if len(evs) != 11 {
		t.Fatalf("events after 9 more shots = %v, want 9 hits, a kill and a respawn", evs)
	}
	for i, e := range evs[:9] {
		if want := (game.Event{Type: EventHit, Player: 2, Args: [4]int32{1, 10, int32(80 - 10*i)}, NArgs: 3}); e != want {
			t.Errorf("event %d = %v, want %v", i, e, want)
		}
	}
	if want := (game.Event{Type: EventKill, Player: 2, Args: [4]int32{1, 1}, NArgs: 2}); evs[9] != want {
		t.Errorf("kill event = %v, want %v", evs[9], want)
	}
	resp := evs[10]
	if resp.Type != EventRespawn || resp.Player != 2 || resp.NArgs != 2 {
		t.Errorf("respawn event = %v", resp)
	}
	p1, _ := entity(a, 1)
	p2, _ := entity(a, 2)
	p3, _ := entity(a, 3)
	if p1.Fields[PlayerScore] != 1 || p1.Fields[PlayerHP] != MaxHP {
		t.Errorf("shooter = %v, want score 1 and full hp", p1.Fields)
	}
	if p2.Fields[PlayerHP] != MaxHP || p2.Fields[PlayerScore] != 0 ||
		p2.Fields[PlayerX] != resp.Args[0] || p2.Fields[PlayerY] != resp.Args[1] {
		t.Errorf("respawned player = %v, respawn event %v", p2.Fields, resp)
	}
	if p3.Fields[PlayerHP] != MaxHP {
		t.Errorf("bystander hp = %d, want %d", p3.Fields[PlayerHP], MaxHP)
	}
}

func TestHitNearestNotOwner(t *testing.T) {
	a := newTestArena(t, 1, 3)
	place(t, a, 1, 1000, 1000)
	// After 4 ticks the projectile is at x 1080: player 2 is 18.0 units away, player 3 5 units; both were out of reach
	// a tick earlier. The lower id loses to the nearer player.
	place(t, a, 2, 1090, 1015)
	place(t, a, 3, 1085, 1000)
	var tick game.Tick
	evs := shoot(t, a, 1, 1, &tick)
	if len(evs) != 1 || evs[0].Player != 3 {
		t.Errorf("events = %v, want one hit on player 3 (the nearest)", evs)
	}

	// A projectile never hits its owner, even while overlapping it.
	b := newTestArena(t, 1, 1)
	place(t, b, 1, 1000, 1000)
	tick = 0
	if evs := shoot(t, b, 1, 3, &tick); len(evs) != 0 {
		t.Errorf("owner alone: events %v", evs)
	}
}

func TestDisconnectResumeLeave(t *testing.T) {
	a := newTestArena(t, 1, 2)
	place(t, a, 1, 1000, 1000)
	place(t, a, 2, 1100, 1000)
	var ev game.Events
	a.ApplyInput(1, 2, input(0, 1, 0, 0))
	a.Step(1, &ev)

	a.Disconnected(2)
	if p2, ok := entity(a, 2); !ok || p2.Fields[PlayerVX] != 0 || p2.Fields[PlayerVY] != 0 {
		t.Fatalf("disconnected player = %v, %v; want present and at rest", p2, ok)
	}
	if a.players[a.find(2)].connected {
		t.Error("player 2 still marked connected")
	}
	place(t, a, 2, 1100, 1000)
	tick := game.Tick(1)
	if evs := shoot(t, a, 1, 1, &tick); len(evs) != 1 || evs[0].Player != 2 {
		t.Errorf("shot at a disconnected player: events %v, want a hit", evs)
	}
	a.Resumed(2)
	if !a.players[a.find(2)].connected {
		t.Error("player 2 not connected after Resumed")
	}

	// Leave removes the player at once; its projectile in flight stays and scores for no one.
	place(t, a, 2, 1000, 1000)
	place(t, a, 1, 1300, 1000)
	a.players[a.find(1)].hp = 10
	tick++
	a.ApplyInput(tick, 2, input(0, 0, 0, 1))
	a.Leave(2)
	a.Leave(2)  // twice: no-op
	a.Leave(77) // unknown: no-op
	es := a.AppendEntities(nil)
	if _, ok := entity(a, 2); ok || len(projectiles(es)) != 1 {
		t.Fatalf("after Leave: entities %v; want player 2 gone, its projectile still there", es)
	}
	var evs []game.Event
	for range 30 {
		tick++
		ev.Reset()
		a.Step(tick, &ev)
		evs = append(evs, ev.List...)
	}
	if len(evs) != 3 || evs[1] != (game.Event{Type: EventKill, Player: 1, Args: [4]int32{2, 0}, NArgs: 2}) {
		t.Errorf("events from a departed player's projectile = %v, want hit, kill with score 0, respawn", evs)
	}
	// Calls for unknown players are ignored.
	a.Disconnected(77)
	a.Resumed(77)
}

func TestResultTimeLimit(t *testing.T) {
	a := newTestArena(t, 1, 4, "time_limit_s", "2")
	var ev game.Events
	for tick := game.Tick(1); tick < 60; tick++ {
		a.Step(tick, &ev)
		if _, ok := a.Result(); ok {
			t.Fatalf("match ended at tick %d, before the 2 s limit (tick 60)", tick)
		}
	}
	for i, s := range []int32{3, 5, 3, 0} {
		a.players[i].score = s
	}
	a.Step(60, &ev)
	res, ok := a.Result()
	if !ok {
		t.Fatal("match not ended at tick 60")
	}
	want := game.Result{Reason: ReasonTimeLimit, Players: []game.PlayerResult{
		{Player: 2, Score: 5, Rank: 1},
		{Player: 1, Score: 3, Rank: 2},
		{Player: 3, Score: 3, Rank: 2},
		{Player: 4, Score: 0, Rank: 4},
	}}
	if res.Reason != want.Reason || !slices.Equal(res.Players, want.Players) {
		t.Errorf("Result = %+v, want %+v", res, want)
	}
	// After the end nothing changes.
	before := a.AppendEntities(nil)
	a.ApplyInput(61, 1, input(1, 1, 0, 1))
	a.Step(61, &ev)
	if after := a.AppendEntities(nil); !slices.Equal(before, after) {
		t.Errorf("state changed after the end: %v -> %v", before, after)
	}
	if res2, ok := a.Result(); !ok || res2.Reason != ReasonTimeLimit {
		t.Errorf("Result after the end = %+v, %v", res2, ok)
	}
}

func TestResultScoreLimit(t *testing.T) {
	a := newTestArena(t, 1, 3, "score_limit", "1", "time_limit_s", "600")
	place(t, a, 1, 1000, 1000)
	place(t, a, 2, 1100, 1000)
	place(t, a, 3, 200, 200)
	a.players[a.find(2)].hp = 10
	var tick game.Tick
	if _, ok := a.Result(); ok {
		t.Fatal("ended before any kill")
	}
	shoot(t, a, 1, 1, &tick)
	res, ok := a.Result()
	if !ok {
		t.Fatal("not ended after reaching the score limit")
	}
	want := []game.PlayerResult{{Player: 1, Score: 1, Rank: 1}, {Player: 2, Score: 0, Rank: 2}, {Player: 3, Score: 0, Rank: 2}}
	if res.Reason != ReasonScoreLimit || !slices.Equal(res.Players, want) {
		t.Errorf("Result = %+v, want %s %v", res, ReasonScoreLimit, want)
	}
}

func TestNoLimits(t *testing.T) {
	a := newTestArena(t, 1, 2)
	var ev game.Events
	for i := range a.players {
		a.players[i].score = 1000
	}
	for tick := game.Tick(1); tick <= 30*60*10; tick++ { // ten minutes
		a.Step(tick, &ev)
	}
	if res, ok := a.Result(); ok {
		t.Errorf("match without limits ended: %+v", res)
	}
}

func TestStandingsBeforeTheEnd(t *testing.T) {
	a := newTestArena(t, 1, 3)
	a.players[0].score, a.players[1].score, a.players[2].score = 1, 3, 1
	got := a.Standings()
	want := []game.PlayerResult{{Player: 2, Score: 3, Rank: 1}, {Player: 1, Score: 1, Rank: 2}, {Player: 3, Score: 1, Rank: 2}}
	if len(got) != len(want) {
		t.Fatalf("Standings() = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Standings()[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	if _, ended := a.Result(); ended {
		t.Error("Standings ended the match")
	}
}
