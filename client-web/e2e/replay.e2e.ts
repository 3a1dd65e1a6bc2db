// End-to-end: a short arena match of bots (tools/bots) recorded by the real tickwire server (-record), then watched in
// Debian's chromium on the replay page (/replay/): pick the recording from the list, play it at 2x to its end, and
// check that frames were drawn with the players moving, that every snapshot decoded and its hash matched, that the
// server checked every tick's world hash against the recording, and that the last tick drawn is the recording's last.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { ROOT, Servers, WEB, buildServer, ensureChromium, launchChromium } from "./harness";
import type { ReplayDebug } from "../src/replay/main";

declare const tickwireReplay: ReplayDebug;

const OUT = join(WEB, "e2e", "out");

let tmp = "";
let servers: Servers | undefined;
let browser: Browser | undefined;
let bots = "";

before(async () => {
  ensureChromium();
  tmp = mkdtempSync(join(tmpdir(), "tw-e2e-replay-"));
  mkdirSync(OUT, { recursive: true });
  execFileSync("npm", ["run", "--silent", "build"], { cwd: WEB, stdio: "ignore", timeout: 180_000 });
  servers = new Servers(buildServer(tmp));
  bots = join(tmp, "bots");
  execFileSync("go", ["build", "-o", bots, "./tools/bots"], { cwd: ROOT, stdio: "inherit", timeout: 180_000 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close().catch(() => {});
  await servers?.stopAll();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

interface Listed {
  id: string;
  mode: string;
  bytes: number;
  error?: string;
}

test("a recorded bots match plays back on the replay page to its last tick", async () => {
  const record = join(tmp, "record");
  // Record: three bots play about three seconds; stopping the server ends the room and flushes its journal.
  const live = await servers!.start(["-record", record, "-drain-timeout", "0s"]);
  execFileSync(bots, ["-url", live.replace("http", "ws"), "-n", "3", "-ramp", "600ms", "-duration", "3s", "-progress", "0"], {
    stdio: "ignore",
    timeout: 60_000,
  });
  await servers!.stopAll();

  // Watch: a server on the same directory serves the recordings and the page.
  const base = await servers!.start(["-record", record]);
  const { recordings } = (await (await fetch(base + "/v1/replays")).json()) as { recordings: Listed[] };
  const arena = recordings.filter((r) => r.mode === "arena" && !r.error).sort((a, b) => b.bytes - a.bytes);
  assert.ok(arena.length > 0, `no arena recording listed: ${JSON.stringify(recordings)}`);
  const id = arena[0]!.id;

  const problems: string[] = [];
  const page = await browser!.newPage({ viewport: { width: 900, height: 640 } });
  page.setDefaultTimeout(20_000);
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  await page.goto(base + "/replay/");
  await page.locator(`#recordings button[data-id="${id}"]`).click();
  await page.waitForFunction(() => !Number.isNaN(tickwireReplay.lastTick) && tickwireReplay.counts().frames > 0);
  await page.selectOption("#speed", "2");
  await page.waitForFunction(() => tickwireReplay.speed === 2);

  // While it plays: where each player was drawn, sampled over time.
  const seen = new Map<number, { x: number; y: number }[]>();
  for (let i = 0; i < 200; i++) {
    const r = await page.evaluate(() => ({ ended: tickwireReplay.ended, rendered: tickwireReplay.rendered() }));
    for (const [pid, pos] of Object.entries(r.rendered.players)) {
      const list = seen.get(Number(pid)) ?? [];
      list.push(pos);
      seen.set(Number(pid), list);
    }
    if (r.ended) break;
    await page.waitForTimeout(50);
  }
  await page.waitForFunction(() => tickwireReplay.ended && tickwireReplay.rendered().tick >= tickwireReplay.lastTick - 1, undefined, { timeout: 30_000 });
  const end = await page.evaluate(() => ({
    first: tickwireReplay.firstTick,
    last: tickwireReplay.lastTick,
    tick: tickwireReplay.tick,
    checked: tickwireReplay.checked,
    divergence: tickwireReplay.divergence,
    error: tickwireReplay.error,
    counts: tickwireReplay.counts(),
    drawnTick: tickwireReplay.rendered().tick,
  }));
  await page.screenshot({ path: join(OUT, "replay.png") });
  const moved = [...seen.values()].filter((ps) => ps.some((p) => Math.hypot(p.x - ps[0]!.x, p.y - ps[0]!.y) > 20));
  const summary = JSON.stringify({ ...end, players: seen.size, moved: moved.length, problems });
  assert.equal(end.divergence, undefined, summary);
  assert.equal(end.error, undefined, summary);
  assert.ok(end.last > 60, `a recording of about 3 s holds more than 60 ticks: ${summary}`);
  assert.equal(end.tick, end.last, `the last snapshot is the recording's last tick: ${summary}`);
  assert.equal(end.checked, end.last - end.first, `the server checked every tick's hash: ${summary}`);
  assert.equal(end.counts.snapshots, end.last - end.first, `a snapshot per tick: ${summary}`);
  assert.equal(end.counts.decodeErrors, 0, summary);
  assert.equal(end.counts.hashMismatches, 0, summary);
  assert.ok(end.counts.hashChecks > 0, summary);
  assert.ok(end.counts.frames > 30, `frames drawn: ${summary}`);
  assert.ok(seen.size >= 3 && moved.length >= 3, `the three bots were drawn moving: ${summary}`);
  assert.deepEqual(problems, []);

  // Seek back to the middle: the page redraws from there and plays to the end again.
  const mid = Math.floor((end.first + end.last) / 2);
  await page.evaluate((t) => {
    const bar = document.getElementById("seek") as HTMLInputElement;
    bar.value = String(t);
    bar.dispatchEvent(new Event("change"));
  }, mid);
  await page.waitForFunction((t) => !tickwireReplay.ended && tickwireReplay.tick >= t, mid);
  await page.locator("#play").waitFor();
  await page.waitForFunction(() => tickwireReplay.ended && tickwireReplay.tick === tickwireReplay.lastTick, undefined, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => tickwireReplay.counts().hashMismatches), 0);
  await page.close();
});
