/**
 * Round-trip time and server clock estimation from Ping/Pong.
 *
 * Each Pong gives a round trip (now - Ping.client_time_us) and a server clock reading taken somewhere inside it. The
 * smoothed RTT follows the samples; the clock offset is taken from the sample with the smallest round trip among the
 * recent ones, because that one bounds the server's reading most tightly.
 *
 * @module
 */
/** Estimates RTT and the server's clock; all times are local milliseconds (any epoch) unless named otherwise. */
export declare class NetClock {
    private readonly tickRate;
    private readonly window;
    /** Smoothed round-trip time in milliseconds (NaN before the first Pong). */
    rttMs: number;
    /** The most recent round-trip sample in milliseconds. */
    lastRttMs: number;
    /** The mean deviation between successive round trips, smoothed (RFC 3550's interarrival jitter), in ms. */
    jitterMs: number;
    private readonly samples;
    constructor(tickRate: number, window?: number);
    /** Records a Pong: sentMs is when the Ping left (local), serverUs the server's Unix time in microseconds. */
    onPong(sentMs: number, serverUs: number, serverTick: number, nowMs: number): void;
    private best;
    /** The server's clock (Unix milliseconds) at local time nowMs, or NaN before the first Pong. */
    serverTimeMs(nowMs: number): number;
    /** The server's (fractional) tick at local time nowMs, or NaN before the first Pong. */
    serverTick(nowMs: number): number;
}
/** Counts events and bytes over a sliding one-second window. */
export declare class RateMeter {
    private readonly times;
    private readonly sizes;
    private sum;
    /** Records one event of `size` units (bytes, or 1) at nowMs. */
    add(nowMs: number, size?: number): void;
    /** Units per second over the last second. */
    perSecond(nowMs: number): number;
    private trim;
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
export declare class InputClock {
    /** The current dilation: the clock runs at (1 + dilation) times real speed. */
    dilation: number;
    /** The target lead, in ms. */
    targetLeadMs: number;
    /** The latest reported lead and its smoothed value, in ms (NaN before the first report). */
    lastLeadMs: number;
    smoothedLeadMs: number;
    /** The largest |dilation| ever used. */
    maxDilationUsed: number;
    /** Jumps forward after a large error, and jumps at start or re-sync (resumes, Pong refinements). */
    resyncs: number;
    /** The ticks the clock has jumped forward in all (re-syncs and Pong refinements; not starts). */
    jumpedTicks: number;
    /** Lead reports since the latest start. */
    reports: number;
    private readonly tickMs;
    private readonly safetyMs;
    private readonly deviations;
    private readonly maxDilation;
    private readonly correctionMs;
    private readonly resyncMs;
    private readonly lateToResync;
    private readonly maxTargetMs;
    private anchorMs;
    private anchorTick;
    private readonly segs;
    private readonly base;
    private baseN;
    private baseAt;
    private baseLevel;
    private lateStreak;
    private ignoreUntil;
    constructor(opts: InputClockOptions);
    /** Whether start has been called. */
    get started(): boolean;
    /**
     * Sets the clock from an estimate of the server's fractional tick now and the one-way delay (half the RTT): inputs
     * sent from now arrive targetLeadMs before their tick is due. Used at the first Welcome and after a resume: the
     * reports gathered so far are forgotten (they relate to the old setting), the target lead is kept, and the reports
     * of the next round trip and report interval are not used (their inputs left before the start, or were resent at
     * once for several ticks).
     */
    start(nowMs: number, serverTick: number, oneWayMs: number): void;
    /**
     * Says that the inputs sent up to now left late because the page stalled (its timers were throttled), not because of
     * the clock: the reports that cover them, received within the next round trip and report interval, are not used.
     */
    stalled(nowMs: number, rttMs: number): void;
    /** The clock's fractional tick at nowMs (NaN before start). */
    tick(nowMs: number): number;
    /** The local time at which the clock reaches tick k. */
    timeOf(k: number): number;
    /**
     * Moves the clock forward so that it is at least at the tick an estimate of the server's tick now implies (from a
     * Pong). Only before the first lead report: after it, the reports are the better measure.
     */
    refine(nowMs: number, serverTick: number, oneWayMs: number): void;
    /**
     * Takes a lead report (ms) received at nowMs; rttMs is the current round trip (for when the reported inputs were
     * sent). Updates the target, the dilation, and jumps forward when far behind.
     */
    onLeadReport(nowMs: number, leadMs: number, rttMs: number): void;
    /** The lead (ms) the clock expects its inputs to have now, from the reports and its adjustments; NaN before any. */
    expectedLeadMs(nowMs: number): number;
    /** The standard deviation of the window's base leads (0 with fewer than MIN_REPORTS). */
    deviation(): number;
    private jump;
    private setDilation;
    private pushSegment;
    /** The total adjustment (ms of lead gained by dilation and jumps) at time t, from the segment history. */
    private offsetAt;
}
