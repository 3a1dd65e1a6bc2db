/**
 * The local player's own projectiles, predicted. Snapshots show a projectile only after the server fired it and it
 * came back through the interpolation delay, well behind the predicted player. LocalShots fires one locally for each
 * sent input that the arena would fire for (fire set and the fire interval passed, counted in ticks: each input names its tick),
 * at the predicted position after that input's move with the arena's integer velocity, and moves it along its
 * straight line at render time. When the server's projectile appears (same owner and velocity, nearest to where the
 * shot should be at that snapshot) it takes over: the shot follows the server's line from then on, the difference
 * fading out, and the server entity is not drawn interpolated. A shot the server did not fire is dropped when a
 * snapshot has applied two more inputs without it, or when a snapshot two ticks past its input's tick has not applied
 * that input (it arrived late; counted in ticks, not time, as a page that stalled reads old snapshots late), or, for an
 * input without a tick, after the RTT and three snapshot intervals.
 *
 * @module
 */
import type { RenderEntity } from "../sdk/interpolation.js";
import type { World } from "../sdk/snapcodec.js";
import { type ArenaParams } from "./arena.js";
/** Inputs after a shot's own input within which the server's projectile may still appear. */
export declare const SLACK_INPUTS = 2;
/** How long the difference between a shot and the server's line takes to fade out, in ms. */
export declare const HANDOVER_MS = 100;
/** The local player's predicted projectiles. */
export declare class LocalShots {
    private readonly p;
    private readonly owner;
    private readonly tickMs;
    private shots;
    private nextFireTick;
    private readonly claimedIds;
    /** Shots fired locally, handed over to the server's projectile, and dropped because the server did not fire them. */
    fired: number;
    matched: number;
    unfired: number;
    /** owner: the local player id; tickMs: the room's tick period. */
    constructor(p: ArenaParams, owner: number, tickMs: number);
    /** Server projectile ids drawn by sample() instead of interpolated. */
    get claimed(): ReadonlySet<number>;
    /** How many shots are held (drawn or waiting for the server's projectile to go). */
    get size(): number;
    /**
     * Records an input for `tick` sent at atMs with the local player's predicted fields after it, and fires a shot when
     * the arena would: fire set and tick at least fireInterval ticks after the previous shot. Returns whether it fired.
     * Pass the input's tick (SentInput.tick): without it the seq stands for it, which holds while the client sends one
     * input per tick and skips none.
     */
    onInput(seq: number, values: readonly number[], local: readonly number[] | undefined, atMs: number, tick?: number): boolean;
    /**
     * Matches shots with the server's projectiles of a snapshot (lastInputSeq: the highest input it applied), drops the
     * ones the server did not fire and those whose projectile is gone. rttMs may be NaN; snapshotMs is the snapshot period.
     */
    onSnapshot(world: World, lastInputSeq: number, nowMs: number, rttMs: number, snapshotMs: number): void;
    /** The shots to draw at nowMs, as projectile entities (id: the server's once matched, else 0). */
    sample(nowMs: number): RenderEntity[];
    /** Forgets every shot and the fire interval (a new room or a fresh join). */
    reset(): void;
    private position;
}
