// Package arena is Tickwire's reference game: a top-down shooter in a 2000 × 2000 unit world where players move,
// aim and fire projectiles at each other (see the project's ARENA.md for the rules). The demo, the bots and every
// benchmark play it.
//
// The arena implements game.Sim with integers only: positions are in sub-units (Scale per world unit), angles are
// 16-bit, and randomness (spawn points) comes from a PCG generator seeded with game.Config.Seed, so two arenas fed the
// same calls produce the same entities on every platform. Its state is shaped for the snapshot codec: a player's vx,
// vy are the displacement its last input applied, and a projectile's vx, vy are its constant velocity, so the codec's
// rate prediction makes straight-line motion free after an entity appears.
//
// Entities: kind 1 "player" [x, y, vx, vy, aim, hp, score, aim_rate] with id = player id; kind 2 "projectile"
// [x, y, vx, vy, owner] with ids from ProjectileIDBase upward, never reused. Input: [dx, dy, aim, fire].
//
// Events reported by Step (Event.Player is always the player who was hit):
//   - "hit": Args [shooter, damage, hp after the hit]
//   - "kill": Args [shooter, shooter's score after the kill (0 if the shooter has left)]
//   - "respawn": Args [x, y], the new position in sub-units
//
// Settings: "time_limit_s" (match length in seconds) and "score_limit" (score that wins); absent, empty or 0 means none.
// "lag_compensation": "1" (the default when absent or empty) or "0", see below. "interest_radius": world units; above
// 0, each player is sent only the entities within that distance of it (Factory; 0, the default, sends everyone
// everything); with "interest_cell" above 0 too, players share views by square cells of that side (interest.go).
// "world_size": the side of a square world in world units (absent or 0: WorldW × WorldH); LargeMode's rooms use it.
//
// Inputs: the engine applies exactly one input per connected player per tick. When a player's input did not arrive in
// time the engine repeats its last one (Schema.Fill is game.FillRepeat, in.Missed set): the player keeps moving and
// aiming as it did, and keeps firing if it was firing, still at most ShotsPerSecond times a second. A client holding
// fire predicts exactly that; one that released fire in the input that went missing sees at most one extra shot.
//
// Lag compensation (on unless the setting "lag_compensation" is "0"): a client draws the other players where its
// snapshots had them, a little in the past, and aims there. Each input says the moment the client was drawing
// (Input.View + ViewFrac/256); a projectile fired by an input for tick t records its lag L = t − that moment, in
// 1/256 tick, and in the Step of every later tick t' its hit test looks at the other players where they were at
// t' − L: their positions in the room's history (game.History) at the two ticks around that moment, interpolated
// linearly in fixed point as the client draws them (a jump larger than the x, y fields' Teleport threshold, a
// respawn, is held at the earlier position, as clients draw it). Only a player that existed with hp above 0 at the
// earlier of those two ticks can be hit; the hit damages its current state. When the moment is older than the history
// (or the arena has no history, or the input carried no View) the projectile is tested against current positions. A
// fill (in.Missed) fires with the lag of the player's last real input, since the client kept drawing that far behind.
// Only other players are rewound: the projectile itself flies from the shooter's current position, which the client
// predicts.
//
// A player who disconnects stays in the world, motionless and vulnerable, until it resumes or leaves. A player who
// leaves is removed at once; its projectiles in flight stay until they hit or expire, but score for no one.
//
// An Arena is not safe for concurrent use: the room goroutine owns it, as game.Sim requires.
package arena

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/tickwire/tickwire/game"
)

// Mode is the arena's game mode name.
const Mode = "arena"

// Entity kinds.
const (
	KindPlayer     uint8 = 1
	KindProjectile uint8 = 2
)

// Field indexes of a player entity.
const (
	PlayerX = iota
	PlayerY
	PlayerVX
	PlayerVY
	PlayerAim
	PlayerHP
	PlayerScore
	PlayerAimRate
)

// Field indexes of a projectile entity.
const (
	ProjX = iota
	ProjY
	ProjVX
	ProjVY
	ProjOwner
)

// Input value indexes.
const (
	InputDX   = iota // -1..1
	InputDY          // -1..1, +1 is down
	InputAim         // 0..65535: angle aim/65536 · 2π, direction (cos, sin), +y down
	InputFire        // 0..1
)

// Event types reported by Step.
const (
	EventHit     = "hit"
	EventKill    = "kill"
	EventRespawn = "respawn"
)

// Match end reasons reported by Result.
const (
	ReasonTimeLimit  = "time_limit"
	ReasonScoreLimit = "score_limit"
)

// ErrBadSetting is returned by New when a setting is not an integer from 0 to 1<<24 (or, for an on/off setting, not
// "0" or "1").
var ErrBadSetting = errors.New("arena: bad setting")

// Factory makes an arena for a room; with the setting "interest_radius" above 0, one whose players see only what is
// within that many world units of them.
var Factory game.Factory = func(cfg game.Config) (game.Sim, error) {
	a, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return withInterest(a, cfg.Settings)
}

var _ game.Sim = (*Arena)(nil)

type player struct {
	id        game.PlayerID
	x, y      int32
	vx, vy    int32
	aim       uint16 // full precision; the entity carries aim >> AimShift
	aimRate   int32  // the change of the aim field its last input applied, wrapped to the shortest turn
	hp, score int32
	nextFire  game.Tick // the first tick this player may fire again
	lag       int32     // lag compensation: the lag of its last real input, 1/256 tick
	connected bool
}

type projectile struct {
	id      uint32
	x, y    int32
	vx, vy  int32
	owner   game.PlayerID
	expires game.Tick // removed by the Step of this tick
	lag     int32     // the hit test looks this far back, 1/256 tick (0: current positions)
}

// Arena is one room's arena simulation.
type Arena struct {
	// Static after construction.
	params     Params
	schema     *game.Schema
	maxPlayers int
	timeLimit  game.Tick // 0: none
	scoreLimit int32     // 0: none
	lagComp    bool      // setting "lag_compensation"

	// Owned by the room goroutine.
	rng         *rand.Rand
	pcg         *rand.PCG    // rng's source, saved by Checkpoint
	players     []player     // ascending id
	projectiles []projectile // ascending id (spawn order)
	nextProj    uint32       // id of the next projectile
	tick        game.Tick    // last tick stepped
	ended       bool
	result      game.Result
	hist        game.History // nil: no lag compensation
	rewind      rewindCache  // players' positions at past ticks, read from hist
}

// New makes an arena for cfg. It fails with ErrBadSetting when a setting does not parse.
func New(cfg game.Config) (*Arena, error) {
	tickRate := cfg.TickRate
	if tickRate <= 0 {
		tickRate = DefaultTickRate
	}
	maxPlayers := cfg.MaxPlayers
	if maxPlayers <= 0 {
		maxPlayers = DefaultMaxPlayers
	}
	timeLimit, err := setting(cfg.Settings, "time_limit_s")
	if err != nil {
		return nil, err
	}
	scoreLimit, err := setting(cfg.Settings, "score_limit")
	if err != nil {
		return nil, err
	}
	lagComp, err := switchSetting(cfg.Settings, "lag_compensation", true)
	if err != nil {
		return nil, err
	}
	p := NewParams(tickRate)
	if p.WorldW, p.WorldH, err = worldSetting(cfg.Settings); err != nil {
		return nil, err
	}
	pcg := rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)
	a := &Arena{
		params:     p,
		schema:     newSchema(p),
		maxPlayers: maxPlayers,
		timeLimit:  game.Tick(int64(timeLimit) * int64(tickRate)),
		scoreLimit: int32(scoreLimit),
		lagComp:    lagComp,
		rng:        rand.New(pcg),
		pcg:        pcg,
		players:    make([]player, 0, maxPlayers),
		// A player has at most ceil(lifetime / interval) projectiles alive, plus one fired in the tick the oldest expires.
		projectiles: make([]projectile, 0, maxPlayers*(int(p.ProjectileLifetime/p.FireInterval)+2)),
		nextProj:    ProjectileIDBase,
	}
	return a, nil
}

func setting(s map[string]string, key string) (int32, error) {
	v, ok := s[key]
	if !ok || v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n < 0 || n > 1<<24 {
		return 0, fmt.Errorf("%w: %s=%q: want an integer from 0 to %d", ErrBadSetting, key, v, 1<<24)
	}
	return int32(n), nil
}

// switchSetting parses an on/off setting: "1" or "0", def when absent or empty.
func switchSetting(s map[string]string, key string, def bool) (bool, error) {
	switch v := s[key]; v {
	case "":
		return def, nil
	case "0":
		return false, nil
	case "1":
		return true, nil
	default:
		return false, fmt.Errorf("%w: %s=%q: want 0 or 1", ErrBadSetting, key, v)
	}
}

func newSchema(p Params) *game.Schema {
	return &game.Schema{
		Kinds: []game.KindSpec{
			{ID: KindPlayer, Name: "player", Fields: []game.FieldSpec{
				{Name: "x", RateField: 1 + PlayerVX, Teleport: p.TeleportStep()},
				{Name: "y", RateField: 1 + PlayerVY, Teleport: p.TeleportStep()},
				{Name: "vx"},
				{Name: "vy"},
				{Name: "aim", RateField: 1 + PlayerAimRate, Wrap: 65536 >> AimShift},
				{Name: "hp"},
				{Name: "score"},
				{Name: "aim_rate"},
			}},
			{ID: KindProjectile, Name: "projectile", Fields: []game.FieldSpec{
				{Name: "x", RateField: 1 + ProjVX},
				{Name: "y", RateField: 1 + ProjVY},
				{Name: "vx"},
				{Name: "vy"},
				{Name: "owner"},
			}},
		},
		Input: []game.InputField{
			{Name: "dx", Min: -1, Max: 1},
			{Name: "dy", Min: -1, Max: 1},
			{Name: "aim", Min: 0, Max: 65535},
			{Name: "fire", Min: 0, Max: 1},
		},
		Fill:   game.FillRepeat,
		Params: p.Map(),
	}
}

// Params returns the arena's constants at its tick rate.
func (a *Arena) Params() Params { return a.params }

// Schema describes the arena's entities, inputs and Params.
func (a *Arena) Schema() *game.Schema { return a.schema }

// find returns the index of player p in a.players, or -1.
func (a *Arena) find(p game.PlayerID) int {
	lo, hi := 0, len(a.players)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if a.players[m].id < p {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(a.players) && a.players[lo].id == p {
		return lo
	}
	return -1
}

// Join adds player p at a random point with full hp. It fails with game.ErrFull when the arena holds MaxPlayers, and
// with game.ErrRejected for an id already in the arena, 0, or not below ProjectileIDBase (entity ids must not clash).
// The arena plays anonymous and verified players alike.
func (a *Arena) Join(who game.Player) error {
	p := who.ID
	if p == 0 || p >= ProjectileIDBase || a.find(p) >= 0 {
		return game.ErrRejected
	}
	if len(a.players) >= a.maxPlayers {
		return game.ErrFull
	}
	x, y := a.spawnPoint()
	pl := player{id: p, x: x, y: y, hp: a.params.MaxHP, connected: true}
	i := len(a.players)
	for i > 0 && a.players[i-1].id > p {
		i--
	}
	a.players = append(a.players, player{})
	copy(a.players[i+1:], a.players[i:])
	a.players[i] = pl
	a.playersChanged()
	return nil
}

// Leave removes player p. Its projectiles in flight stay.
func (a *Arena) Leave(p game.PlayerID) {
	if i := a.find(p); i >= 0 {
		a.players = append(a.players[:i], a.players[i+1:]...)
		a.playersChanged()
	}
}

// Disconnected keeps player p in the world, stopped: with no inputs coming it does not move, so its velocity is zeroed
// to keep clients from extrapolating it.
func (a *Arena) Disconnected(p game.PlayerID) {
	if i := a.find(p); i >= 0 {
		pl := &a.players[i]
		pl.connected = false
		pl.vx, pl.vy, pl.aimRate, pl.lag = 0, 0, 0, 0
	}
}

// Resumed marks player p connected again.
func (a *Arena) Resumed(p game.PlayerID) {
	if i := a.find(p); i >= 0 {
		a.players[i].connected = true
	}
}

// ApplyInput moves player p by one tick of its input's direction, sets its aim and, when fire is set and the player's
// fire interval has passed, spawns a projectile at its new position, with the input's lag for lag compensation (a
// fill's is the last real input's). Values out of range are clamped; inputs of an unknown player are ignored.
func (a *Arena) ApplyInput(t game.Tick, p game.PlayerID, in *game.Input) {
	i := a.find(p)
	if i < 0 || a.ended {
		return
	}
	pl := &a.players[i]
	if a.lagComp && !in.Missed {
		pl.lag = viewLag(t, in.View, in.ViewFrac)
	}
	pl.x, pl.y, pl.vx, pl.vy = Move(pl.x, pl.y, in.Values[InputDX], in.Values[InputDY], a.params)
	aim := uint16(clamp(in.Values[InputAim], 0, 65535))
	pl.aimRate = aimTurn(int32(pl.aim>>AimShift), int32(aim>>AimShift))
	pl.aim = aim
	if in.Values[InputFire] != 0 && t >= pl.nextFire {
		pl.nextFire = t + game.Tick(a.params.FireInterval)
		vx, vy := ProjectileVelocity(pl.aim, a.params.ProjectileSpeed)
		a.projectiles = append(a.projectiles, projectile{
			id: a.nextProj, x: pl.x, y: pl.y, vx: vx, vy: vy, owner: p,
			expires: t + game.Tick(a.params.ProjectileLifetime), lag: pl.lag,
		})
		a.nextProj++
	}
}

// AppendEntities appends the players then the projectiles: both lists are kept in ascending id order and every
// player id is below every projectile id.
func (a *Arena) AppendEntities(dst []game.Entity) []game.Entity {
	for i := range a.players {
		pl := &a.players[i]
		dst = append(dst, game.Entity{ID: uint32(pl.id), Kind: KindPlayer, Fields: [game.MaxFields]int32{
			pl.x, pl.y, pl.vx, pl.vy, int32(pl.aim >> AimShift), pl.hp, pl.score, pl.aimRate,
		}})
	}
	for i := range a.projectiles {
		pr := &a.projectiles[i]
		dst = append(dst, game.Entity{ID: pr.id, Kind: KindProjectile, Fields: [game.MaxFields]int32{
			pr.x, pr.y, pr.vx, pr.vy, int32(pr.owner),
		}})
	}
	return dst
}

// spawnPoint returns a uniformly random point of the world, in sub-units.
func (a *Arena) spawnPoint() (x, y int32) {
	x = a.rng.Int32N(a.params.WorldW*a.params.Scale + 1)
	y = a.rng.Int32N(a.params.WorldH*a.params.Scale + 1)
	return x, y
}

// aimTurn returns the change from aim field value prev to next along the shorter way round the circle, in aim field
// units. Stored as the aim's rate, it lets a steadily turning aim cost nothing in deltas.
func aimTurn(prev, next int32) int32 {
	const span = int32(1) << (16 - AimShift)
	d := (next - prev) & (span - 1)
	if d >= span/2 {
		d -= span
	}
	return d
}
