// A user-space TCP proxy for end-to-end tests that delays every chunk by a base latency plus uniform jitter, in each
// direction, keeping the byte order of each stream (a chunk is never sent before the one read before it), so
// WebSocket frames stay in order as over a real TCP path: a chunk that drew a short delay waits for its predecessor.
// Runs in the test process on loopback; a seeded generator makes the delays repeatable.
import { createServer, connect, type Server, type Socket } from "node:net";
import { rng } from "../test/fakes";

/** How a LatencyProxy delays traffic. */
export interface LatencyOptions {
  /** Mean one-way delay added to each chunk, ms. */
  readonly delayMs: number;
  /** Each chunk's delay is delayMs + uniform(-jitterMs, +jitterMs). */
  readonly jitterMs: number;
  /** Seed of the delay generator (default 1). */
  readonly seed?: number;
}

/** Figures of a proxy's traffic, for test messages. */
export interface ProxyStats {
  readonly connections: number;
  readonly chunks: number;
  /** The largest delay a chunk got, including waiting for its predecessor (ms). */
  readonly maxDelayMs: number;
}

/** A TCP proxy on 127.0.0.1 that forwards to target with delay and jitter each way; see the module comment. */
export class LatencyProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly rand: () => number;
  private connections = 0;
  private chunks = 0;
  private maxDelayMs = 0;

  constructor(
    private readonly target: { host: string; port: number },
    private readonly opts: LatencyOptions,
  ) {
    this.rand = rng(opts.seed ?? 1);
    this.server = createServer((down) => this.accept(down));
  }

  /** Listens on a free loopback port and returns it. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => {
        const a = this.server.address();
        if (a && typeof a === "object") resolve(a.port);
        else reject(new Error("netsim: no address"));
      });
    });
  }

  stats(): ProxyStats {
    return { connections: this.connections, chunks: this.chunks, maxDelayMs: this.maxDelayMs };
  }

  /** Stops listening and destroys every connection and pending chunk. */
  close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(down: Socket): void {
    this.connections++;
    const up = connect(this.target.port, this.target.host);
    for (const s of [down, up]) {
      s.setNoDelay(true);
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
      // Either side failing ends both, as a broken path would.
      s.on("error", () => {
        down.destroy();
        up.destroy();
      });
    }
    this.pipe(down, up);
    this.pipe(up, down);
  }

  /** Forwards from → to, each chunk at max(previous chunk's time, now + delay ± jitter); an end follows the data. */
  private pipe(from: Socket, to: Socket): void {
    const queue: { at: number; data: Buffer | null }[] = [];
    let last = 0;
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      if (timer) this.timers.delete(timer);
      timer = undefined;
      const now = performance.now();
      while (queue.length > 0 && queue[0]!.at <= now) {
        const { data } = queue.shift()!;
        if (to.destroyed) continue;
        if (data) to.write(data);
        else to.end();
      }
      if (queue.length > 0) {
        timer = setTimeout(flush, queue[0]!.at - now);
        this.timers.add(timer);
      }
    };
    const enqueue = (data: Buffer | null) => {
      const now = performance.now();
      const d = this.opts.delayMs + (this.rand() * 2 - 1) * this.opts.jitterMs;
      last = Math.max(last, now + d);
      this.maxDelayMs = Math.max(this.maxDelayMs, last - now);
      queue.push({ at: last, data });
      if (!timer) {
        timer = setTimeout(flush, last - now);
        this.timers.add(timer);
      }
    };
    from.on("data", (b: Buffer) => {
      this.chunks++;
      enqueue(b);
    });
    from.on("end", () => enqueue(null));
    from.on("close", () => {
      // A reset (not a clean end) is passed on after the data in flight.
      if (!from.readableEnded) enqueue(null);
    });
  }
}
