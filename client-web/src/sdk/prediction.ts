/**
 * Client-side prediction of the local player with server reconciliation.
 *
 * Every input the client sends is applied at once to a predicted copy of the player's entity (by the game's
 * PredictionModel, which must mirror the server's rules). When a snapshot arrives, the predicted state is rebuilt
 * from the authoritative entity by replaying the inputs the server has not applied yet (those after the snapshot's
 * last_input_seq). When the rules agree the rebuilt state equals the old one and nothing moves; otherwise the
 * difference is a correction, which is smoothed away over a short time instead of snapping, unless it is a teleport.
 *
 * @module
 */
import type { Entity } from "./snapcodec";

/** A game's movement rules for predicting the local player's entity. */
export interface PredictionModel {
  /** The kind id of the local player's entity (whose id is the player id). */
  readonly kind: number;
  /** The indexes of the entity's position fields (used for smoothing and rendering). */
  readonly xField: number;
  readonly yField: number;
  /** A correction longer than this (in field units) is a teleport, such as a respawn: applied at once, not smoothed. */
  readonly snapDistance: number;
  /** Applies one input to the entity's fields in place, exactly as the server's simulation does. */
  applyInput(fields: Int32Array, input: readonly number[]): void;
}

/** An input the client sent and the server has not acknowledged yet. */
export interface PendingInput {
  readonly seq: number;
  readonly values: readonly number[];
}

/** Options of a Predictor. */
export interface PredictorOptions {
  /** Milliseconds between two inputs (one tick). */
  readonly tickMs: number;
  /** Time constant of the exponential smoothing of corrections, in milliseconds (default 100). */
  readonly smoothingMs?: number;
  /** The most unacknowledged inputs kept; older ones are forgotten (default 128). */
  readonly maxPending?: number;
}

/** A 2-D point in the entity's field units. */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Predicts the local player's entity; see the module documentation. Not tied to any network code. */
export class Predictor {
  /** Reconciliations that moved the predicted position (mispredictions), each smoothed away. */
  corrections = 0;
  /** The length of the largest correction so far (field units). */
  largestCorrection = 0;
  /** The length of the most recent correction. */
  lastCorrection = 0;
  /** Reconciliations that moved the position further than snapDistance (a respawn): applied at once, not counted above. */
  teleports = 0;

  private readonly tickMs: number;
  private readonly smoothingMs: number;
  private readonly maxPending: number;
  private pending: PendingInput[] = [];
  private state: Int32Array | undefined;
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
  }

  /** The predicted fields of the local entity, or undefined before the first snapshot holding it. */
  get predicted(): Readonly<Int32Array> | undefined {
    return this.state;
  }

  /** The inputs sent and not yet acknowledged, oldest first. */
  get unacknowledged(): readonly PendingInput[] {
    return this.pending;
  }

  /** Records an input the client is sending now and applies it to the prediction. */
  applyLocal(seq: number, values: readonly number[], nowMs: number): void {
    this.pending.push({ seq, values: values.slice() });
    if (this.pending.length > this.maxPending) this.pending.splice(0, this.pending.length - this.maxPending);
    if (!this.state) return;
    this.prevX = this.renderBaseX(nowMs);
    this.prevY = this.renderBaseY(nowMs);
    this.model.applyInput(this.state, values);
    this.lastInputAt = nowMs;
  }

  /** Forgets the inputs the server has applied (seq <= lastInputSeq). */
  acknowledge(lastInputSeq: number): void {
    let n = 0;
    while (n < this.pending.length && this.pending[n]!.seq <= lastInputSeq) n++;
    if (n > 0) this.pending.splice(0, n);
  }

  /** Keeps only the newest `n` unacknowledged inputs (after a resume, when older ones are not resent). */
  keepNewest(n: number): void {
    if (this.pending.length > n) this.pending.splice(0, this.pending.length - n);
  }

  /**
   * Rebuilds the prediction from the authoritative entity of a snapshot and the server's last applied input sequence.
   * An absent entity (not spawned yet, or removed) clears the prediction.
   */
  reconcile(server: Entity | undefined, lastInputSeq: number, nowMs: number): void {
    this.acknowledge(lastInputSeq);
    if (!server || server.kind !== this.model.kind) {
      this.state = undefined;
      return;
    }
    const next = server.fields.slice();
    for (const p of this.pending) this.model.applyInput(next, p.values);
    const old = this.state;
    this.state = next;
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
    if (len > this.model.snapDistance) {
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

  /** Forgets everything (a new room or a fresh join). */
  reset(): void {
    this.pending = [];
    this.state = undefined;
    this.offX = this.offY = 0;
    this.lastInputAt = -Infinity;
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
