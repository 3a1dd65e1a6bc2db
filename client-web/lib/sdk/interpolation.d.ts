/**
 * Interpolation of remote entities from a small buffer of snapshots, drawn a little in the past so that there is
 * a snapshot on each side of the drawn moment, with a delay that adapts to the network.
 *
 * Timing. Each snapshot's arrival gives a sample of its lateness: arrival time − tick × tick length (milliseconds;
 * latency plus a constant clock offset). A decayed mean of the samples is the expected lateness, a decayed deviation
 * from it is the jitter. The render clock aims to draw tick t at the moment t's snapshot is expected to arrive plus
 * the delay = one snapshot interval + 3 × jitter, clamped to [1 interval + 2 ms, 1 interval + 250 ms]: a snapshot late
 * by up to three deviations still arrives before it is needed. The clock never jumps in normal running: it runs up
 * to 5% faster or slower than real time to reach its aim, and up to 30% slower while it is past the newest snapshot
 * (the buffer ran dry: a latency increase). Only a clock behind its aim by over half a second jumps forward, and one
 * ahead by over two seconds (a new timeline) jumps back.
 *
 * Drawing. Fields with a rate field (positions) or a wrap (angles) are interpolated between the snapshots either
 * side of the render tick: wrapped fields the shorter way round, normalised into [0, wrap); a change larger than the
 * field's teleport threshold × the ticks between the snapshots is drawn as a jump. Other fields take the earlier
 * snapshot's value. Past the newest snapshot, fields are extrapolated along their rate for a bounded time
 * (EXTRAPOLATE_MAX_MS or two intervals); when the late snapshot arrives, the difference between the extrapolated
 * and the interpolated path is kept as an offset that fades out (BLEND_MS), so the entity blends back instead of
 * jumping.
 *
 * Not safe to share between threads; a page owns one per session.
 *
 * @module
 */
import { type World } from "./snapcodec.js";
/** Options of an Interpolator. */
export interface InterpolatorOptions {
    /** Simulation ticks per second. */
    readonly tickRate: number;
    /** Snapshots per second. */
    readonly snapshotRate: number;
    /**
     * For each kind id, the index of each field's rate field or -1 (Welcome's rate_field − 1): fields with a rate are
     * interpolated and extrapolated along it. Kinds not listed are drawn as in the earlier snapshot.
     */
    readonly rates: ReadonlyMap<number, readonly number[]>;
    /** For each kind id, each field's wrap (0: none): such fields are interpolated the shorter way round. */
    readonly wraps?: ReadonlyMap<number, readonly number[]>;
    /** For each kind id, each field's teleport threshold per tick (0: none): larger changes are drawn as jumps. */
    readonly teleports?: ReadonlyMap<number, readonly number[]>;
    /** How many snapshots to keep (default 64). */
    readonly capacity?: number;
}
/** An entity as drawn: like Entity but with fractional (interpolated) field values. */
export interface RenderEntity {
    readonly id: number;
    readonly kind: number;
    readonly fields: Float64Array;
    /** The entity's byte string, for a kind with `data` (as the older of the two snapshots drawn between has it). */
    readonly data?: Uint8Array;
}
/** Interpolation figures for a debug panel. */
export interface InterpolationStats {
    /** The delay the render clock aims for behind a snapshot's expected arrival: one interval + the jitter margin. */
    readonly delayMs: number;
    /** The decayed deviation of snapshot arrivals from their expected time. */
    readonly jitterMs: number;
    /** Snapshots buffered ahead of the latest render tick. */
    readonly bufferDepth: number;
    /** Frames drawn with no movement possible: before the oldest snapshot, or past the extrapolation bound. */
    readonly heldFrames: number;
    /** Frames drawn past the newest snapshot (extrapolated). */
    readonly extrapolatedFrames: number;
}
/** Interpolates remote entities; see the module documentation. */
export declare class Interpolator {
    private readonly opts;
    private readonly msPerTick;
    private readonly intervalMs;
    private readonly maxAheadTicks;
    private readonly capacity;
    private readonly frames;
    private started;
    private lateness;
    private jitter;
    private lastArrivalMs;
    private clock;
    private lastNow;
    private readonly blends;
    private held;
    private extrapolated;
    constructor(opts: InterpolatorOptions);
    /** The delay (ticks) the render clock aims for behind a snapshot's expected arrival. */
    get delay(): number;
    /** The newest world pushed, if any. */
    get newest(): World | undefined;
    /** Adds a decoded snapshot that arrived at arrivalMs. Older or duplicate ticks are ignored. */
    push(world: World, arrivalMs: number): void;
    /** Forgets every snapshot, the arrival statistics and the clock (a new room, or a resume). Counters stay. */
    reset(): void;
    /** Interpolation figures for a debug panel. */
    stats(): InterpolationStats;
    /**
     * The (fractional) server tick to draw at nowMs; NaN before the first snapshot. Call once per rendered frame (a
     * second call with the same or an earlier time returns the same tick and is not counted again).
     */
    renderTick(nowMs: number): number;
    /** The entities as drawn at render tick rt (from renderTick), ids ascending; skip is left out (the local player). */
    sample(rt: number, skip?: number): RenderEntity[];
    private delayMs;
    /**
     * Updates the expected lateness and the jitter with one snapshot's arrival, gapTicks after the previous one. A
     * snapshot the server skipped (a gap over one interval) counts as that much later for the jitter: the buffer ran
     * as dry as if it had been late.
     */
    private measure;
    /** Records, for each entity drawn past the newest snapshot at rt, the jump the new snapshot would make. */
    private blendFrom;
    /** The entities on the snapshots' path at rt, without blending. */
    private sampleRaw;
    private extrapolate;
    private lerp;
}
