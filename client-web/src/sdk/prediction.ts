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
 * Inputs for ticks up to T whose seq is above the snapshot's last_input_seq reached the room too late and were dropped
 * (the room applied the fill instead): they are counted and forgotten.
 *
 * @module
 */
import type { Entity } from "./snapcodec";

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
  /** Milliseconds per tick. */
  readonly tickMs: number;
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

const SIZES = 256;

/** Predicts the local player's entity; see the module documentation. Not tied to any network code. */
export class Predictor {
  /** Reconciliations that moved the predicted position (mispredictions), each smoothed away. */
  corrections = 0;
  /** The length of the largest correction so far (field units). */
  largestCorrection = 0;
  /** The length of the most recent correction. */
  lastCorrection = 0;
  /** Reconciliations that moved the position further than the teleport threshold: applied at once, not counted above. */
  teleports = 0;
  /** Inputs the room dropped as late (for a tick it had simulated when they arrived). */
  lateInputs = 0;

  private readonly tickMs: number;
  private readonly smoothingMs: number;
  private readonly maxPending: number;
  private readonly repeat: boolean;
  private readonly neutral: readonly number[];
  private readonly snapDistance: number;
  private pending: PendingInput[] = [];
  // The values of the last input the room applied (the fill for "repeat").
  private applied: readonly number[];
  // The predicted entity at tick `tick` (the last tick sent, or the snapshot's when later).
  private state: Int32Array | undefined;
  private tick = 0;
  // The last ticks' correction sizes (ring), for the percentile.
  private readonly sizes = new Float64Array(SIZES);
  private readonly sorted = new Float64Array(SIZES);
  private sizeN = 0;
  // The position before the latest input, so that a render between two inputs moves smoothly.
  private prevX = 0;
  private prevY = 0;
  private lastInputAt = -Infinity;
  // The visual offset still being smoothed away, as of offsetAt.
  private offX = 0;
  private offY = 0;
  private offsetAt = 0;

  constructor(
    readonly model: PredictionModel,
    opts: PredictorOptions,
  ) {
    this.tickMs = opts.tickMs;
    this.smoothingMs = opts.smoothingMs ?? 100;
    this.maxPending = opts.maxPending ?? 128;
    this.repeat = (opts.fill ?? "repeat") === "repeat";
    this.neutral = opts.neutral ?? [];
    this.applied = this.neutral;
    this.snapDistance = opts.teleport !== undefined && opts.teleport > 0 ? opts.teleport : model.snapDistance;
  }

  /** The predicted fields of the local entity, or undefined before the first snapshot holding it. */
  get predicted(): Readonly<Int32Array> | undefined {
    return this.state;
  }

  /** The tick the prediction is at (0 before the first snapshot). */
  get predictedTick(): number {
    return this.tick;
  }

  /** The inputs sent and not yet acknowledged, oldest first. */
  get unacknowledged(): readonly PendingInput[] {
    return this.pending;
  }

  /** The 95th percentile of the last corrections' lengths (field units; 0 without any). */
  correctionP95(): number {
    const n = this.sizeN;
    if (n === 0) return 0;
    const a = this.sorted.subarray(0, n);
    a.set(this.sizes.subarray(0, n));
    a.sort();
    return a[Math.min(n - 1, Math.floor(0.95 * n))]!;
  }

  /** Records an input the client is sending now for tick `tick` and advances the prediction to that tick. */
  applyLocal(seq: number, tick: number, values: readonly number[], nowMs: number): void {
    this.pending.push({ seq, tick, values: values.slice() });
    if (this.pending.length > this.maxPending) this.pending.splice(0, this.pending.length - this.maxPending);
    if (!this.state) return;
    this.prevX = this.renderBaseX(nowMs);
    this.prevY = this.renderBaseY(nowMs);
    this.advance(this.state, this.tick, this.pending.length - 1, tick);
    if (tick > this.tick) this.tick = tick;
    this.lastInputAt = nowMs;
  }

  /** Forgets the inputs the server has applied (seq <= lastInputSeq), keeping the newest of them as the fill. */
  acknowledge(lastInputSeq: number): void {
    let n = 0;
    while (n < this.pending.length && this.pending[n]!.seq <= lastInputSeq) n++;
    if (n === 0) return;
    const last = this.pending[n - 1]!;
    if (last.seq === lastInputSeq) this.setApplied(last);
    this.pending.splice(0, n);
  }

  /**
   * Keeps only the newest `n` unacknowledged inputs and readdresses them to consecutive ticks from firstTick (after a
   * resume: the room forgot the ones it had buffered; they are resent with the same seq for fresh ticks).
   */
  readdress(n: number, firstTick: number): readonly PendingInput[] {
    if (this.pending.length > n) this.pending.splice(0, this.pending.length - n);
    for (let i = 0; i < this.pending.length; i++) this.pending[i]!.tick = firstTick + i;
    return this.pending;
  }

  /**
   * Rebuilds the prediction from the authoritative entity of the snapshot of tick `tick` and the server's last
   * applied input sequence, replaying the ticks after it. An absent entity (not spawned yet, or removed) clears the
   * prediction.
   */
  reconcile(server: Entity | undefined, tick: number, lastInputSeq: number, nowMs: number): void {
    // Inputs the room has applied, then inputs for ticks it has simulated without them: dropped as late.
    let n = 0;
    while (n < this.pending.length) {
      const p = this.pending[n]!;
      if (p.seq <= lastInputSeq) {
        if (p.seq === lastInputSeq) this.setApplied(p);
      } else if (p.tick <= tick) {
        this.lateInputs++;
      } else break;
      n++;
    }
    if (n > 0) this.pending.splice(0, n);
    if (!server || server.kind !== this.model.kind) {
      this.state = undefined;
      return;
    }
    const next = server.fields.slice();
    const to = Math.max(tick, this.pending.length > 0 ? this.pending[this.pending.length - 1]!.tick : tick);
    this.advance(next, tick, this.pending.length - 1, to);
    let old = this.state;
    if (old && this.tick < to) {
      // The prediction had fallen behind the room (no input sent for a while): carry it forward with the fill before
      // comparing, so that only a disagreement counts.
      old = old.slice();
      this.advance(old, this.tick, this.pending.length - 1, to);
    }
    this.state = next;
    this.tick = to;
    const xf = this.model.xField;
    const yf = this.model.yField;
    if (!old) {
      this.prevX = next[xf]!;
      this.prevY = next[yf]!;
      this.offX = this.offY = 0;
      return;
    }
    const ex = old[xf]! - next[xf]!;
    const ey = old[yf]! - next[yf]!;
    if (ex === 0 && ey === 0) return;
    const len = Math.hypot(ex, ey);
    if (len > this.snapDistance) {
      this.teleports++;
      this.offX = this.offY = 0;
      this.prevX = next[xf]!;
      this.prevY = next[yf]!;
      this.lastInputAt = -Infinity;
      return;
    }
    this.corrections++;
    this.lastCorrection = len;
    this.largestCorrection = Math.max(this.largestCorrection, len);
    this.sizes[(this.corrections - 1) % SIZES] = len;
    if (this.sizeN < SIZES) this.sizeN++;
    // Keep what is drawn continuous: shift the in-between segment with the state and absorb the jump in the offset.
    const o = this.offsetNow(nowMs);
    this.offX = o.x + ex;
    this.offY = o.y + ey;
    this.offsetAt = nowMs;
    this.prevX -= ex;
    this.prevY -= ey;
  }

  /** Where to draw the local entity at nowMs (field units, fractional), or undefined without a prediction. */
  position(nowMs: number): Point | undefined {
    if (!this.state) return undefined;
    const o = this.offsetNow(nowMs);
    return { x: this.renderBaseX(nowMs) + o.x, y: this.renderBaseY(nowMs) + o.y };
  }

  /**
   * Forgets the predicted entity but not the inputs, after a resume: the next snapshot rebuilds it. The room fills
   * with the neutral input after a resume until an input arrives, so the fill starts neutral again.
   */
  dropPrediction(): void {
    this.state = undefined;
    this.applied = this.neutral;
    this.offX = this.offY = 0;
    this.lastInputAt = -Infinity;
  }

  /** Forgets everything (a new room or a fresh join). */
  reset(): void {
    this.pending = [];
    this.state = undefined;
    this.tick = 0;
    this.applied = this.neutral;
    this.offX = this.offY = 0;
    this.lastInputAt = -Infinity;
  }

  private setApplied(p: PendingInput): void {
    this.applied = p.values;
  }

  /**
   * Advances fields from tick `from` to tick `to` as the room would: at each tick the pending input addressed to it
   * (among pending[0..last]) or the fill, then the model's step.
   */
  private advance(fields: Int32Array, from: number, last: number, to: number): void {
    // The fill for "repeat": the last input applied before `from`, i.e. the newest pending input at or before from,
    // else the one the room reported applied.
    let i = 0;
    let fill = this.applied;
    while (i <= last && this.pending[i]!.tick <= from) fill = this.pending[i++]!.values;
    for (let t = from + 1; t <= to; t++) {
      let input: readonly number[];
      if (i <= last && this.pending[i]!.tick === t) {
        input = this.pending[i++]!.values;
        fill = input;
      } else {
        input = this.repeat ? fill : this.neutral;
      }
      this.model.applyInput(fields, input);
      this.model.step?.(fields);
    }
  }

  private alpha(nowMs: number): number {
    const a = (nowMs - this.lastInputAt) / this.tickMs;
    return a >= 1 ? 1 : a <= 0 ? 0 : a;
  }

  private renderBaseX(nowMs: number): number {
    const cur = this.state ? this.state[this.model.xField]! : this.prevX;
    return this.prevX + (cur - this.prevX) * this.alpha(nowMs);
  }

  private renderBaseY(nowMs: number): number {
    const cur = this.state ? this.state[this.model.yField]! : this.prevY;
    return this.prevY + (cur - this.prevY) * this.alpha(nowMs);
  }

  private offsetNow(nowMs: number): Point {
    if (this.offX === 0 && this.offY === 0) return { x: 0, y: 0 };
    const k = Math.exp(-Math.max(0, nowMs - this.offsetAt) / this.smoothingMs);
    if (Math.abs(this.offX * k) < 0.5 && Math.abs(this.offY * k) < 0.5) return { x: 0, y: 0 };
    return { x: this.offX * k, y: this.offY * k };
  }
}
