// End-to-end: the card game page (/cards/, game/cards) in Debian's chromium against the real tickwire server built
// from this checkout. Two pages take the two seats of a room and play a hand to its end through the page itself
// (clicking their cards, an eight's suit, or "Draw"). Every frame each page's WebSocket received is recorded by a hook
// installed before the page's scripts, then decoded here, in order, with the SDK's protocol code and snapshot codec:
// no frame to one page may hold a card in the other player's hand, and no event to everyone may name a drawn card.
// A screenshot goes to e2e/out/ (ignored by git).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import type { Browser, Page } from "playwright-core";
import { ServerFrameSchema, type Welcome } from "../src/gen/tickwire_pb";
import { EMPTY_WORLD, SnapCodec, type World } from "../src/sdk/snapcodec";
import { Servers, WEB, buildServer, ensureChromium, launchChromium } from "./harness";

const OUT = join(WEB, "e2e", "out");

let tmp = "";
let servers: Servers | undefined;
let browser: Browser | undefined;
let base = "";

before(async () => {
  ensureChromium();
  tmp = mkdtempSync(join(tmpdir(), "tw-cards-e2e-"));
  mkdirSync(OUT, { recursive: true });
  execFileSync("npm", ["run", "--silent", "build"], { cwd: WEB, stdio: "ignore", timeout: 180_000 });
  servers = new Servers(buildServer(tmp));
  // No turn timer: every move in the hand is a click.
  base = await servers.start(["-cards-seats", "2", "-cards-turn-s", "0"]);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close().catch(() => {});
  await servers?.stopAll();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

// Installed before the page's own scripts: every WebSocket the page opens records each message it receives, in order.
// A string, not a function: the TypeScript loader would wrap a closure in a helper the page does not have.
const FRAME_HOOK = `(() => {
  const Native = window.WebSocket;
  const frames = [];
  let notBinary = 0;
  window.__twFrames = frames;
  window.__twNotBinary = () => notBinary;
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      this.addEventListener("message", (e) => {
        if (e.data instanceof ArrayBuffer) frames.push(Array.from(new Uint8Array(e.data)));
        else notBinary++;
      });
    }
  };
})();`;

interface CardsDebug {
  state: string;
  playerId: number;
  table(): { state: number; turn: number; turnNo: number; hand: number[]; top: number | undefined } | undefined;
  result(): { reason: string; players: { playerId: number; rank: number; score: number }[] } | undefined;
}
declare const tickwireCards: CardsDebug;

async function openPlayer(name: string, problems: string[]): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width: 900, height: 700 } });
  page.setDefaultTimeout(30_000);
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`${name} console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`${name} page error: ${e.message}`));
  await page.addInitScript(FRAME_HOOK);
  await page.goto(`${base}/cards/?name=${name}`, { waitUntil: "load" });
  await page.waitForFunction(() => tickwireCards.state === "playing" && tickwireCards.table() !== undefined);
  return page;
}

const table = (p: Page) => p.evaluate(() => tickwireCards.table());
const result = (p: Page) => p.evaluate(() => tickwireCards.result());

/** Makes one move on the page whose turn it is, through its buttons: the first playable card (an eight names the
 * first suit offered), else Draw. Returns what it did. */
async function move(page: Page): Promise<string> {
  await page.waitForSelector("body[data-turn=mine]");
  const card = page.locator("#hand button.card:not([disabled])").first();
  if ((await card.count()) > 0) {
    const label = (await card.textContent()) ?? "?";
    await card.click();
    const suits = page.locator("#suits:not([hidden]) button").first();
    if ((await suits.count()) > 0) {
      const suit = await suits.textContent();
      await suits.click();
      return `${label} naming ${suit}`;
    }
    return label;
  }
  await page.locator("#draw").click();
  return "draw";
}

/** What one page's frames showed, decoded in the order received. */
interface Decoded {
  playerId: number;
  frames: number;
  snapshots: number;
  hashChecks: number;
  hashMismatches: number;
  baselineMisses: number;
  welcome: Welcome | undefined;
  matchResults: number;
  /** Cards (by entity id) in another player's hand that a frame to this page held, with where they were seen. */
  foreign: string[];
  /** Events sent to everyone that named a drawn card, or drawn cards of someone else. */
  leakedEvents: string[];
  /** This page's hand (entity ids) at each snapshot tick, and every card entity id its world held at each tick. */
  hands: Map<number, Set<number>>;
  cards: Map<number, Set<number>>;
}

function decode(frames: number[][]): Decoded {
  const d: Decoded = {
    playerId: 0, frames: frames.length, snapshots: 0, hashChecks: 0, hashMismatches: 0, baselineMisses: 0,
    welcome: undefined, matchResults: 0, foreign: [], leakedEvents: [], hands: new Map(), cards: new Map(),
  };
  let codec: SnapCodec | undefined;
  let world: World = EMPTY_WORLD;
  let cardKind = -1;
  let whereField = -1;
  let ownerField = -1;
  for (const bytes of frames) {
    const frame = fromBinary(ServerFrameSchema, new Uint8Array(bytes));
    const m = frame.msg;
    switch (m.case) {
      case "welcome": {
        const w = m.value;
        d.welcome = w;
        d.playerId = w.playerId;
        codec = new SnapCodec(w.kinds.map((k) => ({ id: k.id, name: k.name, fields: k.fields, data: k.data })));
        world = EMPTY_WORLD;
        cardKind = codec.kindId("card");
        whereField = codec.fieldIndex(cardKind, "where");
        ownerField = codec.fieldIndex(cardKind, "owner");
        break;
      }
      case "snapshot": {
        const s = m.value;
        assert.ok(codec, "a snapshot before the Welcome");
        const baseWorld = s.baselineTick === 0 ? EMPTY_WORLD : world;
        if (s.baselineTick !== 0 && s.baselineTick !== world.tick) {
          d.baselineMisses++;
          continue;
        }
        world = codec.apply(baseWorld, s.tick, s.entities);
        d.snapshots++;
        if (s.stateHash !== undefined) {
          d.hashChecks++;
          if (codec.hash(world) !== s.stateHash) d.hashMismatches++;
        }
        const hand = new Set<number>();
        const seen = new Set<number>();
        for (const e of world.entities) {
          if (e.kind !== cardKind) continue;
          seen.add(e.id);
          if (e.fields[whereField] !== 1) continue;
          if (e.fields[ownerField] === d.playerId) hand.add(e.id);
          else d.foreign.push(`card ${e.id} of player ${e.fields[ownerField]} at tick ${s.tick}`);
        }
        d.hands.set(s.tick, hand);
        d.cards.set(s.tick, seen);
        break;
      }
      case "event": {
        const ev = m.value;
        if (ev.type === "drawn" && (!ev.targeted || ev.playerId !== d.playerId)) {
          d.leakedEvents.push(`drawn by ${ev.playerId} (targeted ${ev.targeted}) at tick ${ev.tick}`);
        }
        break;
      }
      case "matchResult":
        d.matchResults++;
        break;
      default:
        break;
    }
  }
  return d;
}

test("two pages play a hand of cards to its end; no frame shows either the other's hand", async (t) => {
  const problems: string[] = [];
  const a = await openPlayer("alice", problems);
  const b = await openPlayer("bob", problems);
  const pages = [a, b];
  await Promise.all(pages.map((p) => p.waitForFunction(() => tickwireCards.table()?.state === 1)));
  const ids = await Promise.all(pages.map((p) => p.evaluate(() => tickwireCards.playerId)));
  assert.notEqual(ids[0], ids[1]);

  const moves: string[] = [];
  // A hand of two seats of seven cards ends long before this bound (the game itself ends it at 500 turns).
  for (let i = 0; i < 600; i++) {
    const [ra, rb] = await Promise.all(pages.map(result));
    if (ra && rb) break;
    const t = await table(a);
    assert.ok(t, "page a shows the table");
    if (t.state !== 1) {
      // The hand is over: both pages get the result.
      await Promise.all(pages.map((p) => p.waitForFunction(() => tickwireCards.result() !== undefined)));
      break;
    }
    const k = ids.indexOf(t.turn);
    assert.ok(k >= 0, `turn of ${t.turn}, not one of the pages' players ${ids}`);
    const mover = pages[k]!;
    const turnNo = (await table(mover))!.turnNo;
    moves.push(`P${ids[k]}: ${await move(mover)}`);
    // The move is applied when the turn passes (or the hand ends), as both pages see it.
    await Promise.all(
      pages.map((p) => p.waitForFunction((n) => (tickwireCards.table()?.turnNo ?? 0) > n || tickwireCards.result() !== undefined, turnNo)),
    );
  }
  const results = await Promise.all(pages.map(result));
  assert.ok(results[0] && results[1], `the hand ended on both pages after ${moves.length} moves: ${moves.join(", ")}`);
  assert.deepEqual(results[0], results[1], "both pages got the same result");
  assert.ok(["hand_won", "turn_limit"].includes(results[0]!.reason), `ended as ${results[0]!.reason}`);
  assert.equal(results[0]!.players.length, 2);
  await a.screenshot({ path: join(OUT, "cards.png") });

  const raw = await Promise.all(pages.map((p) => p.evaluate(() => (window as unknown as { __twFrames: number[][] }).__twFrames)));
  const notBinary = await Promise.all(pages.map((p) => p.evaluate(() => (window as unknown as { __twNotBinary: () => number }).__twNotBinary())));
  const dec = raw.map(decode);
  for (const [i, d] of dec.entries()) {
    const name = `page ${i} (P${d.playerId})`;
    assert.equal(notBinary[i], 0, `${name}: non-binary messages`);
    assert.equal(d.playerId, ids[i], `${name}: the Welcome's player id`);
    assert.ok(d.snapshots > 10, `${name}: ${d.snapshots} snapshots decoded of ${d.frames} frames`);
    assert.equal(d.baselineMisses, 0, `${name}: deltas against a baseline it did not hold`);
    assert.ok(d.hashChecks > 0 && d.hashMismatches === 0, `${name}: ${d.hashMismatches} of ${d.hashChecks} hashes differ`);
    assert.equal(d.matchResults, 1, `${name}: match results received`);
    assert.deepEqual(d.foreign, [], `${name}: frames held another player's hidden cards`);
    assert.deepEqual(d.leakedEvents, [], `${name}: events named another player's drawn card`);
    assert.ok([...d.hands.values()].some((h) => h.size > 0), `${name}: never saw its own hand`);
  }
  // Independently of the cards' owner fields: at every tick both pages have a snapshot of, no card in one page's hand
  // is anywhere in the other page's world.
  let compared = 0;
  for (const [i, d] of dec.entries()) {
    const other = dec[1 - i]!;
    for (const [tick, hand] of d.hands) {
      const seen = other.cards.get(tick);
      if (!seen) continue;
      compared++;
      for (const id of hand) assert.ok(!seen.has(id), `card ${id} in P${d.playerId}'s hand was in P${other.playerId}'s world at tick ${tick}`);
    }
  }
  assert.ok(compared > 10, `${compared} ticks compared`);
  t.diagnostic(`${moves.length} moves (${results[0]!.reason}); frames decoded: ${dec.map((d) => `P${d.playerId} ${d.frames} (${d.snapshots} snapshots)`).join(", ")}; ${compared} ticks cross-checked`);
  assert.deepEqual(problems, [], "console errors or warnings");
});
