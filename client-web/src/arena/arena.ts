/**
 * The arena's client-side rules: its constants (from Welcome.params), a TypeScript mirror of the Go function
 * `arena.Move`, which the SDK uses to predict the local player's movement, and of `Sin` and `ProjectileVelocity`, which
 * the demo uses to predict the player's own projectiles (checked against values from the Go code in the tests).
 * Golden files written by the Go code pin the two together: game/arena/testdata/move_golden.json (Move), and
 * client-web/test/testdata/arena_ticks_golden.json (a player played tick by tick through ApplyInput and Step, with
 * ticks the engine filled by repeating the last input, which the SDK's Predictor replays with this model).
 *
 * The arena has no per-tick dynamics of its own for a player (Step moves only projectiles), so the model needs no
 * step; its fill is "repeat" (Welcome.input_fill).
 *
 * @module
 */
import type { PredictionModel } from "../sdk/prediction";

/** Entity kind ids of the arena. */
export const KIND_PLAYER = 1;
export const KIND_PROJECTILE = 2;

/** Field indexes of an arena player entity. */
export const PlayerField = { X: 0, Y: 1, VX: 2, VY: 3, Aim: 4, HP: 5, Score: 6, AimRate: 7 } as const;

/** Field indexes of an arena projectile entity. */
export const ProjectileField = { X: 0, Y: 1, VX: 2, VY: 3, Owner: 4 } as const;

/** Input value indexes of the arena: [dx, dy, aim, fire]. */
export const InputIndex = { DX: 0, DY: 1, Aim: 2, Fire: 3 } as const;

/** The arena's constants, in the units the simulation uses (positions in sub-units). */
export interface ArenaParams {
  /** Sub-units per world unit. */
  readonly scale: number;
  /** World width and height in world units. */
  readonly worldW: number;
  readonly worldH: number;
  /** Sub-units per tick on one axis when moving along that axis only. */
  readonly speed: number;
  /** Sub-units per tick on each axis when moving diagonally. */
  readonly diag: number;
  /** Sub-units per tick along the aim. */
  readonly projectileSpeed: number;
  /** Ticks a projectile lives. */
  readonly projectileLifetime: number;
  readonly hitRadius: number;
  readonly maxHp: number;
  /** The fewest ticks between two shots of one player. */
  readonly fireInterval: number;
  readonly aimShift: number;
}

/** Reads the arena's constants from Welcome.params (keys as the Go arena writes them). Throws if one is missing. */
export function arenaParams(params: Readonly<Record<string, number>>): ArenaParams {
  const get = (k: string): number => {
    const v = params[k];
    if (typeof v !== "number") throw new Error(`arena: Welcome.params lacks ${k}`);
    return v;
  };
  return {
    scale: get("scale"),
    worldW: get("world_w"),
    worldH: get("world_h"),
    speed: get("speed"),
    diag: get("diag"),
    projectileSpeed: get("projectile_speed"),
    projectileLifetime: get("projectile_lifetime"),
    hitRadius: get("hit_radius"),
    maxHp: get("max_hp"),
    fireInterval: get("fire_interval"),
    aimShift: get("aim_shift"),
  };
}

/** The result of one Move: the new position and the displacement actually applied on each axis. */
export interface MoveResult {
  x: number;
  y: number;
  vx: number;
  vy: number;
}

function sign(v: number): number {
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}

/** The change from aim field value prev to next the shorter way round, as the Go arena's aimTurn (the aim's rate). */
export function aimTurn(prev: number, next: number, p: ArenaParams): number {
  const span = 1 << (16 - p.aimShift);
  let d = (next - prev) & (span - 1);
  if (d >= span / 2) d -= span;
  return d;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * Applies one input's movement to a player at (x, y), exactly as the server's `arena.Move`: Speed along one axis or
 * Diag on both when diagonal, clamped to the world; the velocity is the displacement actually applied.
 */
export function move(x: number, y: number, dx: number, dy: number, p: ArenaParams): MoveResult {
  const sx = sign(dx);
  const sy = sign(dy);
  const step = sx !== 0 && sy !== 0 ? p.diag : p.speed;
  const nx = clamp((x + Math.imul(sx, step)) | 0, 0, Math.imul(p.worldW, p.scale));
  const ny = clamp((y + Math.imul(sy, step)) | 0, 0, Math.imul(p.worldH, p.scale));
  return { x: nx, y: ny, vx: (nx - x) | 0, vy: (ny - y) | 0 };
}

let sinTable: Int32Array | undefined;

/**
 * sin(a/65536 · 2π) · 65536, rounded, for a full-precision aim a (0..65535), as the Go arena's `Sin`: a quarter-wave
 * table of round(sin(i/65536 · 2π) · 65536) for i in 0..16384, mirrored into the other quadrants.
 */
export function sin(a: number): number {
  if (!sinTable) {
    sinTable = new Int32Array(16385);
    for (let i = 0; i <= 16384; i++) sinTable[i] = Math.round(Math.sin(i * ((2 * Math.PI) / 65536)) * 65536);
  }
  const i = a & 0x3fff;
  switch ((a >> 14) & 3) {
    case 0:
      return sinTable[i]!;
    case 1:
      return sinTable[16384 - i]!;
    case 2:
      return -sinTable[i]! | 0; // never -0
    default:
      return -sinTable[16384 - i]! | 0;
  }
}

/** cos(a/65536 · 2π) · 65536, rounded, as the Go arena's `Cos`. */
export function cos(a: number): number {
  return sin((a + 16384) & 0xffff);
}

/**
 * A projectile's displacement per tick in sub-units for a full-precision aim a, as the Go arena's `ProjectileVelocity`:
 * speed along (cos, sin), +y down, each component rounded half up (the products stay far below 2^53).
 */
export function projectileVelocity(a: number, speed: number): { vx: number; vy: number } {
  return { vx: Math.floor((speed * cos(a) + 32768) / 65536), vy: Math.floor((speed * sin(a) + 32768) / 65536) };
}

/** Converts an angle in radians (+y down) to the arena's 16-bit input aim. */
export function aimFromAngle(rad: number): number {
  const a = Math.round((rad / (2 * Math.PI)) * 65536);
  return ((a % 65536) + 65536) % 65536;
}

/** Converts a player's aim field (input aim >> aimShift) back to radians. */
export function angleFromAimField(aim: number, p: ArenaParams): number {
  return ((aim << p.aimShift) / 65536) * 2 * Math.PI;
}

/**
 * The arena's prediction model for the SDK: one input moves the player by Move and sets its aim. Pass it as the
 * client's `prediction` option.
 */
export function arenaPrediction(params: Readonly<Record<string, number>>): PredictionModel {
  const p = arenaParams(params);
  return {
    kind: KIND_PLAYER,
    xField: PlayerField.X,
    yField: PlayerField.Y,
    snapDistance: 40 * p.scale,
    applyInput(fields: Int32Array, input: readonly number[]): void {
      const r = move(fields[PlayerField.X]!, fields[PlayerField.Y]!, input[InputIndex.DX] ?? 0, input[InputIndex.DY] ?? 0, p);
      fields[PlayerField.X] = r.x;
      fields[PlayerField.Y] = r.y;
      fields[PlayerField.VX] = r.vx;
      fields[PlayerField.VY] = r.vy;
      const aim = clamp(input[InputIndex.Aim] ?? 0, 0, 65535) >> p.aimShift;
      fields[PlayerField.AimRate] = aimTurn(fields[PlayerField.Aim]!, aim, p);
      fields[PlayerField.Aim] = aim;
    },
  };
}
