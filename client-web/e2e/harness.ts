// What the end-to-end tests share: Debian's chromium through playwright-core, the tickwire server built from this
// checkout and started on free loopback ports, and stopping it all afterwards.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";

/** client-web/ and the repository root. */
export const WEB = fileURLToPath(new URL("..", import.meta.url));
export const ROOT = join(WEB, "..");
export const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync"];

/** Installs Debian's chromium if it is missing (the Makefile's deps-browser target normally does this; CI runs as root). */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  execFileSync("apt-get", ["update"], { stdio: "inherit", timeout: 120_000 });
  execFileSync("apt-get", ["install", "-y", "-o", "DPkg::Lock::Timeout=120", "chromium"], { stdio: "inherit", timeout: 240_000 });
}

/** Starts headless chromium with a fresh profile. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 20_000 });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      s.close(() => (addr && typeof addr === "object" ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/** Builds the tickwire server (demo embedded) from this checkout into dir and returns the binary's path. */
export function buildServer(dir: string): string {
  const bin = join(dir, "tickwire");
  execFileSync("go", ["build", "-o", bin, "./server/cmd/tickwire"], { cwd: ROOT, stdio: "inherit", timeout: 180_000 });
  return bin;
}

// A runner stopped by a signal still runs its exit handlers, which stop every server and proxy it started.
for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) process.once(sig, () => process.exit(code));

/** Tickwire servers started from one binary, each on a free loopback port; stopAll ends them. */
export class Servers {
  private readonly procs: ChildProcess[] = [];
  /** Everything the servers printed (for failure messages). */
  log = "";
  /** The admin listener of the server at each base URL. */
  private readonly admin = new Map<string, string>();

  constructor(private readonly bin: string) {}

  /** Starts the server with extra flags, waits until it serves HTTP, and returns its base URL. */
  async start(args: string[]): Promise<string> {
    const port = await freePort();
    // The admin listener on a free port of its own (its default is one fixed port, which several servers or other
    // tests would share): tests read the server's metrics from it.
    const adminPort = await freePort();
    const flags = ["-addr", `127.0.0.1:${port}`, "-admin-addr", `127.0.0.1:${adminPort}`, "-log-level", "warn", ...args];
    // The server stands for a machine of its own, but here it shares two cores with chromium, which raises its
    // browser and compositor threads to nice -8: at the default priority the server can be held up for hundreds of
    // milliseconds, past its tick catch-up allowance (its timeline then moves later for every client). It starts with
    // the same standing, every thread of it, where the runner may grant it (CI runs as root; elsewhere nice says it
    // cannot and runs it at the default priority).
    const server = spawn("nice", ["-n", "-8", this.bin, ...flags], { stdio: ["ignore", "pipe", "pipe"] });
    this.procs.push(server);
    process.once("exit", () => server.kill("SIGKILL")); // never leave a server behind, even if the runner is cut short
    server.stdout!.on("data", (b: Buffer) => (this.log += b.toString()));
    server.stderr!.on("data", (b: Buffer) => (this.log += b.toString()));
    const url = `http://127.0.0.1:${port}`;
    await this.waitHTTP(url + "/", 10_000, server);
    this.admin.set(url, `http://127.0.0.1:${adminPort}`);
    return url;
  }

  /** The value of a counter or gauge (summed over its labels) in the metrics of the server at url; NaN if unknown. */
  async metric(url: string, name: string): Promise<number> {
    const admin = this.admin.get(url);
    if (!admin) return NaN;
    try {
      const text = await (await fetch(admin + "/metrics", { signal: AbortSignal.timeout(5000) })).text();
      let sum = NaN;
      for (const line of text.split("\n")) {
        if (line.startsWith(name + " ") || line.startsWith(name + "{")) sum = (Number.isNaN(sum) ? 0 : sum) + Number(line.slice(line.lastIndexOf(" ") + 1));
      }
      return sum;
    } catch {
      return NaN;
    }
  }

  private async waitHTTP(url: string, ms: number, server: ChildProcess): Promise<void> {
    const end = Date.now() + ms;
    for (;;) {
      try {
        const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
        if (r.ok) return;
      } catch {
        // not listening yet
      }
      if (server.exitCode !== null) throw new Error(`server exited: ${this.log}`);
      if (Date.now() > end) throw new Error(`server not ready at ${url} after ${ms} ms: ${this.log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGTERM, then SIGKILL after 5 s, for every server still running. */
  async stopAll(): Promise<void> {
    for (const server of this.procs) {
      if (server.exitCode !== null) continue;
      server.kill("SIGTERM");
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          server.kill("SIGKILL");
          resolve();
        }, 5000);
        server.once("exit", () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}
