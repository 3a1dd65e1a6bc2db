/**
 * Round-trip time and server clock estimation from Ping/Pong.
 *
 * Each Pong gives a round trip (now - Ping.client_time_us) and a server clock reading taken somewhere inside it. The
 * smoothed RTT follows the samples; the clock offset is taken from the sample with the smallest round trip among the
 * recent ones, because that one bounds the server's reading most tightly.
 *
 * @module
 */

/** One round-trip sample. */
interface Sample {
  readonly rttMs: number;
  /** server time - local time at the middle of the round trip, in milliseconds. */
  readonly offsetMs: number;
  /** The server's tick minus the local time in ticks at the middle of the round trip. */
  readonly tickOffset: number;
}

/** Estimates RTT and the server's clock; all times are local milliseconds (any epoch) unless named otherwise. */
export class NetClock {
  /** Smoothed round-trip time in milliseconds (NaN before the first Pong). */
  rttMs = NaN;
  /** The most recent round-trip sample in milliseconds. */
  lastRttMs = NaN;
  /** The mean deviation between successive round trips, smoothed (RFC 3550's interarrival jitter), in ms. */
  jitterMs = 0;
  private readonly samples: Sample[] = [];

  constructor(
    private readonly tickRate: number,
    private readonly window = 8,
  ) {}

  /** Records a Pong: sentMs is when the Ping left (local), serverUs the server's Unix time in microseconds. */
  onPong(sentMs: number, serverUs: number, serverTick: number, nowMs: number): void {
    const rtt = Math.max(0, nowMs - sentMs);
    const mid = sentMs + rtt / 2;
    if (!Number.isNaN(this.lastRttMs)) this.jitterMs += (Math.abs(rtt - this.lastRttMs) - this.jitterMs) / 16;
    this.lastRttMs = rtt;
    this.rttMs = Number.isNaN(this.rttMs) ? rtt : this.rttMs + (rtt - this.rttMs) / 8;
    this.samples.push({ rttMs: rtt, offsetMs: serverUs / 1000 - mid, tickOffset: serverTick - (mid * this.tickRate) / 1000 });
    if (this.samples.length > this.window) this.samples.shift();
  }

  private best(): Sample | undefined {
    let b: Sample | undefined;
    for (const s of this.samples) if (!b || s.rttMs < b.rttMs) b = s;
    return b;
  }

  /** The server's clock (Unix milliseconds) at local time nowMs, or NaN before the first Pong. */
  serverTimeMs(nowMs: number): number {
    const b = this.best();
    return b ? nowMs + b.offsetMs : NaN;
  }

  /** The server's (fractional) tick at local time nowMs, or NaN before the first Pong. */
  serverTick(nowMs: number): number {
    const b = this.best();
    return b ? (nowMs * this.tickRate) / 1000 + b.tickOffset : NaN;
  }
}

/** Counts events and bytes over a sliding one-second window. */
export class RateMeter {
  private readonly times: number[] = [];
  private readonly sizes: number[] = [];
  private sum = 0;

  /** Records one event of `size` units (bytes, or 1) at nowMs. */
  add(nowMs: number, size = 1): void {
    this.times.push(nowMs);
    this.sizes.push(size);
    this.sum += size;
    this.trim(nowMs);
  }

  /** Units per second over the last second. */
  perSecond(nowMs: number): number {
    this.trim(nowMs);
    return this.sum;
  }

  private trim(nowMs: number): void {
    while (this.times.length > 0 && this.times[0]! <= nowMs - 1000) {
      this.times.shift();
      this.sum -= this.sizes.shift()!;
    }
  }
}

/** Options of an InputClock. */
export interface InputClockOptions {
  /** Simulation ticks per second. */
  readonly tickRate: number;
  /** The lead kept above the jitter margin, in ms (default 3). */
  readonly safetyMs?: number;
  /** The jitter margin is this many standard deviations of the reported leads (default 2.5). */
  readonly jitterDeviations?: number;
  /** How many lead reports the jitter window holds (default 30: about 3 s at one report per 100 ms). */
  readonly window?: number;
  /** The most the clock runs faster or slower than real time (default 0.05). */
  readonly maxDilation?: number;
  /** An error of the lead is corrected over about this long, in ms (default 1000). */
  readonly correctionMs?: number;
  /** Behind the target by more than this (ms), the clock jumps forward instead of dilating (default 250). */
  readonly resyncMs?: number;
  /** This many lead reports in a row below zero (inputs arriving after their tick was due) also jump (default 3). */
  readonly lateReportsToResync?: number;
  /** The most lead the clock aims for, however large the measured jitter (default 250 ms). */
  readonly maxTargetMs?: number;
}

/** One stretch of constant dilation: the clock's lead offset (ms) at atMs, gained at `dilation` ms per ms after it. */
interface Segment {
  atMs: number;
  offsetMs: number;
  dilation: number;
}

const SEGMENTS = 64;
/** The jitter margin is measured once the window holds this many reports; until then the target keeps its value. */
const MIN_REPORTS = 8;

/**
 * The input clock: which simulation tick the client addresses its next input to, and when.
 *
 * The room applies one input per player per tick and reports, about every 100 ms, the least lead of the inputs that
 * arrived (ServerFrame.input_lead_us: the tick's due time minus the arrival time). The clock runs a fractional tick
 * ahead of the server by the one-way delay plus a target lead, and the client sends the input for tick k when the
 * clock reaches k. The target lead is a safety margin plus a jitter margin (a few standard deviations of the reported
 * leads over a sliding window).
 *
 * The clock holds the target with bounded time dilation: it runs at most maxDilation faster or slower than real time.
 * Each report is turned into a "base" lead, the lead the inputs would have had without any of the clock's own
 * adjustments (the report minus the adjustment already made when they were sent), so that adjustments still in flight
 * are not corrected twice; the predicted lead now is the smoothed base plus every adjustment so far, and the dilation
 * is proportional to its error. Far behind (or several reports of late inputs in a row) the clock jumps forward; it
 * never jumps backwards, and ahead it only slows down.
 *
 * Pure and clock-free: every method takes the local time in ms.
 */
export class InputClock {
  /** The current dilation: the clock runs at (1 + dilation) times real speed. */
  dilation = 0;
  /** The target lead, in ms. */
  targetLeadMs: number;
  /** The latest reported lead and its smoothed value, in ms (NaN before the first report). */
  lastLeadMs = NaN;
  smoothedLeadMs = NaN;
  /** The largest |dilation| ever used. */
  maxDilationUsed = 0;
  /** Jumps forward after a large error, and jumps at start or re-sync (resumes, Pong refinements). */
  resyncs = 0;
  /** The ticks the clock has jumped forward in all (re-syncs and Pong refinements; not starts). */
  jumpedTicks = 0;
  /** Lead reports since the latest start. */
  reports = 0;

  private readonly tickMs: number;
  private readonly safetyMs: number;
  private readonly deviations: number;
  private readonly maxDilation: number;
  private readonly correctionMs: number;
  private readonly resyncMs: number;
  private readonly lateToResync: number;
  private readonly maxTargetMs: number;

  // The clock: tick(now) = anchorTick + (now - anchorMs) * (1 + dilation) / tickMs.
  private anchorMs = NaN;
  private anchorTick = NaN;
  // The history of the adjustments (dilation and jumps), newest last, as a ring.
  private readonly segs: Segment[] = [];
  // The base leads of the window (ring), their smoothed level, and the late-report streak.
  private readonly base: Float64Array;
  private baseN = 0;
  private baseAt = 0;
  private baseLevel = NaN;
  private lateStreak = 0;
  // Reports received before this time cover inputs sent before the latest start (or resent at it): not used.
  private ignoreUntil = -Infinity;

  constructor(opts: InputClockOptions) {
    this.tickMs = 1000 / Math.max(1, opts.tickRate);
    this.safetyMs = opts.safetyMs ?? 3;
    this.deviations = opts.jitterDeviations ?? 2.5;
    this.base = new Float64Array(Math.max(4, opts.window ?? 30));
    this.maxDilation = opts.maxDilation ?? 0.05;
    this.correctionMs = opts.correctionMs ?? 1000;
    this.resyncMs = opts.resyncMs ?? 250;
    this.lateToResync = opts.lateReportsToResync ?? 3;
    this.maxTargetMs = opts.maxTargetMs ?? 250;
    this.targetLeadMs = this.safetyMs + 10; // until reports measure the jitter
  }

  /** Whether start has been called. */
  get started(): boolean {
    return !Number.isNaN(this.anchorMs);
  }

  /**
   * Sets the clock from an estimate of the server's fractional tick now and the one-way delay (half the RTT): inputs
   * sent from now arrive targetLeadMs before their tick is due. Used at the first Welcome and after a resume: the
   * reports gathered so far are forgotten (they relate to the old setting), the target lead is kept, and the reports
   * of the next round trip and report interval are not used (their inputs left before the start, or were resent at
   * once for several ticks).
   */
  start(nowMs: number, serverTick: number, oneWayMs: number): void {
    this.ignoreUntil = nowMs + 2 * oneWayMs + 100;
    this.baseN = this.baseAt = 0;
    this.baseLevel = NaN;
    this.segs.length = 0;
    this.anchorMs = nowMs;
    this.anchorTick = serverTick + (oneWayMs + this.targetLeadMs) / this.tickMs;
    this.dilation = 0;
    this.lateStreak = 0;
    this.reports = 0;
    this.pushSegment(nowMs, 0);
    this.resyncs++;
  }

  /**
   * Says that the inputs sent up to now left late because the page stalled (its timers were throttled), not because of
   * the clock: the reports that cover them, received within the next round trip and report interval, are not used.
   */
  stalled(nowMs: number, rttMs: number): void {
    this.ignoreUntil = Math.max(this.ignoreUntil, nowMs + (Number.isFinite(rttMs) ? rttMs : 0) + 150);
    this.lateStreak = 0;
  }

  /** The clock's fractional tick at nowMs (NaN before start). */
  tick(nowMs: number): number {
    return this.anchorTick + ((nowMs - this.anchorMs) * (1 + this.dilation)) / this.tickMs;
  }

  /** The local time at which the clock reaches tick k. */
  timeOf(k: number): number {
    return this.anchorMs + ((k - this.anchorTick) * this.tickMs) / (1 + this.dilation);
  }

  /**
   * Moves the clock forward so that it is at least at the tick an estimate of the server's tick now implies (from a
   * Pong). Only before the first lead report: after it, the reports are the better measure.
   */
  refine(nowMs: number, serverTick: number, oneWayMs: number): void {
    if (!this.started || this.reports > 0) return;
    const want = serverTick + (oneWayMs + this.targetLeadMs) / this.tickMs;
    const d = want - this.tick(nowMs);
    if (d > 0.5) this.jump(nowMs, d);
  }

  /**
   * Takes a lead report (ms) received at nowMs; rttMs is the current round trip (for when the reported inputs were
   * sent). Updates the target, the dilation, and jumps forward when far behind.
   */
  onLeadReport(nowMs: number, leadMs: number, rttMs: number): void {
    if (!this.started) return;
    this.lastLeadMs = leadMs;
    if (nowMs < this.ignoreUntil) return;
    this.reports++;
    this.smoothedLeadMs = Number.isNaN(this.smoothedLeadMs) ? leadMs : this.smoothedLeadMs + (leadMs - this.smoothedLeadMs) / 8;
    // The reported inputs reached the room during the last report interval (about 100 ms), so they left here about a
    // round trip and half an interval ago.
    const sentAt = nowMs - (Number.isFinite(rttMs) ? rttMs : 0) - 50;
    const b = leadMs - this.offsetAt(sentAt);
    this.base[this.baseAt] = b;
    this.baseAt = (this.baseAt + 1) % this.base.length;
    if (this.baseN < this.base.length) this.baseN++;
    this.baseLevel = Number.isNaN(this.baseLevel) ? b : this.baseLevel + (b - this.baseLevel) / 4;
    if (this.baseN >= MIN_REPORTS) this.targetLeadMs = Math.min(this.maxTargetMs, this.safetyMs + this.deviations * this.deviation());
    this.lateStreak = leadMs < 0 ? this.lateStreak + 1 : 0;

    const offset = this.offsetAt(nowMs);
    const error = this.targetLeadMs - (this.baseLevel + offset); // > 0: too little lead, run faster
    if (error > this.resyncMs || (this.lateStreak >= this.lateToResync && error > 0)) {
      this.jump(nowMs, error / this.tickMs);
      this.lateStreak = 0;
      return;
    }
    const d = Math.max(-this.maxDilation, Math.min(this.maxDilation, error / this.correctionMs));
    this.setDilation(nowMs, d);
  }

  /** The lead (ms) the clock expects its inputs to have now, from the reports and its adjustments; NaN before any. */
  expectedLeadMs(nowMs: number): number {
    return this.baseLevel + this.offsetAt(nowMs);
  }

  /** The standard deviation of the window's base leads (0 with fewer than MIN_REPORTS). */
  deviation(): number {
    const n = this.baseN;
    if (n < MIN_REPORTS) return 0;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += this.base[i]!;
    const mean = sum / n;
    let sq = 0;
    for (let i = 0; i < n; i++) sq += (this.base[i]! - mean) ** 2;
    return Math.sqrt(sq / (n - 1));
  }

  private jump(nowMs: number, ticks: number): void {
    const t = this.tick(nowMs) + ticks;
    const offset = this.offsetAt(nowMs) + ticks * this.tickMs;
    this.anchorMs = nowMs;
    this.anchorTick = t;
    this.dilation = 0;
    this.pushSegment(nowMs, offset);
    this.resyncs++;
    this.jumpedTicks += ticks;
  }

  private setDilation(nowMs: number, d: number): void {
    const t = this.tick(nowMs);
    const offset = this.offsetAt(nowMs);
    this.anchorMs = nowMs;
    this.anchorTick = t;
    this.dilation = d;
    if (Math.abs(d) > this.maxDilationUsed) this.maxDilationUsed = Math.abs(d);
    this.pushSegment(nowMs, offset);
  }

  private pushSegment(atMs: number, offsetMs: number): void {
    const last = this.segs[this.segs.length - 1];
    if (last && last.atMs === atMs) {
      last.offsetMs = offsetMs;
      last.dilation = this.dilation;
      return;
    }
    // Reuse the oldest segment's object once the ring is full: no allocation per report.
    const s = this.segs.length >= SEGMENTS ? this.segs.shift()! : { atMs: 0, offsetMs: 0, dilation: 0 };
    s.atMs = atMs;
    s.offsetMs = offsetMs;
    s.dilation = this.dilation;
    this.segs.push(s);
  }

  /** The total adjustment (ms of lead gained by dilation and jumps) at time t, from the segment history. */
  private offsetAt(t: number): number {
    for (let i = this.segs.length - 1; i >= 0; i--) {
      const s = this.segs[i]!;
      if (s.atMs <= t || i === 0) return s.offsetMs + Math.max(0, t - s.atMs) * s.dilation;
    }
    return 0;
  }
}
