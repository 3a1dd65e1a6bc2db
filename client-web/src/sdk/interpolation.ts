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
import { findEntity, type Entity, type World } from "./snapcodec";

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

function renderEntity(e: Entity, fields: Float64Array): RenderEntity {
  return e.data === undefined ? { id: e.id, kind: e.kind, fields } : { id: e.id, kind: e.kind, fields, data: e.data };
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

interface Frame {
  readonly world: World;
  readonly arrivalMs: number;
}

/** A drawn entity's offset from its sampled path after a late snapshot, fading out from rt0. */
interface Blend {
  readonly kind: number;
  readonly offset: Float64Array;
  readonly rt0: number;
}

/** How much faster or slower than real time the render clock may run to reach its aim. */
const SLEW = 0.05;
/** How much slower it may run while past the newest snapshot. */
const DRY_SLEW = 0.3;
/** The render clock closes a gap to its aim with this time constant (ms), within the slew bounds. */
const CATCH_UP_MS = 250;
/**
 * A render clock behind its aim by more than this (ms) jumps forward (the latency fell a lot); one ahead of its aim
 * by more than JUMP_BACK_MS jumps back (a new timeline). Anything less is slewed: drawn motion never goes backwards.
 */
const JUMP_MS = 500;
const JUMP_BACK_MS = 2000;
/** The time constants (ms) of the expected lateness and of the jitter, and of the jitter when it grows. */
const LATENESS_MS = 400;
const JITTER_MS = 1500;
const JITTER_RISE_MS = 150;
/** The delay's jitter margin: this many deviations. */
const JITTER_MARGIN = 3;
/** The delay beyond one interval: at least MIN_MARGIN_MS, at most MAX_MARGIN_MS. */
const MIN_MARGIN_MS = 2;
const MAX_MARGIN_MS = 250;
/** How far past the newest snapshot fields are extrapolated (ms; at least two snapshot intervals). */
const EXTRAPOLATE_MAX_MS = 100;
/** The time constant (ms) of the fade of a late snapshot's correction. */
const BLEND_MS = 100;

/** Interpolates remote entities; see the module documentation. */
export class Interpolator {
  // Static after construction.
  private readonly opts: InterpolatorOptions;
  private readonly msPerTick: number;
  private readonly intervalMs: number;
  private readonly maxAheadTicks: number;
  private readonly capacity: number;

  // The buffer, oldest first.
  private readonly frames: Frame[] = [];
  // Whether the buffer has held two snapshots since the reset (before, holding is waiting, not starving).
  private started = false;

  // Arrival statistics (ms).
  private lateness = NaN;
  private jitter = 0;
  private lastArrivalMs = NaN;

  // The render clock: the render tick drawn at lastNow.
  private clock = NaN;
  private lastNow = NaN;

  // Fading offsets of entities drawn extrapolated when a late snapshot arrived, by entity id.
  private readonly blends = new Map<number, Blend>();

  // Counters.
  private held = 0;
  private extrapolated = 0;

  constructor(opts: InterpolatorOptions) {
    this.opts = opts;
    this.msPerTick = 1000 / opts.tickRate;
    const ticksPerSnapshot = Math.max(1, Math.round(opts.tickRate / Math.max(1, opts.snapshotRate)));
    this.intervalMs = ticksPerSnapshot * this.msPerTick;
    this.maxAheadTicks = Math.max(EXTRAPOLATE_MAX_MS, 2 * this.intervalMs) / this.msPerTick;
    this.capacity = opts.capacity ?? 64;
  }

  /** The delay (ticks) the render clock aims for behind a snapshot's expected arrival. */
  get delay(): number {
    return this.delayMs() / this.msPerTick;
  }

  /** The newest world pushed, if any. */
  get newest(): World | undefined {
    return this.frames[this.frames.length - 1]?.world;
  }

  /** Adds a decoded snapshot that arrived at arrivalMs. Older or duplicate ticks are ignored. */
  push(world: World, arrivalMs: number): void {
    const n = this.frames.length;
    const last = this.frames[n - 1];
    if (last && world.tick <= last.world.tick) return;
    this.measure(world.tick, last ? world.tick - last.world.tick : 0, arrivalMs);
    // Drawn past the newest snapshot: keep the drawn position and fade towards the new path.
    const rt = this.clock;
    const wasAhead = last !== undefined && !Number.isNaN(rt) && rt > last.world.tick;
    const before = wasAhead ? this.sampleRaw(rt) : undefined;
    this.frames.push({ world, arrivalMs });
    if (this.frames.length > this.capacity) this.frames.shift();
    if (this.frames.length >= 2) this.started = true;
    if (before) this.blendFrom(before, rt);
  }

  /** Forgets every snapshot, the arrival statistics and the clock (a new room, or a resume). Counters stay. */
  reset(): void {
    this.frames.length = 0;
    this.blends.clear();
    this.started = false;
    this.lateness = this.lastArrivalMs = this.clock = this.lastNow = NaN;
    this.jitter = 0;
  }

  /** Interpolation figures for a debug panel. */
  stats(): InterpolationStats {
    let depth = 0;
    for (let i = this.frames.length - 1; i >= 0 && this.frames[i]!.world.tick > this.clock; i--) depth++;
    return {
      delayMs: this.delayMs(),
      jitterMs: this.jitter,
      bufferDepth: Number.isNaN(this.clock) ? this.frames.length : depth,
      heldFrames: this.held,
      extrapolatedFrames: this.extrapolated,
    };
  }

  /**
   * The (fractional) server tick to draw at nowMs; NaN before the first snapshot. Call once per rendered frame (a
   * second call with the same or an earlier time returns the same tick and is not counted again).
   */
  renderTick(nowMs: number): number {
    const n = this.frames.length;
    if (n === 0 || Number.isNaN(this.lateness)) return NaN;
    // The same frame again, or a time before the last frame's: the drawn moment stays (it never goes back).
    if (nowMs <= this.lastNow) return this.clock;
    const aim = (nowMs - this.lateness - this.delayMs()) / this.msPerTick;
    const dt = nowMs - this.lastNow;
    const gapMs = (aim - this.clock - dt / this.msPerTick) * this.msPerTick;
    if (Number.isNaN(this.clock) || gapMs > JUMP_MS || gapMs < -JUMP_BACK_MS) {
      this.clock = aim;
    } else {
      const free = this.clock + dt / this.msPerTick;
      let dilation = ((aim - free) * this.msPerTick) / CATCH_UP_MS;
      dilation = dilation > SLEW ? SLEW : dilation < -SLEW ? -SLEW : dilation;
      const newest = this.frames[n - 1]!.world.tick;
      if (free > newest) {
        // The buffer ran dry: slow down more, the more so the further past the newest snapshot.
        const pastMs = (free - newest) * this.msPerTick;
        dilation = Math.min(dilation, -Math.min(DRY_SLEW, SLEW + pastMs / 200));
      }
      this.clock += (dt / this.msPerTick) * (1 + dilation);
    }
    this.lastNow = nowMs;
    const rt = this.clock;
    const oldest = this.frames[0]!.world.tick;
    const newest = this.frames[n - 1]!.world.tick;
    if (rt > newest + this.maxAheadTicks) this.held++;
    else if (rt > newest) this.extrapolated++;
    else if (rt < oldest && this.started) this.held++;
    return rt;
  }

  /** The entities as drawn at render tick rt (from renderTick), ids ascending; skip is left out (the local player). */
  sample(rt: number, skip?: number): RenderEntity[] {
    const out = this.sampleRaw(rt, skip);
    if (this.blends.size === 0) return out;
    for (const e of out) {
      const b = this.blends.get(e.id);
      if (!b || b.kind !== e.kind) continue;
      const f = Math.exp(-(Math.max(0, rt - b.rt0) * this.msPerTick) / BLEND_MS);
      const wraps = this.opts.wraps?.get(e.kind);
      for (let k = 0; k < e.fields.length && k < b.offset.length; k++) {
        if (b.offset[k] === 0) continue;
        const v = e.fields[k]! + b.offset[k]! * f;
        const w = wraps?.[k] ?? 0;
        e.fields[k] = w > 0 ? mod(v, w) : v;
      }
    }
    // Forget faded offsets (below 1% after 5 time constants).
    if (rt === this.clock) {
      for (const [id, b] of this.blends) if ((rt - b.rt0) * this.msPerTick > 5 * BLEND_MS) this.blends.delete(id);
    }
    return out;
  }

  private delayMs(): number {
    const margin = JITTER_MARGIN * this.jitter;
    return this.intervalMs + (margin < MIN_MARGIN_MS ? MIN_MARGIN_MS : margin > MAX_MARGIN_MS ? MAX_MARGIN_MS : margin);
  }

  /**
   * Updates the expected lateness and the jitter with one snapshot's arrival, gapTicks after the previous one. A
   * snapshot the server skipped (a gap over one interval) counts as that much later for the jitter: the buffer ran
   * as dry as if it had been late.
   */
  private measure(tick: number, gapTicks: number, arrivalMs: number): void {
    const late = arrivalMs - tick * this.msPerTick;
    const skippedMs = Math.max(0, gapTicks * this.msPerTick - this.intervalMs);
    if (Number.isNaN(this.lateness)) {
      this.lateness = late;
      this.lastArrivalMs = arrivalMs;
      return;
    }
    const gap = Math.max(0, arrivalMs - this.lastArrivalMs);
    this.lastArrivalMs = arrivalMs;
    const dev = Math.abs(late + skippedMs - this.lateness);
    // The jitter grows at once with a long gap (a stall: the snapshots after it come in a burst) and within a few
    // samples otherwise, and forgets slowly: the delay covers the stalls seen in the last seconds.
    const rising = dev > this.jitter;
    const jk = rising ? Math.max(1 - Math.exp(-gap / JITTER_RISE_MS), 0.1) : 1 - Math.exp(-Math.min(gap, this.intervalMs) / JITTER_MS);
    this.jitter += (dev - this.jitter) * jk;
    // The expected lateness weighs each sample by the time since the previous one, at most one interval: the first
    // snapshot after a gap counts as one sample, and a burst of snapshots arriving together about as one between them.
    this.lateness += (late - this.lateness) * (1 - Math.exp(-Math.min(gap, this.intervalMs) / LATENESS_MS));
  }

  /** Records, for each entity drawn past the newest snapshot at rt, the jump the new snapshot would make. */
  private blendFrom(before: RenderEntity[], rt: number): void {
    const after = this.sampleRaw(rt);
    let j = 0;
    for (const a of before) {
      while (j < after.length && after[j]!.id < a.id) j++;
      const b = after[j];
      if (!b || b.id !== a.id || b.kind !== a.kind) continue;
      const rates = this.opts.rates.get(a.kind);
      if (!rates) continue;
      const wraps = this.opts.wraps?.get(a.kind);
      const tps = this.opts.teleports?.get(a.kind);
      const prev = this.blends.get(a.id);
      const f = prev && prev.kind === a.kind ? Math.exp(-(Math.max(0, rt - prev.rt0) * this.msPerTick) / BLEND_MS) : 0;
      const offset = new Float64Array(a.fields.length);
      let any = false;
      for (let k = 0; k < offset.length; k++) {
        const w = wraps?.[k] ?? 0;
        if ((rates[k] ?? -1) < 0 && w <= 0) continue;
        let d = a.fields[k]! - b.fields[k]!;
        if (w > 0) d = mod(d + w / 2, w) - w / 2;
        const tp = tps?.[k] ?? 0;
        if (tp > 0 && Math.abs(d) > tp * (this.maxAheadTicks + 1)) continue; // a teleport: drawn at once
        offset[k] = d + (prev && f > 0 ? (prev.offset[k] ?? 0) * f : 0);
        if (offset[k] !== 0) any = true;
      }
      if (any) this.blends.set(a.id, { kind: a.kind, offset, rt0: rt });
      else this.blends.delete(a.id);
    }
  }

  /** The entities on the snapshots' path at rt, without blending. */
  private sampleRaw(rt: number, skip?: number): RenderEntity[] {
    const n = this.frames.length;
    if (n === 0 || Number.isNaN(rt)) return [];
    let i = n - 1;
    while (i > 0 && this.frames[i]!.world.tick > rt) i--;
    const a = this.frames[i]!.world;
    const b = i + 1 < n ? this.frames[i + 1]!.world : undefined;
    const out: RenderEntity[] = [];
    if (!b || rt < a.tick) {
      // Past the newest snapshot (extrapolate, bounded) or before the oldest (hold).
      const ahead = Math.min(Math.max(0, rt - a.tick), this.maxAheadTicks);
      for (const e of a.entities) if (e.id !== skip) out.push(this.extrapolate(e, ahead));
      return out;
    }
    const span = b.tick - a.tick;
    const alpha = (rt - a.tick) / span;
    for (const e of a.entities) {
      if (e.id === skip) continue;
      const f = findEntity(b, e.id);
      out.push(f && f.kind === e.kind ? this.lerp(e, f, alpha, span) : this.extrapolate(e, Math.min(rt - a.tick, this.maxAheadTicks)));
    }
    return out;
  }

  private extrapolate(e: Entity, ticks: number): RenderEntity {
    const fields = Float64Array.from(e.fields);
    const rates = this.opts.rates.get(e.kind);
    if (rates && ticks > 0) {
      const wraps = this.opts.wraps?.get(e.kind);
      for (let k = 0; k < fields.length; k++) {
        const r = rates[k] ?? -1;
        if (r < 0) continue;
        const v = e.fields[k]! + e.fields[r]! * ticks;
        const w = wraps?.[k] ?? 0;
        fields[k] = w > 0 ? mod(v, w) : v;
      }
    }
    return renderEntity(e, fields);
  }

  private lerp(a: Entity, b: Entity, alpha: number, span: number): RenderEntity {
    const fields = Float64Array.from(a.fields);
    const rates = this.opts.rates.get(a.kind);
    const wraps = this.opts.wraps?.get(a.kind);
    if (!rates && !wraps) return renderEntity(a, fields);
    const tps = this.opts.teleports?.get(a.kind);
    for (let k = 0; k < fields.length; k++) {
      const w = wraps?.[k] ?? 0;
      if ((rates?.[k] ?? -1) < 0 && w <= 0) continue;
      let d = b.fields[k]! - a.fields[k]!;
      if (w > 0) d = mod(d + w / 2, w) - w / 2;
      const tp = tps?.[k] ?? 0;
      if (tp > 0 && Math.abs(d) > tp * span) {
        fields[k] = alpha < 1 ? a.fields[k]! : b.fields[k]!; // a teleport: hold, then jump
      } else {
        const v = a.fields[k]! + d * alpha;
        fields[k] = w > 0 ? mod(v, w) : v;
      }
    }
    return renderEntity(a, fields);
  }
}

/** x modulo m in [0, m). */
function mod(x: number, m: number): number {
  const r = x % m;
  return r < 0 ? r + m : r;
}
