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
/** How many ticks of predicted positions are kept for drawing (a power of two). */
const RING = 64;
/** The most ticks drawn past the last input sent (extrapolated); further on, the drawing holds. */
const MAX_EXTRAPOLATED = 3;

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
  // The predicted positions of ticks ringLo..tick (slot t & (RING - 1)), for drawing between ticks.
  private readonly ringX = new Float64Array(RING);
  private readonly ringY = new Float64Array(RING);
  private ringLo = 0;
  // Scratch for extrapolating past the last tick sent, and the positions it gave.
  private scratch: Int32Array | undefined;
  private readonly extraX = new Float64Array(MAX_EXTRAPOLATED);
  private readonly extraY = new Float64Array(MAX_EXTRAPOLATED);
  // The visual offset still being smoothed away, as of offsetAt.
  private offX = 0;
  private offY = 0;
  private offsetAt = 0;

  constructor(
    readonly model: PredictionModel,
    opts: PredictorOptions,
  ) {
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

  /**
   * Records an input the client is sending for tick `tick` and advances the prediction to that tick. When it is sent
   * does not matter: drawing follows the tick timeline (see position).
   */
  applyLocal(seq: number, tick: number, values: readonly number[]): void {
    this.pending.push({ seq, tick, values: values.slice() });
    if (this.pending.length > this.maxPending) this.pending.splice(0, this.pending.length - this.maxPending);
    if (!this.state || tick <= this.tick) return;
    this.advance(this.state, this.tick, this.pending.length - 1, tick, true);
    this.tick = tick;
    if (this.ringLo < tick - RING + 1) this.ringLo = tick - RING + 1;
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
    let old = this.state;
    const oldTick = this.tick;
    if (old && oldTick < to) {
      // The prediction had fallen behind the room (no input sent for a while): carry it forward with the fill before
      // comparing, so that only a disagreement counts.
      old = old.slice();
      this.advance(old, oldTick, this.pending.length - 1, to, false);
    }
    // The rebuilt positions of ticks tick..to replace the old ones; those before `tick` stay (shifted below).
    const keep = old !== undefined && oldTick >= tick - 1 && this.ringLo <= tick;
    this.record(tick, next);
    this.advance(next, tick, this.pending.length - 1, to, true);
    this.state = next;
    this.tick = to;
    this.ringLo = keep ? Math.max(this.ringLo, to - RING + 1) : Math.max(tick, to - RING + 1);
    if (!old) {
      this.offX = this.offY = 0;
      return;
    }
    const xf = this.model.xField;
    const yf = this.model.yField;
    const ex = old[xf]! - next[xf]!;
    const ey = old[yf]! - next[yf]!;
    if (ex === 0 && ey === 0) return;
    const len = Math.hypot(ex, ey);
    if (len > this.snapDistance) {
      this.teleports++;
      this.offX = this.offY = 0;
      this.ringLo = Math.max(tick, to - RING + 1);
      return;
    }
    this.corrections++;
    this.lastCorrection = len;
    this.largestCorrection = Math.max(this.largestCorrection, len);
    this.sizes[(this.corrections - 1) % SIZES] = len;
    if (this.sizeN < SIZES) this.sizeN++;
    // Keep what is drawn continuous: shift the older ticks' positions with the state and absorb the jump in the offset.
    for (let t = this.ringLo; t < tick; t++) {
      this.ringX[t & (RING - 1)]! -= ex;
      this.ringY[t & (RING - 1)]! -= ey;
    }
    this.addOffset(ex, ey, nowMs);
  }

  /**
   * Where to draw the local entity at the fractional tick `at` (field units, fractional), or undefined without a
   * prediction. The position is interpolated between the predicted positions of the ticks floor(at) and floor(at) + 1,
   * plus what remains of the corrections (smoothed over time, nowMs). A tick after the last input sent is extrapolated
   * with `next` (the input the client will send for it; default: the fill), up to a few ticks; a tick before the
   * positions kept, or NaN, draws the oldest, or the latest for NaN.
   */
  position(at: number, nowMs: number, next?: readonly number[]): Point | undefined {
    if (!this.state) return undefined;
    let x: number;
    let y: number;
    if (Number.isNaN(at)) {
      x = this.state[this.model.xField]!;
      y = this.state[this.model.yField]!;
    } else if (at <= this.ringLo) {
      x = this.ringX[this.ringLo & (RING - 1)]!;
      y = this.ringY[this.ringLo & (RING - 1)]!;
    } else {
      const k = Math.floor(at);
      const f = at - k;
      if (k + 1 > this.tick) this.extrapolate(Math.min(k + 1, this.tick + MAX_EXTRAPOLATED), next);
      x = this.xAt(k) + (f > 0 ? (this.xAt(k + 1) - this.xAt(k)) * f : 0);
      y = this.yAt(k) + (f > 0 ? (this.yAt(k + 1) - this.yAt(k)) * f : 0);
    }
    const o = this.offsetNow(nowMs);
    return { x: x + o.x, y: y + o.y };
  }

  /**
   * Moves the drawing from tick `from` to tick `to` at once (the input clock jumped) without a jump on screen: the
   * difference is smoothed away like a correction.
   */
  retime(from: number, to: number, nowMs: number, next?: readonly number[]): void {
    if (!this.state || Number.isNaN(from) || Number.isNaN(to)) return;
    const a = this.position(from, nowMs, next)!;
    const b = this.position(to, nowMs, next)!;
    const ex = a.x - b.x;
    const ey = a.y - b.y;
    if ((ex === 0 && ey === 0) || Math.hypot(ex, ey) > this.snapDistance) return;
    this.addOffset(ex, ey, nowMs);
  }

  /**
   * Forgets the predicted entity but not the inputs, after a resume: the next snapshot rebuilds it. The room fills
   * with the neutral input after a resume until an input arrives, so the fill starts neutral again.
   */
  dropPrediction(): void {
    this.state = undefined;
    this.applied = this.neutral;
    this.offX = this.offY = 0;
  }

  /** Forgets everything (a new room or a fresh join). */
  reset(): void {
    this.pending = [];
    this.state = undefined;
    this.tick = 0;
    this.applied = this.neutral;
    this.offX = this.offY = 0;
  }

  private setApplied(p: PendingInput): void {
    this.applied = p.values;
  }

  /**
   * Advances fields from tick `from` to tick `to` as the room would: at each tick the pending input addressed to it
   * (among pending[0..last]) or the fill, then the model's step; `record` keeps each tick's position for drawing.
   */
  private advance(fields: Int32Array, from: number, last: number, to: number, record: boolean): void {
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
      if (record && t > to - RING) this.record(t, fields);
    }
  }

  private record(t: number, fields: Int32Array): void {
    this.ringX[t & (RING - 1)] = fields[this.model.xField]!;
    this.ringY[t & (RING - 1)] = fields[this.model.yField]!;
  }

  /** Predicts ticks tick+1..to (at most MAX_EXTRAPOLATED) from the state with `next`, into extraX/extraY. */
  private extrapolate(to: number, next: readonly number[] | undefined): void {
    const st = this.state!;
    if (!this.scratch || this.scratch.length !== st.length) this.scratch = new Int32Array(st.length);
    const f = this.scratch;
    f.set(st);
    const last = this.pending.length > 0 ? this.pending[this.pending.length - 1]! : undefined;
    const fill = last && last.tick <= this.tick ? last.values : this.applied;
    const input = next ?? (this.repeat ? fill : this.neutral);
    for (let t = this.tick + 1; t <= to; t++) {
      this.model.applyInput(f, input);
      this.model.step?.(f);
      this.extraX[t - this.tick - 1] = f[this.model.xField]!;
      this.extraY[t - this.tick - 1] = f[this.model.yField]!;
    }
  }

  /** The position of tick t for drawing: kept, extrapolated (after extrapolate), or held at the ends. */
  private xAt(t: number): number {
    if (t <= this.tick) return this.ringX[Math.max(t, this.ringLo) & (RING - 1)]!;
    return this.extraX[Math.min(t - this.tick, MAX_EXTRAPOLATED) - 1]!;
  }

  private yAt(t: number): number {
    if (t <= this.tick) return this.ringY[Math.max(t, this.ringLo) & (RING - 1)]!;
    return this.extraY[Math.min(t - this.tick, MAX_EXTRAPOLATED) - 1]!;
  }

  private addOffset(ex: number, ey: number, nowMs: number): void {
    const o = this.offsetNow(nowMs);
    this.offX = o.x + ex;
    this.offY = o.y + ey;
    this.offsetAt = nowMs;
  }

  private offsetNow(nowMs: number): Point {
    if (this.offX === 0 && this.offY === 0) return { x: 0, y: 0 };
    const k = Math.exp(-Math.max(0, nowMs - this.offsetAt) / this.smoothingMs);
    if (Math.abs(this.offX * k) < 0.5 && Math.abs(this.offY * k) < 0.5) return { x: 0, y: 0 };
    return { x: this.offX * k, y: this.offY * k };
  }
}
