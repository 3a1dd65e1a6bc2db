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
  private readonly samples: Sample[] = [];

  constructor(
    private readonly tickRate: number,
    private readonly window = 8,
  ) {}

  /** Records a Pong: sentMs is when the Ping left (local), serverUs the server's Unix time in microseconds. */
  onPong(sentMs: number, serverUs: number, serverTick: number, nowMs: number): void {
    const rtt = Math.max(0, nowMs - sentMs);
    const mid = sentMs + rtt / 2;
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
