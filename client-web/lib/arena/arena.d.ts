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
import type { PredictionModel } from "../sdk/prediction.js";
/** Entity kind ids of the arena. */
export declare const KIND_PLAYER = 1;
export declare const KIND_PROJECTILE = 2;
/** Field indexes of an arena player entity. */
export declare const PlayerField: {
    readonly X: 0;
    readonly Y: 1;
    readonly VX: 2;
    readonly VY: 3;
    readonly Aim: 4;
    readonly HP: 5;
    readonly Score: 6;
    readonly AimRate: 7;
};
/** Field indexes of an arena projectile entity. */
export declare const ProjectileField: {
    readonly X: 0;
    readonly Y: 1;
    readonly VX: 2;
    readonly VY: 3;
    readonly Owner: 4;
};
/** Input value indexes of the arena: [dx, dy, aim, fire]. */
export declare const InputIndex: {
    readonly DX: 0;
    readonly DY: 1;
    readonly Aim: 2;
    readonly Fire: 3;
};
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
export declare function arenaParams(params: Readonly<Record<string, number>>): ArenaParams;
/** The result of one Move: the new position and the displacement actually applied on each axis. */
export interface MoveResult {
    x: number;
    y: number;
    vx: number;
    vy: number;
}
/** The change from aim field value prev to next the shorter way round, as the Go arena's aimTurn (the aim's rate). */
export declare function aimTurn(prev: number, next: number, p: ArenaParams): number;
/**
 * Applies one input's movement to a player at (x, y), exactly as the server's `arena.Move`: Speed along one axis or
 * Diag on both when diagonal, clamped to the world; the velocity is the displacement actually applied.
 */
export declare function move(x: number, y: number, dx: number, dy: number, p: ArenaParams): MoveResult;
/**
 * sin(a/65536 · 2π) · 65536, rounded, for a full-precision aim a (0..65535), as the Go arena's `Sin`: a quarter-wave
 * table of round(sin(i/65536 · 2π) · 65536) for i in 0..16384, mirrored into the other quadrants.
 */
export declare function sin(a: number): number;
/** cos(a/65536 · 2π) · 65536, rounded, as the Go arena's `Cos`. */
export declare function cos(a: number): number;
/**
 * A projectile's displacement per tick in sub-units for a full-precision aim a, as the Go arena's `ProjectileVelocity`:
 * speed along (cos, sin), +y down, each component rounded half up (the products stay far below 2^53).
 */
export declare function projectileVelocity(a: number, speed: number): {
    vx: number;
    vy: number;
};
/** Converts an angle in radians (+y down) to the arena's 16-bit input aim. */
export declare function aimFromAngle(rad: number): number;
/** Converts a player's aim field (input aim >> aimShift) back to radians. */
export declare function angleFromAimField(aim: number, p: ArenaParams): number;
/**
 * The arena's prediction model for the SDK: one input moves the player by Move and sets its aim. Pass it as the
 * client's `prediction` option.
 */
export declare function arenaPrediction(params: Readonly<Record<string, number>>): PredictionModel;
