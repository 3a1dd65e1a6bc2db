// A user-space TCP proxy for end-to-end tests that delays every chunk by a base latency plus uniform jitter, in each
// direction, keeping the byte order of each stream (a chunk is never sent before the one read before it), so
// WebSocket frames stay in order as over a real TCP path: a chunk that drew a short delay waits for its predecessor.
// A seeded generator makes the delays repeatable. ProxyProcess runs one in a process of its own: the network it
// stands for is not slowed by the test's browser, so its timers must not wait for the test runner's event loop (which
// also drives the browser) or share its heap's pauses; the process asks for a higher scheduling priority where allowed.
import { fork, type ChildProcess } from "node:child_process";
import { createServer, connect, type Server, type Socket } from "node:net";
import { setPriority } from "node:os";
import { fileURLToPath } from "node:url";
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
  /** The most a chunk was forwarded after its due time: this process's own stalls (ms). */
  readonly maxLateMs: number;
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
  private maxLateMs = 0;

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
    return { connections: this.connections, chunks: this.chunks, maxDelayMs: this.maxDelayMs, maxLateMs: this.maxLateMs };
  }

  /** Starts a new measuring window: the largest delay and lateness count from now. */
  markWindow(): void {
    this.maxDelayMs = 0;
    this.maxLateMs = 0;
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
        const { at, data } = queue.shift()!;
        this.maxLateMs = Math.max(this.maxLateMs, now - at);
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

type ProxyRequest = { op: "stats" | "markWindow" | "close"; id: number };
type ProxyReply = { id: number; port?: number; stats?: ProxyStats };

/** A LatencyProxy in a child process (see the module comment), driven over IPC. */
export class ProxyProcess {
  private next = 1;
  private readonly pending = new Map<number, (r: ProxyReply) => void>();

  private constructor(private readonly child: ChildProcess) {
    child.on("message", (m: ProxyReply) => {
      const f = this.pending.get(m.id);
      this.pending.delete(m.id);
      f?.(m);
    });
    process.once("exit", () => child.kill("SIGKILL")); // never leave a proxy behind
  }

  /** Starts a proxy forwarding to target and returns it once it listens on a loopback port (ProxyProcess.port). */
  static async start(target: { host: string; port: number }, opts: LatencyOptions): Promise<{ proxy: ProxyProcess; port: number }> {
    const child = fork(fileURLToPath(import.meta.url), [JSON.stringify({ target, opts })], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const proxy = new ProxyProcess(child);
    const port = await new Promise<number>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (code) => reject(new Error(`netsim: proxy process exited (${code})`)));
      proxy.pending.set(0, (r) => resolve(r.port!));
    });
    child.removeAllListeners("exit");
    child.removeAllListeners("error");
    return { proxy, port };
  }

  private call(op: ProxyRequest["op"]): Promise<ProxyReply> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      if (!this.child.connected) return reject(new Error("netsim: proxy process gone"));
      this.pending.set(id, resolve);
      this.child.send({ op, id } satisfies ProxyRequest);
    });
  }

  async stats(): Promise<ProxyStats> {
    return (await this.call("stats")).stats!;
  }

  /** Starts a new measuring window (LatencyProxy.markWindow). */
  async markWindow(): Promise<void> {
    await this.call("markWindow");
  }

  /** Stops the proxy and its process. */
  async close(): Promise<void> {
    if (!this.child.connected) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    await this.call("close").catch(() => {});
    await exited;
  }
}

// Run as a ProxyProcess's child: argv[2] is {target, opts}.
if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) {
  const { target, opts } = JSON.parse(process.argv[2]!) as { target: { host: string; port: number }; opts: LatencyOptions };
  try {
    setPriority(-10);
  } catch {
    // not allowed here: the proxy runs at the default priority
  }
  const proxy = new LatencyProxy(target, opts);
  const send = (r: ProxyReply) => process.send!(r);
  process.on("message", async (m: ProxyRequest) => {
    if (m.op === "stats") send({ id: m.id, stats: proxy.stats() });
    else if (m.op === "markWindow") {
      proxy.markWindow();
      send({ id: m.id });
    } else if (m.op === "close") {
      await proxy.close();
      send({ id: m.id });
      process.disconnect();
      process.exit(0);
    }
  });
  process.on("disconnect", () => process.exit(0)); // the test runner went away
  void proxy.listen().then((port) => send({ id: 0, port }));
}
