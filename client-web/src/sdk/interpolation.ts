/**
 * Interpolation of remote entities from a small buffer of snapshots, drawn a fixed number of snapshot intervals in
 * the past so that there is almost always a snapshot on each side of the drawn moment.
 *
 * The render clock follows the server's tick as seen through snapshot arrivals: each arrival gives a sample of
 * (tick - arrival time); the least delayed recent sample is the estimate (network jitter only ever delays a
 * snapshot), and the drawn clock slews towards it by at most a few percent of real time, so it never jumps
 * backwards or stutters when arrivals are uneven. Fields linked to a rate field (positions) are interpolated
 * linearly; other fields take the value of the earlier snapshot. Past the newest snapshot, positions are
 * extrapolated along their rate for at most one snapshot interval.
 *
 * @module
 */
import { findEntity, type Entity, type World } from "./snapcodec";

/** Options of an Interpolator. */
export interface InterpolatorOptions {
  /** Simulation ticks per second. */
  readonly tickRate: number;
  /** Snapshots per second. */
  readonly snapshotRate: number;
  /** How many snapshot intervals behind the newest snapshot to draw (default 2). */
  readonly delaySnapshots?: number;
  /** How many snapshots to keep (default 16). */
  readonly capacity?: number;
  /**
   * For each kind id, the index of each field's rate field or -1 (from the schema): these fields are interpolated.
   * Kinds not listed are drawn as in the earlier snapshot.
   */
  readonly rates: ReadonlyMap<number, readonly number[]>;
  /** A change of an interpolated field larger than this per tick is a teleport: not interpolated (default: none). */
  readonly maxStepPerTick?: number;
}

/** An entity as drawn: like Entity but with fractional (interpolated) field values. */
export interface RenderEntity {
  readonly id: number;
  readonly kind: number;
  readonly fields: Float64Array;
}

interface Frame {
  readonly world: World;
  readonly arrivalMs: number;
}

/** How fast the drawn clock may run faster or slower than real time to catch up with its estimate. */
const SLEW = 0.05;
/** The estimate forgets old samples this fast (ticks per second), so it follows a latency that grows. */
const DECAY_TICKS_PER_S = 0.25;

/** Interpolates remote entities; see the module documentation. */
export class Interpolator {
  private readonly frames: Frame[] = [];
  private readonly msPerTick: number;
  private readonly ticksPerSnapshot: number;
  private readonly delayTicks: number;
  private readonly capacity: number;
  // Estimated (server tick - local time in ticks), the least delayed sample decayed over time.
  private target = NaN;
  private targetAt = 0;
  // The drawn clock's offset, slewing towards target.
  private offset = NaN;
  private lastRenderMs = NaN;

  constructor(private readonly opts: InterpolatorOptions) {
    this.msPerTick = 1000 / opts.tickRate;
    this.ticksPerSnapshot = Math.max(1, Math.round(opts.tickRate / opts.snapshotRate));
    this.delayTicks = (opts.delaySnapshots ?? 2) * this.ticksPerSnapshot;
    this.capacity = opts.capacity ?? 16;
  }

  /** The number of ticks the drawn moment lags the newest snapshot when arrivals are regular. */
  get delay(): number {
    return this.delayTicks;
  }

  /** The newest world pushed, if any. */
  get newest(): World | undefined {
    return this.frames[this.frames.length - 1]?.world;
  }

  /** Adds a decoded snapshot that arrived at arrivalMs. Older or duplicate ticks are ignored. */
  push(world: World, arrivalMs: number): void {
    const last = this.frames[this.frames.length - 1];
    if (last && world.tick <= last.world.tick) return;
    this.frames.push({ world, arrivalMs });
    if (this.frames.length > this.capacity) this.frames.shift();
    const sample = world.tick - arrivalMs / this.msPerTick;
    if (Number.isNaN(this.target)) {
      this.target = sample;
      this.targetAt = arrivalMs;
      return;
    }
    const decayed = this.target - ((arrivalMs - this.targetAt) / 1000) * DECAY_TICKS_PER_S;
    this.target = Math.max(decayed, sample);
    this.targetAt = arrivalMs;
  }

  /** Forgets every snapshot and the clock (a new room, or a resume after a long gap). */
  reset(): void {
    this.frames.length = 0;
    this.target = this.offset = this.lastRenderMs = NaN;
  }

  /** The (fractional) server tick drawn at nowMs; NaN before the first snapshot. Call once per rendered frame. */
  renderTick(nowMs: number): number {
    if (Number.isNaN(this.target)) return NaN;
    const target = this.target - ((nowMs - this.targetAt) / 1000) * DECAY_TICKS_PER_S;
    if (Number.isNaN(this.offset) || Math.abs(target - this.offset) > 2 * this.delayTicks + 2) {
      this.offset = target; // first frame, or too far off to slew: jump once
    } else if (nowMs > this.lastRenderMs) {
      const maxStep = ((nowMs - this.lastRenderMs) / this.msPerTick) * SLEW;
      const d = target - this.offset;
      this.offset += d > maxStep ? maxStep : d < -maxStep ? -maxStep : d;
    }
    this.lastRenderMs = nowMs;
    return nowMs / this.msPerTick + this.offset - this.delayTicks;
  }

  /** The entities as drawn at render tick rt (from renderTick), ids ascending; skip is left out (the local player). */
  sample(rt: number, skip?: number): RenderEntity[] {
    const n = this.frames.length;
    if (n === 0 || Number.isNaN(rt)) return [];
    let i = n - 1;
    while (i > 0 && this.frames[i]!.world.tick > rt) i--;
    const a = this.frames[i]!.world;
    const b = i + 1 < n ? this.frames[i + 1]!.world : undefined;
    const out: RenderEntity[] = [];
    if (!b || rt < a.tick) {
      // Past the newest snapshot (extrapolate a little) or before the oldest (hold).
      const ahead = Math.min(Math.max(0, rt - a.tick), this.ticksPerSnapshot);
      for (const e of a.entities) if (e.id !== skip) out.push(this.extrapolate(e, ahead));
      return out;
    }
    const span = b.tick - a.tick;
    const alpha = (rt - a.tick) / span;
    for (const e of a.entities) {
      if (e.id === skip) continue;
      const f = findEntity(b, e.id);
      out.push(f && f.kind === e.kind ? this.lerp(e, f, alpha, span) : this.extrapolate(e, rt - a.tick));
    }
    return out;
  }

  private extrapolate(e: Entity, ticks: number): RenderEntity {
    const fields = Float64Array.from(e.fields);
    const rates = this.opts.rates.get(e.kind);
    if (rates && ticks > 0) {
      for (let k = 0; k < fields.length; k++) {
        const r = rates[k] ?? -1;
        if (r >= 0) fields[k] = e.fields[k]! + e.fields[r]! * ticks;
      }
    }
    return { id: e.id, kind: e.kind, fields };
  }

  private lerp(a: Entity, b: Entity, alpha: number, span: number): RenderEntity {
    const fields = Float64Array.from(a.fields);
    const rates = this.opts.rates.get(a.kind);
    if (!rates) return { id: a.id, kind: a.kind, fields };
    const maxStep = (this.opts.maxStepPerTick ?? Infinity) * span;
    for (let k = 0; k < fields.length; k++) {
      if ((rates[k] ?? -1) < 0) continue;
      const d = b.fields[k]! - a.fields[k]!;
      if (Math.abs(d) > maxStep) {
        fields[k] = alpha < 1 ? a.fields[k]! : b.fields[k]!; // teleport: hold, then jump
      } else {
        fields[k] = a.fields[k]! + d * alpha;
      }
    }
    return { id: a.id, kind: a.kind, fields };
  }
}
