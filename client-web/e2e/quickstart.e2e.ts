// docs/quickstart.md, followed as a new user would: in an empty folder next to the checkout (a symbolic link named
// tickwire, as step 1 leaves it), with the SDK packed by `npm pack`, one shell runs the guide's blocks in order: the
// `bash steps` blocks as they are, each block marked `file=NAME` written to NAME. Then the game's server is built and
// started on loopback, and two Chromium pages open it: both show two players, and the player who is "it", steered
// with the arrow keys, catches the other.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { ROOT, WEB, ensureChromium, freePort, launchChromium } from "./harness";

const GUIDE = join(ROOT, "docs", "quickstart.md");

/** One fenced block of the guide: its info string's words and its text. */
interface Block {
  readonly lang: string;
  readonly marks: readonly string[];
  readonly text: string;
}

function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  for (const m of markdown.matchAll(/^```(\S*)([^\n]*)\n([\s\S]*?)^```\s*$/gm)) {
    out.push({ lang: m[1]!, marks: m[2]!.trim().split(/\s+/).filter(Boolean), text: m[3]! });
  }
  return out;
}

/** The guide's steps as one shell script: the `steps` blocks, and every `file=` block written by a here-document. */
function script(guide: Block[]): { script: string; files: string[] } {
  const lines = ["set -euo pipefail"];
  const files: string[] = [];
  for (const b of guide) {
    const file = b.marks.find((m) => m.startsWith("file="))?.slice("file=".length);
    if (file) {
      assert.ok(!b.text.includes("\nQUICKSTART_EOF\n"), "a block holds the here-document's terminator");
      files.push(file);
      lines.push(`mkdir -p "$(dirname ${JSON.stringify(file)})"`, `cat > ${JSON.stringify(file)} <<'QUICKSTART_EOF'`, b.text + "QUICKSTART_EOF");
    } else if (b.marks.includes("steps")) {
      lines.push(b.text);
    }
  }
  return { script: lines.join("\n") + "\n", files };
}

let tmp = "";
let game = ""; // the game's folder (tag/)
let server: ChildProcess | undefined;
let log = "";
let browser: Browser | undefined;

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  try {
    return execFileSync(cmd, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 600_000 }); // a cold build on a busy machine takes minutes
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} in ${cwd}: ${err.message}\n${err.stdout ?? ""}${err.stderr ?? ""}`);
  }
}

before(async () => {
  ensureChromium();
  tmp = mkdtempSync(join(tmpdir(), "tw-quickstart-"));
  symlinkSync(ROOT, join(tmp, "tickwire"));
  // Step 1's tarball (the clone's `npm ci` is the one `make test` ran already). Packed from the committed lib/ without
  // the prepack rebuild, so that nothing in the checkout is written while other end-to-end files may be reading it
  // (make test checks that lib/ is fresh before the end-to-end tests).
  run("npm", ["pack", "--ignore-scripts", "--pack-destination", tmp], WEB);
});

after(async () => {
  await browser?.close().catch(() => {});
  if (server && server.exitCode === null) {
    server.kill("SIGTERM");
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => (server!.kill("SIGKILL"), resolve()), 5000);
      server!.once("exit", () => (clearTimeout(t), resolve()));
    });
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test("the quickstart's steps make a module that builds, with the page and the installed SDK", { timeout: 900_000 }, () => {
  const guide = blocks(readFileSync(GUIDE, "utf8"));
  const { script: sh, files } = script(guide);
  assert.deepEqual(files, ["tag.go", "main.go", "web/index.html"], "the guide's files");
  // npm answers from the cache `npm ci` filled where it can; the Go module cache holds the checkout's dependencies.
  // -trimpath keeps the folder's name out of Go's build cache keys: every run has a new folder, and without it every
  // run compiles the checkout's packages again.
  const env = { ...process.env, npm_config_prefer_offline: "true", npm_config_audit: "false", npm_config_fund: "false",
    npm_config_update_notifier: "false", GOFLAGS: `${process.env["GOFLAGS"] ?? ""} -trimpath`.trim() };
  run("bash", ["-c", sh], tmp, env);
  game = join(tmp, "tag");
  for (const f of ["go.mod", "go.sum", "tag.go", "main.go", "web/index.html", "web/node_modules/@tickwire/client/lib/index.js"]) {
    assert.ok(existsSync(join(game, f)), `${f} after the steps`);
  }
  const mod = readFileSync(join(game, "go.mod"), "utf8");
  assert.match(mod, /^replace github\.com\/tickwire\/tickwire => \.\.\/tickwire$/m, "go.mod replaces the module by the clone");
  run("go", ["build", "-o", "tag", "."], game, env); // step 6's `go run .`, built once so that the test can stop it
});

/** Starts the game's server (from its folder, as `go run .` would) on a free loopback port; returns its base URL. */
async function startServer(): Promise<string> {
  const port = await freePort();
  server = spawn(join(game, "tag"), ["-addr", `127.0.0.1:${port}`, "-admin-addr=", "-log-level", "warn"], { cwd: game, stdio: ["ignore", "pipe", "pipe"] });
  process.once("exit", () => server?.kill("SIGKILL"));
  server.stdout!.on("data", (b: Buffer) => (log += b.toString()));
  server.stderr!.on("data", (b: Buffer) => (log += b.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(url + "/", { signal: AbortSignal.timeout(1000) })).ok) return url;
    } catch {
      // not listening yet
    }
    if (server.exitCode !== null || i >= 100) throw new Error(`the game's server did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A player of the page: its id and entities [id, x, y, it] as the page's client holds them. */
interface Seen {
  readonly id: number;
  readonly state: string;
  readonly status: string;
  readonly players: readonly (readonly [number, number, number, number])[];
}

function look(page: Page): Promise<Seen> {
  return page.evaluate(() => {
    const c = (window as unknown as { client: { playerId: number; state: { kind: string }; world: { entities: { id: number; fields: Int32Array }[] } } }).client;
    return {
      id: c.playerId,
      state: c.state.kind,
      status: document.getElementById("status")!.textContent ?? "",
      players: c.world.entities.map((e) => [e.id, e.fields[0]!, e.fields[1]!, e.fields[2]!] as const),
    };
  });
}

test("two pages play tag: both see two players, and 'it' catches the other with the arrow keys", { timeout: 90_000 }, async () => {
  assert.ok(game, "the module was built");
  const site = await startServer();
  browser = await launchChromium();
  const problems: string[] = [];
  const pages: Page[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const page = await browser.newPage();
      page.setDefaultTimeout(30_000); // generous: the machine may be busy (both cores) while this runs
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") problems.push(`page ${i + 1} console ${m.type()}: ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.push(`page ${i + 1} error: ${e.message}`));
      page.on("requestfailed", (r) => problems.push(`page ${i + 1} request failed: ${r.url()} ${r.failure()?.errorText}`));
      await page.goto(site + "/", { waitUntil: "commit" }); // the waits below cover the page's modules loading
      pages.push(page);
    }
    const seen = async () => Promise.all(pages.map(look));
    const describe = async () => `${JSON.stringify(await seen().catch((e: Error) => e.message))}; problems: ${problems.join("; ")}; server: ${log}`;
    try {
      // Both pages play in one room, see both players, one of them "it", and say so on the page.
      for (const page of pages) {
        await page.waitForFunction(() => /^player \d+: 2 playing, \d+ tags?, (you are it|run!)$/.test(document.getElementById("status")!.textContent ?? ""));
        await page.waitForFunction(() => {
          const c = (window as unknown as { client: { world: { entities: { fields: Int32Array }[] } } }).client;
          return c.world.entities.length === 2 && c.world.entities.some((e) => e.fields[2] === 1);
        });
      }
    } catch (e) {
      throw new Error(`${(e as Error).message}; pages: ${await describe()}`);
    }
    const first = await seen();
    assert.deepEqual(first.map((s) => s.state), ["playing", "playing"]);
    const ids = first.map((s) => s.id);
    assert.ok(ids[0]! > 0 && ids[1]! > 0 && ids[0] !== ids[1], `two players: ${ids.join(" ")}`);
    const chaserId = first[0]!.players.find((p) => p[3] === 1)![0];
    const chaser = pages[ids.indexOf(chaserId)]!;
    assert.match(first[ids.indexOf(chaserId)]!.status, /you are it$/);

    // The chaser's page is steered with the arrow keys towards the other player until the game reports the tag.
    const held = new Set<string>();
    const hold = async (want: Set<string>) => {
      for (const k of [...held]) if (!want.has(k)) (held.delete(k), await chaser.keyboard.up(k));
      for (const k of want) if (!held.has(k)) (held.add(k), await chaser.keyboard.down(k));
    };
    let tagged = false;
    for (let i = 0; i < 400 && !tagged; i++) { // at most 400 steps of 25 ms: the field crosses in under 6 s
      const s = await look(chaser);
      const me = s.players.find((p) => p[0] === chaserId)!;
      const other = s.players.find((p) => p[0] !== chaserId)!;
      tagged = /: 2 playing, [1-9]\d* tags?/.test(s.status) && other[3] === 1;
      const want = new Set<string>();
      if (other[1] > me[1] + 4) want.add("ArrowRight");
      if (other[1] < me[1] - 4) want.add("ArrowLeft");
      if (other[2] > me[2] + 4) want.add("ArrowDown");
      if (other[2] < me[2] - 4) want.add("ArrowUp");
      await hold(want);
      await new Promise((r) => setTimeout(r, 25));
    }
    await hold(new Set());
    assert.ok(tagged, `the chaser caught the other player; pages: ${await describe()}`);
    // The other page saw the tag too: it is "it" now.
    const other = pages.find((p) => p !== chaser)!;
    await other.waitForFunction(() => /[1-9]\d* tags?, you are it$/.test(document.getElementById("status")!.textContent ?? ""))
      .catch(async (e: Error) => assert.fail(`${e.message}; pages: ${await describe()}`));
    for (const [i, page] of pages.entries()) {
      const st = await page.evaluate(() => (window as unknown as { client: { stats(): Record<string, number> } }).client.stats());
      assert.equal(st["decodeErrors"], 0, `page ${i + 1}: snapshots that did not decode`);
      assert.equal(st["hashMismatches"], 0, `page ${i + 1}: worlds that differ from the server's`);
      assert.ok(st["hashChecks"]! > 0, `page ${i + 1}: no world checked against the server's hash`);
    }
    assert.deepEqual(problems, [], "clean consoles");
  } finally {
    for (const page of pages) await page.close().catch(() => {});
  }
});
