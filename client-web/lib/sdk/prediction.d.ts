/**
 * Client-side prediction of the local player with server reconciliation, by tick.
 *
 * The room applies exactly one input per player per tick: the input addressed to that tick, or the game's fill when
 * none arrived in time (the last applied input again, or a neutral one). The Predictor mirrors that. Every input the
 * client sends is addressed to a tick; the predicted entity is advanced tick by tick to it, applying the fill to the
 * ticks the client skipped and the game's per-tick dynamics (PredictionModel.step) after each input, as the room runs
 * ApplyInput then Step. When a snapshot of tick T arrives, the prediction is rebuilt from the authoritative entity by
 * replaying ticks T+1 up to the last tick sent. When the rules agree the rebuilt state equals the old one and nothing
 * moves; otherwise the difference is a correction, which is smoothed away over a short time instead of snapping,
 * unless it is larger than the teleport threshold (a respawn).
 *
 * Drawing follows a tick timeline, not the moments inputs happen to be sent: position(at) takes a fractional tick and
 * interpolates the predicted positions of the ticks around it, which the Predictor keeps for the last RING ticks. The
 * client draws at its input clock's tick less one, so the motion of the input for tick k is drawn while the clock runs
 * from k to k+1, at the clock's steady speed however late or bunched the sends are. A tick whose input has not been
 * sent yet (a late send timer) is extrapolated with the input the client is about to send.
 *
 * Inputs for ticks up to T whose seq is above the snapshot's last_input_seq reached the room too late and were dropped
 * (the room applied the fill instead): they are counted and forgotten.
 *
 * @module
 */
import type { Entity } from "./snapcodec.js";
/** A game's rules for predicting the local player's entity. */
export interface PredictionModel {
    /** The kind id of the local player's entity (whose id is the player id). */
    readonly kind: number;
    /** The indexes of the entity's position fields (used for smoothing and rendering). */
    readonly xField: number;
    readonly yField: number;
    /**
     * A correction longer than this (in field units) is a teleport, such as a respawn: applied at once, not smoothed.
     * The schema's teleport threshold of the position fields (EntityField.teleport) wins when the client has one.
     */
    readonly snapDistance: number;
    /** Applies one input to the entity's fields in place, exactly as the server's ApplyInput does. */
    applyInput(fields: Int32Array, input: readonly number[]): void;
    /** Advances the entity by one tick after its input, as the server's Step does (gravity, cooldowns); optional. */
    step?(fields: Int32Array): void;
}
/** An input the client sent and the server has not acknowledged yet. */
export interface PendingInput {
    readonly seq: number;
    /** The tick it is addressed to. */
    tick: number;
    readonly values: readonly number[];
}
/** What the room applies at a tick without an input (Welcome.input_fill). */
export type FillPolicy = "repeat" | "neutral";
/** Options of a Predictor. */
export interface PredictorOptions {
    /** The fill policy of the game (default "repeat"). */
    readonly fill?: FillPolicy;
    /** The neutral input (each value 0 clamped into its range): the fill before the first input and for "neutral". */
    readonly neutral?: readonly number[];
    /** Time constant of the exponential smoothing of corrections, in milliseconds (default 100). */
    readonly smoothingMs?: number;
    /** The most unacknowledged inputs kept; older ones are forgotten (default 128). */
    readonly maxPending?: number;
    /** Overrides model.snapDistance (the schema's teleport threshold), when positive. */
    readonly teleport?: number;
}
/** A 2-D point in the entity's field units. */
export interface Point {
    readonly x: number;
    readonly y: number;
}
/** Predicts the local player's entity; see the module documentation. Not tied to any network code. */
export declare class Predictor {
    readonly model: PredictionModel;
    /** Reconciliations that moved the predicted position (mispredictions), each smoothed away. */
    corrections: number;
    /** The length of the largest correction so far (field units). */
    largestCorrection: number;
    /** The length of the most recent correction. */
    lastCorrection: number;
    /** Reconciliations that moved the position further than the teleport threshold: applied at once, not counted above. */
    teleports: number;
    /** Inputs the room dropped as late (for a tick it had simulated when they arrived). */
    lateInputs: number;
    private readonly smoothingMs;
    private readonly maxPending;
    private readonly repeat;
    private readonly neutral;
    private readonly snapDistance;
    private pending;
    private applied;
    private state;
    private tick;
    private readonly sizes;
    private readonly sorted;
    private sizeN;
    private readonly ringX;
    private readonly ringY;
    private ringLo;
    private scratch;
    private readonly extraX;
    private readonly extraY;
    private offX;
    private offY;
    private offsetAt;
    constructor(model: PredictionModel, opts: PredictorOptions);
    /** The predicted fields of the local entity, or undefined before the first snapshot holding it. */
    get predicted(): Readonly<Int32Array> | undefined;
    /** The tick the prediction is at (0 before the first snapshot). */
    get predictedTick(): number;
    /** The inputs sent and not yet acknowledged, oldest first. */
    get unacknowledged(): readonly PendingInput[];
    /** The 95th percentile of the last corrections' lengths (field units; 0 without any). */
    correctionP95(): number;
    /**
     * Records an input the client is sending for tick `tick` and advances the prediction to that tick. When it is sent
     * does not matter: drawing follows the tick timeline (see position).
     */
    applyLocal(seq: number, tick: number, values: readonly number[]): void;
    /** Forgets the inputs the server has applied (seq <= lastInputSeq), keeping the newest of them as the fill. */
    acknowledge(lastInputSeq: number): void;
    /**
     * Keeps only the newest `n` unacknowledged inputs and readdresses them to consecutive ticks from firstTick (after a
     * resume: the room forgot the ones it had buffered; they are resent with the same seq for fresh ticks).
     */
    readdress(n: number, firstTick: number): readonly PendingInput[];
    /**
     * Rebuilds the prediction from the authoritative entity of the snapshot of tick `tick` and the server's last
     * applied input sequence, replaying the ticks after it. An absent entity (not spawned yet, or removed) clears the
     * prediction.
     */
    reconcile(server: Entity | undefined, tick: number, lastInputSeq: number, nowMs: number): void;
    /**
     * Where to draw the local entity at the fractional tick `at` (field units, fractional), or undefined without a
     * prediction. The position is interpolated between the predicted positions of the ticks floor(at) and floor(at) + 1,
     * plus what remains of the corrections (smoothed over time, nowMs). A tick after the last input sent is extrapolated
     * with `next` (the input the client will send for it; default: the fill), up to a few ticks; a tick before the
     * positions kept, or NaN, draws the oldest, or the latest for NaN.
     */
    position(at: number, nowMs: number, next?: readonly number[]): Point | undefined;
    /**
     * Moves the drawing from tick `from` to tick `to` at once (the input clock jumped) without a jump on screen: the
     * difference is smoothed away like a correction.
     */
    retime(from: number, to: number, nowMs: number, next?: readonly number[]): void;
    /**
     * Forgets the predicted entity but not the inputs, after a resume: the next snapshot rebuilds it. The room fills
     * with the neutral input after a resume until an input arrives, so the fill starts neutral again.
     */
    dropPrediction(): void;
    /** Forgets everything (a new room or a fresh join). */
    reset(): void;
    private setApplied;
    /**
     * Advances fields from tick `from` to tick `to` as the room would: at each tick the pending input addressed to it
     * (among pending[0..last]) or the fill, then the model's step; `record` keeps each tick's position for drawing.
     */
    private advance;
    private record;
    /** Predicts ticks tick+1..to (at most MAX_EXTRAPOLATED) from the state with `next`, into extraX/extraY. */
    private extrapolate;
    /** The position of tick t for drawing: kept, extrapolated (after extrapolate), or held at the ends. */
    private xAt;
    private yAt;
    private addOffset;
    private offsetNow;
}
