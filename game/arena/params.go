package arena

import "math"

// World geometry and rules fixed by the arena's design. Positions are integers in sub-units: Scale sub-units make one
// world unit, so the world spans 0..WorldW*Scale on each axis.
const (
	Scale  = 16   // sub-units per world unit
	WorldW = 2000 // world width in world units
	WorldH = 2000 // world height in world units

	PlayerSpeed     = 200 // world units per second, any direction
	ProjectileSpeed = 600 // world units per second
	HitRadius       = 20  // world units
	Damage          = 10  // hit points a projectile takes
	MaxHP           = 100 // hit points at spawn
	ShotsPerSecond  = 4   // the most a player may fire

	// ProjectileIDBase is the entity id of the first projectile; player entity ids equal player ids, which are below it.
	ProjectileIDBase = 65536
	// AimShift is how far the 16-bit input aim is shifted right to make the player's aim field. 0 keeps full
	// precision: with the aim_rate field a steadily turning aim is predicted exactly by clients, so precision is free.
	AimShift = 0

	// DefaultTickRate is used when the room does not say (game.Config.TickRate 0).
	DefaultTickRate = 30
	// DefaultMaxPlayers is used when the room does not say (game.Config.MaxPlayers 0).
	DefaultMaxPlayers = 16
)

// Params are the arena's constants at a given tick rate, in the units the simulation uses. Clients receive them as
// the Schema's Params (the key is given for each field) and need them to predict their own movement with Move.
type Params struct {
	Scale              int32 // "scale": sub-units per world unit
	WorldW             int32 // "world_w": world width in world units
	WorldH             int32 // "world_h": world height in world units
	Speed              int32 // "speed": sub-units per tick on one axis when moving along that axis only
	Diag               int32 // "diag": sub-units per tick on each axis when moving diagonally
	ProjectileSpeed    int32 // "projectile_speed": sub-units per tick along the aim
	ProjectileLifetime int32 // "projectile_lifetime": ticks a projectile lives (one second)
	HitRadius          int32 // "hit_radius": world units; a projectile this close to a player hits it
	Damage             int32 // "damage": hit points one hit takes
	MaxHP              int32 // "max_hp": hit points at (re)spawn
	FireInterval       int32 // "fire_interval": the fewest ticks between two shots of one player
	AimShift           int32 // "aim_shift": the player's aim field is the input aim (0..65535) shifted right by this
	ProjectileIDBase   int32 // "projectile_id_base": entity id of the first projectile
}

// NewParams returns the arena's Params at tickRate ticks per second (DefaultTickRate if tickRate <= 0).
// Speeds are rounded to the nearest sub-unit per tick; the fire interval is rounded up so that a player never fires
// more than ShotsPerSecond times a second.
func NewParams(tickRate int) Params {
	if tickRate <= 0 {
		tickRate = DefaultTickRate
	}
	tr := int64(tickRate)
	perTick := func(unitsPerSecond int64) int32 { // round half up, integers only
		return int32((2*unitsPerSecond*Scale + tr) / (2 * tr))
	}
	// The diagonal is speed/√2 per axis. Square root and division are exactly rounded in IEEE 754, so this is the
	// same on every platform.
	diag := int32(math.Round(float64(PlayerSpeed*Scale) / float64(tr) / math.Sqrt2))
	return Params{
		Scale:              Scale,
		WorldW:             WorldW,
		WorldH:             WorldH,
		Speed:              perTick(PlayerSpeed),
		Diag:               diag,
		ProjectileSpeed:    perTick(ProjectileSpeed),
		ProjectileLifetime: int32(tickRate),
		HitRadius:          HitRadius,
		Damage:             Damage,
		MaxHP:              MaxHP,
		FireInterval:       int32((tr + ShotsPerSecond - 1) / ShotsPerSecond),
		AimShift:           AimShift,
		ProjectileIDBase:   ProjectileIDBase,
	}
}

// TeleportStep is the player x, y fields' Teleport threshold: twice the most a player moves on one axis in a tick, so
// that any larger change (a respawn) is drawn as a jump. Lag compensation holds such a jump the same way.
func (p Params) TeleportStep() int32 { return 2 * p.Speed }

// Map returns the Params keyed as in the Schema (and the Welcome).
func (p Params) Map() map[string]int32 {
	return map[string]int32{
		"scale":               p.Scale,
		"world_w":             p.WorldW,
		"world_h":             p.WorldH,
		"speed":               p.Speed,
		"diag":                p.Diag,
		"projectile_speed":    p.ProjectileSpeed,
		"projectile_lifetime": p.ProjectileLifetime,
		"hit_radius":          p.HitRadius,
		"damage":              p.Damage,
		"max_hp":              p.MaxHP,
		"fire_interval":       p.FireInterval,
		"aim_shift":           p.AimShift,
		"projectile_id_base":  p.ProjectileIDBase,
	}
}

// Move applies one input's movement to a player at (x, y), in sub-units. dx and dy are the input's direction (values
// outside -1..1 count as their sign). The player moves Speed along one axis, or Diag on both when diagonal, and is
// clamped to the world [0, WorldW*Scale] x [0, WorldH*Scale]. It returns the new position and the displacement
// actually applied on each axis (0 on an axis a wall stopped), which the arena stores as the player's velocity.
//
// Clients mirror this function exactly to predict their own movement; testdata/move_golden.json pins its results.
func Move(x, y, dx, dy int32, p Params) (nx, ny, vx, vy int32) {
	vx, vy = Velocity(dx, dy, p)
	nx = clamp(x+vx, 0, p.WorldW*p.Scale)
	ny = clamp(y+vy, 0, p.WorldH*p.Scale)
	return nx, ny, nx - x, ny - y
}

// Velocity returns a player's displacement per tick for an input direction, before walls: (±Speed, 0), (0, ±Speed),
// (±Diag, ±Diag) or (0, 0). Values of dx, dy outside -1..1 count as their sign.
func Velocity(dx, dy int32, p Params) (vx, vy int32) {
	dx, dy = sign(dx), sign(dy)
	step := p.Speed
	if dx != 0 && dy != 0 {
		step = p.Diag
	}
	return dx * step, dy * step
}

func sign(v int32) int32 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

func clamp(v, lo, hi int32) int32 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// sinTable holds a quarter wave: sinTable[i] = round(sin(i/65536 · 2π) · 65536) for i in 0..16384. It is computed
// once; rounding to integers absorbs any last-bit difference between platforms' math.Sin.
var sinTable = func() *[16385]int32 {
	var t [16385]int32
	for i := range t {
		t[i] = int32(math.Round(math.Sin(float64(i)*(2*math.Pi/65536)) * 65536))
	}
	return &t
}()

// Sin returns sin(a/65536 · 2π) · 65536, rounded, for a full-precision aim a.
func Sin(a uint16) int32 {
	i := int(a & 0x3FFF)
	switch a >> 14 {
	case 0:
		return sinTable[i]
	case 1:
		return sinTable[16384-i]
	case 2:
		return -sinTable[i]
	default:
		return -sinTable[16384-i]
	}
}

// Cos returns cos(a/65536 · 2π) · 65536, rounded, for a full-precision aim a.
func Cos(a uint16) int32 { return Sin(a + 16384) }

// ProjectileVelocity returns a projectile's displacement per tick, in sub-units, for a full-precision aim a: speed
// along the direction (cos, sin), +y down, each component rounded half up.
func ProjectileVelocity(a uint16, speed int32) (vx, vy int32) {
	vx = int32((int64(speed)*int64(Cos(a)) + 32768) >> 16)
	vy = int32((int64(speed)*int64(Sin(a)) + 32768) >> 16)
	return vx, vy
}
