// The SDK as a consumer gets it: `npm pack` makes the tarball (prepack rebuilds lib/), which is installed into an empty
// folder, imported from Node, type-checked by a TypeScript project under two module resolutions, and used from a
// plain HTML page without a bundler (an import map to the installed files, served by a small static file server on
// loopback): in Debian's chromium the page connects to the real tickwire server built from this checkout, joins the
// arena, runs and receives snapshots.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { PROTOCOL_VERSION } from "../src/version";
import { Servers, WEB, buildServer, ensureChromium, launchChromium } from "./harness";

const PKG = JSON.parse(readFileSync(join(WEB, "package.json"), "utf8")) as { name: string; version: string };
const ENTRIES = [PKG.name, `${PKG.name}/arena`];

let tmp = "";
let app = ""; // the consumer: an empty project with only the tarball installed
let packed: { filename: string; files: { path: string }[] };
let servers: Servers | undefined;
let browser: Browser | undefined;
let staticServer: Server | undefined;

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

before(async () => {
  ensureChromium();
  tmp = mkdtempSync(join(tmpdir(), "tw-pkg-"));
  [packed] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", tmp], WEB)) as [typeof packed];
  app = join(tmp, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  // Its one dependency (@bufbuild/protobuf) comes from npm's cache, filled by `npm ci`, else from the registry.
  run("npm", ["install", join(tmp, packed.filename), "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"], app);
  servers = new Servers(buildServer(tmp));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close().catch(() => {});
  await new Promise<void>((resolve) => (staticServer ? staticServer.close(() => resolve()) : resolve()));
  await servers?.stopAll();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test("the tarball holds the built package: ES modules, declarations, no sources; the SDK entry has no arena code", () => {
  const paths = packed.files.map((f) => f.path).sort();
  for (const p of paths) assert.ok(p === "package.json" || p === "README.md" || p.startsWith("lib/"), `unexpected file in the tarball: ${p}`);
  for (const p of ["lib/index.js", "lib/index.d.ts", "lib/arena/index.js", "lib/arena/index.d.ts", "lib/sdk/client.d.ts"]) {
    assert.ok(paths.includes(p), `${p} in the tarball (${paths.join(" ")})`);
  }
  const installed = join(app, "node_modules", ...PKG.name.split("/"));
  const index = readFileSync(join(installed, "lib", "index.js"), "utf8");
  assert.doesNotMatch(index, /arenaPrediction|src\/arena\//, "lib/index.js carries arena code");
  assert.doesNotMatch(index, /from\s*["'][^"'.][^"']*\/src\//, "lib/index.js imports sources");
  assert.equal((JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as { version: string }).version, PKG.version);
});

test("installed from the tarball, it imports in Node and type-checks in TypeScript projects (nodenext and bundler)", () => {
  const out = run("node", ["--input-type=module", "-e", `
    const sdk = await import(${JSON.stringify(ENTRIES[0])});
    const arena = await import(${JSON.stringify(ENTRIES[1])});
    console.log(JSON.stringify({ version: sdk.PROTOCOL_VERSION, client: typeof sdk.TickwireClient, arena: "arena" in sdk,
      prediction: typeof arena.arenaPrediction, shots: typeof arena.LocalShots }));`], app);
  assert.deepEqual(JSON.parse(out), { version: PROTOCOL_VERSION, client: "function", arena: false, prediction: "function", shots: "function" });

  writeFileSync(join(app, "consumer.ts"), `
import { PROTOCOL_VERSION, TickwireClient, type NetStats, type PredictionModel, type World } from "${ENTRIES[0]}";
import { arenaPrediction, KIND_PLAYER, LocalShots } from "${ENTRIES[1]}";
const model: PredictionModel = arenaPrediction({});
const own: PredictionModel = { // docs/sdk.md's model of a game of one's own
  kind: 1, xField: 0, yField: 1, snapDistance: 64,
  applyInput(fields, input) {
    fields[0] += input[0]! * 4;
    fields[1] += input[1]! * 4;
  },
};
const client = new TickwireClient({ url: "ws://127.0.0.1/ws", join: { mode: "arena" }, prediction: () => model });
const world: World = client.world;
const stats: NetStats = client.stats();
const version: number = PROTOCOL_VERSION;
// @ts-expect-error the SDK entry has no arena
import type { arena } from "${ENTRIES[0]}";
export const used = [world.tick, stats.rttMs, version, KIND_PLAYER, LocalShots, own];
`);
  const tsc = join(WEB, "node_modules", ".bin", "tsc");
  for (const [module, resolution] of [["nodenext", "nodenext"], ["esnext", "bundler"]]) {
    const config = `tsconfig.${resolution}.json`;
    writeFileSync(join(app, config), JSON.stringify({
      compilerOptions: { target: "ES2022", module, moduleResolution: resolution, lib: ["ES2022", "DOM"], types: [], strict: true, noEmit: true, skipLibCheck: false },
      files: ["consumer.ts"],
    }));
    try {
      run(tsc, ["-p", config], app);
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string };
      assert.fail(`tsc with moduleResolution ${resolution}: ${err.stdout ?? ""}${err.stderr ?? ""}`);
    }
  }
});

const TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".json": "application/json" };

/** Serves the files under root, read-only, on a free loopback port; returns its base URL. */
async function serveStatic(root: string): Promise<string> {
  staticServer = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)));
    if (path === join(root, "favicon.ico")) return void res.writeHead(204).end();
    if (!path.startsWith(root + sep)) return void res.writeHead(403).end();
    try {
      const body = readFileSync(path);
      res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => staticServer!.listen(0, "127.0.0.1", resolve));
  const addr = staticServer.address();
  assert.ok(addr && typeof addr === "object");
  return `http://127.0.0.1:${addr.port}`;
}

/**
 * The page's import map: the package's entry points and every bare import in its files, each resolved as Node resolves
 * it from the consumer's folder (through the packages' "exports"), as a path under the static server.
 */
function importMap(): Record<string, string> {
  const installed = join(app, "node_modules", ...PKG.name.split("/"));
  const bare = new Set<string>(ENTRIES);
  for (const f of filesUnder(join(installed, "lib"))) {
    if (!f.endsWith(".js")) continue;
    for (const m of readFileSync(f, "utf8").matchAll(/(?:\bfrom|\bimport)\s*["']([^"'.\/][^"']*)["']/g)) bare.add(m[1]!);
  }
  const specs = [...bare].sort();
  const urls = JSON.parse(run("node", ["--input-type=module", "-e", `console.log(JSON.stringify(${JSON.stringify(specs)}.map((s) => import.meta.resolve(s))))`], app)) as string[];
  return Object.fromEntries(specs.map((s, i) => ["" + s, "/" + relative(app, fileURLToPath(urls[i]!)).split(sep).join("/")]));
}

test("a plain HTML page with an import map uses the installed package: it joins the arena and receives snapshots", { timeout: 60_000 }, async () => {
  const site = await serveStatic(app);
  const game = await servers!.start(["-allowed-origins", site]); // the page comes from another origin than the server
  const imports = importMap();
  writeFileSync(join(app, "index.html"), `<!doctype html>
<html><head><meta charset="utf-8"><title>Tickwire package</title>
<script type="importmap">${JSON.stringify({ imports })}</script>
<script type="module">
import { PROTOCOL_VERSION, TickwireClient, findEntity } from "${ENTRIES[0]}";
import { KIND_PLAYER, PlayerField, arenaParams, arenaPrediction } from "${ENTRIES[1]}";
const seen = { sdkVersion: PROTOCOL_VERSION, states: [], snapshots: 0, ticks: [], xs: [], dx: 0 };
window.seen = seen;
const client = new TickwireClient({ url: new URLSearchParams(location.search).get("ws"), join: { mode: "arena" }, name: "pkg",
  prediction: (w) => arenaPrediction(w.params) });
window.client = client;
client.on("state", (s) => seen.states.push(s.kind));
client.on("welcome", (w) => { seen.serverVersion = w.protocolVersion; seen.playerId = w.playerId; seen.mode = w.mode; });
client.on("snapshot", (s) => {
  seen.snapshots++;
  if (seen.ticks.length < 300) seen.ticks.push(s.world.tick);
  const me = findEntity(s.world, client.playerId);
  if (!me || me.kind !== KIND_PLAYER) return;
  if (seen.dx === 0) {
    // Run towards the middle of the world (input: dx, dy, aim, fire), away from the nearer wall.
    const p = arenaParams(client.welcome.params);
    seen.dx = me.fields[PlayerField.X] > (p.worldW * p.scale) / 2 ? -1 : 1;
    client.setInput([seen.dx, 0, 0, 0]);
  }
  if (seen.xs.length < 300) seen.xs.push(me.fields[PlayerField.X]);
});
client.connect();
</script></head><body></body></html>
`);
  const problems: string[] = [];
  const page = await browser!.newPage();
  page.setDefaultTimeout(15_000);
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  const requested: string[] = [];
  page.on("request", (r) => requested.push(new URL(r.url()).pathname));
  try {
    await page.goto(`${site}/index.html?ws=${encodeURIComponent(game.replace("http:", "ws:") + "/ws")}`, { waitUntil: "load" });
    try {
      // 30 snapshots with the player, and one at least whose state hash was checked (every hash_interval ticks).
      await page.waitForFunction(() => {
        const w = window as unknown as { seen: { xs: number[] }; client: { stats(): { hashChecks: number } } };
        return w.seen.xs.length >= 30 && w.client.stats().hashChecks > 0;
      });
    } catch (e) {
      const state = await page.evaluate(() => JSON.stringify((window as unknown as { seen?: unknown }).seen)).catch((x: Error) => x.message);
      throw new Error(`${(e as Error).message}; the page saw ${state}; problems: ${problems.join("; ")}; server: ${servers!.log}`);
    }
    type Seen = { sdkVersion: number; serverVersion: number; playerId: number; mode: string; states: string[]; snapshots: number; ticks: number[]; xs: number[]; dx: number };
    const seen = await page.evaluate(() => (window as unknown as { seen: Seen }).seen);
    const stats = await page.evaluate(() => (window as unknown as { client: { stats(): Record<string, number> } }).client.stats());
    assert.equal(seen.sdkVersion, PROTOCOL_VERSION);
    assert.equal(seen.serverVersion, PROTOCOL_VERSION, "the server speaks the package's protocol version");
    assert.equal(seen.mode, "arena");
    assert.ok(seen.playerId > 0, `player id ${seen.playerId}`);
    assert.deepEqual(seen.states.slice(0, 2), ["connecting", "playing"]);
    assert.ok(seen.ticks.every((t, i) => i === 0 || t > seen.ticks[i - 1]!), `snapshot ticks increase: ${seen.ticks.join(" ")}`);
    const moved = (seen.xs[seen.xs.length - 1]! - seen.xs[0]!) * seen.dx;
    assert.ok(moved > 0, `the player ran ${seen.dx > 0 ? "right" : "left"}: x ${seen.xs.join(" ")}`);
    assert.equal(stats["decodeErrors"], 0, "decode errors");
    assert.ok(stats["hashChecks"]! > 0, "verified state hashes");
    assert.equal(stats["hashMismatches"], 0, "hash mismatches");
    // Only the installed package and its dependency were loaded, no source file and nothing of the demo.
    const scripts = requested.filter((p) => p.endsWith(".js"));
    assert.ok(scripts.length > 0 && scripts.every((p) => p.startsWith("/node_modules/")), `scripts loaded: ${scripts.join(" ")}`);
    assert.deepEqual(problems, [], "clean console");
  } finally {
    await page.close();
  }
});
