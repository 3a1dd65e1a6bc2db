// The input clock against a fake room on a fake clock: convergence of the input lead, bounded dilation, re-sync when
// far off, a stalled page, and the exactly-once resend after a resume.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { create } from "@bufbuild/protobuf";
import { WelcomeSchema } from "../src/gen/tickwire_pb";
import { TickwireClient } from "../src/sdk/client";
import { InputClock } from "../src/sdk/clock";
import { SnapCodec } from "../src/sdk/snapcodec";
import { arenaPrediction } from "../src/arena/arena";
import type { Scheduler } from "../src/sdk/transport";
import { FakeRoom, FakeScheduler, FakeSocket, LateTimers, rng } from "./fakes";

const params = (JSON.parse(readFileSync(new URL("../../game/arena/testdata/move_golden.json", import.meta.url), "utf8")) as {
  params: Record<string, number>;
}).params;
const KINDS = [
  {
    id: 1,
    name: "player",
    fields: ["x", "y", "vx", "vy", "aim", "hp", "score", "aim_rate"].map((name, i) => ({ name, rateField: i < 2 ? i + 3 : i === 4 ? 8 : 0 })),
  },
];
const codec = new SnapCodec(KINDS);
const model = arenaPrediction(params);
const TICK_MS = 1000 / 30;

interface Setup {
  sched: FakeScheduler;
  room: FakeRoom;
  client: TickwireClient;
  sockets: FakeSocket[];
}

/** A client and a room with one-way delays of 50 ms ± jitter/2 each way (RTT 100 ms ± jitter). */
function setup(
  seed: number,
  jitterMs: number,
  o: { startTick?: number; welcomeTick?: (t: number) => number; snapshotEvery?: number; clientTimers?: (s: FakeScheduler) => Scheduler } = {},
): Setup {
  const sched = new FakeScheduler();
  sched.t = 0;
  const rand = rng(seed);
  const oneWay = () => 50 + (rand() - 0.5) * jitterMs;
  const room = new FakeRoom({
    sched,
    upMs: oneWay,
    downMs: oneWay,
    startTick: o.startTick ?? 1000,
    snapshotEvery: o.snapshotEvery,
    encode: (b, w) => codec.encode(b, w),
    player: Int32Array.from([16000, 16000, 0, 0, 0, 100, 0, 0]),
    apply: (f, v) => model.applyInput(f, v),
    welcome: (resumed, tick, lastInputSeq) =>
      create(WelcomeSchema, {
        protocolVersion: 2, playerId: 1, roomId: "r1", roomEpoch: 1n, tickRate: 30, snapshotRate: 30 / (o.snapshotEvery ?? 1),
        resumeToken: new Uint8Array([resumed ? 2 : 1]), graceMs: 10000, tick: o.welcomeTick ? o.welcomeTick(tick) : tick,
        resumed, lastInputSeq, mode: "arena", kinds: KINDS, params, heartbeatMs: 5000, inputWindow: 30,
        input: [{ name: "dx", min: -1, max: 1 }, { name: "dy", min: -1, max: 1 }, { name: "aim", min: 0, max: 65535 }, { name: "fire", min: 0, max: 1 }],
      }),
  });
  const sockets: FakeSocket[] = [];
  const client = new TickwireClient({
    url: "ws://test/ws",
    join: { mode: "arena" },
    prediction: (w) => arenaPrediction(w.params),
    scheduler: o.clientTimers ? o.clientTimers(sched) : sched,
    socket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      sched.setTimeout(() => room.attach(s), 2 * oneWay()); // the TCP and WebSocket handshakes
      return s;
    },
  });
  return { sched, room, client, sockets };
}

/** Drives the held input like a player: a new direction every 400 ms. */
function play(s: Setup, ms: number, eachTick?: () => void): void {
  const dirs = [[1, 0], [1, 1], [0, 1], [-1, 1], [-1, -1], [0, 0]];
  for (let t = 0; t < ms; t += TICK_MS / 2) {
    const d = dirs[Math.floor(s.sched.now() / 400) % dirs.length]!;
    s.client.setInput([d[0]!, d[1]!, 0, 0]);
    s.sched.advance(TICK_MS / 2);
    s.client.view();
    eachTick?.();
  }
}

test("time sync: at RTT 100 ms ± 15 the input lead converges to the target within a few seconds, dilation within 5%", () => {
  for (const seed of [1, 2, 3]) {
    const s = setup(seed, 15);
    s.client.connect();
    let maxDilation = 0;
    play(s, 12000, () => (maxDilation = Math.max(maxDilation, Math.abs(s.client.stats().clockDilation))));
    const st = s.client.stats();
    assert.ok(maxDilation <= 0.05, `seed ${seed}: dilation ${maxDilation}`);
    // After 4 s: the least lead of each 100 ms (what the room reports) sits at the target, and no input is late.
    const after = s.room.inputs.filter((i) => i.arrivedMs > 4000);
    const late = after.filter((i) => i.verdict === "late").length;
    const reports = s.room.reports.slice(-60);
    const mean = reports.reduce((a, b) => a + b, 0) / reports.length;
    const leads = after.filter((i) => i.verdict === "applied").map((i) => i.leadMs);
    const meanLead = leads.reduce((a, b) => a + b, 0) / leads.length;
    console.log(
      `seed ${seed}: target ${st.targetLeadMs.toFixed(1)} ms, reported lead mean ${mean.toFixed(1)} ms (last 6 s), ` +
        `mean input lead ${meanLead.toFixed(1)} ms, late after 4 s ${late} (in all ${st.lateInputs}), corrections ${st.corrections}, ` +
        `resyncs ${st.clockResyncs}, max dilation ${maxDilation.toFixed(3)}`,
    );
    assert.ok(Math.abs(mean - st.targetLeadMs) < 3, `seed ${seed}: reported lead ${mean} vs target ${st.targetLeadMs}`);
    assert.ok(st.targetLeadMs >= 3 && st.targetLeadMs < 20, `seed ${seed}: target ${st.targetLeadMs}`);
    assert.ok(late <= 2, `seed ${seed}: ${late} late inputs after convergence`);
    // The clock starts early rather than late: no input is late, and the prediction by tick agrees with the room.
    assert.equal(st.lateInputs, 0, `seed ${seed}: late inputs`);
    assert.equal(st.corrections, 0, `seed ${seed}: corrections`);
    assert.equal(st.lateInputs, s.room.inputs.filter((i) => i.verdict === "late").length, "late inputs counted as the room did");
  }
});

test("a jittery send timer (inputs sent in pairs, up to 20 ms late) still draws the local player at a steady speed", () => {
  for (const seed of [21, 22, 23]) {
    // The client's timers fire only every other tick's due time, then up to 20 ms late; 10 snapshots per second, so
    // that few sends ride on a received frame.
    const rand = rng(seed + 100);
    const s = setup(seed, 10, {
      snapshotEvery: 3,
      clientTimers: (inner) => new LateTimers(inner, (at) => Math.ceil(at / (2 * TICK_MS)) * 2 * TICK_MS + rand() * 20),
    });
    const sendTimes: number[] = [];
    s.client.on("input", (i) => sendTimes.push(i.atMs));
    s.client.connect();
    s.client.setInput([0, 1, 0, 0]);
    const frames: { t: number; y: number }[] = [];
    const frameMs = 1000 / 60;
    let before = { corrections: 0, clockResyncs: 0 };
    for (let t = 0; t < 4000; t += frameMs) {
      s.sched.advance(frameMs);
      const l = s.client.view().local;
      if (s.sched.now() <= 1500) before = s.client.stats();
      else if (l) frames.push({ t: s.sched.now(), y: l.fields[1]! });
    }
    const st = s.client.stats();
    // Once under way nothing else moves the drawing: the inputs the room got late were filled with the same input.
    // (At the start the first pair can be late for the room, which then fills with the neutral input: a correction.)
    assert.equal(st.corrections, before.corrections, `seed ${seed}: corrections while sampling`);
    assert.equal(st.clockResyncs, before.clockResyncs, `seed ${seed}: re-syncs while sampling`);
    // The sends did come in pairs: most inputs share their send time with another.
    const paired = sendTimes.filter((t, i) => sendTimes[i - 1] === t || sendTimes[i + 1] === t).length;
    assert.ok(paired >= 0.6 * sendTimes.length, `seed ${seed}: ${paired} of ${sendTimes.length} inputs sent in pairs`);
    // Every frame moves the speed (107 per tick) times the ticks the input clock advanced, at most 5% off real time.
    assert.ok(frames.length > 100, `${frames.length} frames`);
    let worst = 0;
    for (let i = 1; i < frames.length; i++) {
      const a = frames[i - 1]!;
      const b = frames[i]!;
      const want = (107 * (b.t - a.t)) / TICK_MS;
      worst = Math.max(worst, Math.abs((b.y - a.y) / want - 1));
    }
    assert.ok(worst <= 0.05 + 1e-9, `seed ${seed}: a frame moved ${(worst * 100).toFixed(1)}% off the steady speed`);
  }
});

test("time sync: a Welcome tick 20 ticks behind the room is re-synced by jumping forward, never backwards", () => {
  const s = setup(4, 15, { welcomeTick: (t) => t - 20 });
  s.client.connect();
  const ticks: number[] = [];
  play(s, 6000);
  for (const f of s.sockets[0]!.frames("input")) ticks.push(f.tick);
  for (let i = 1; i < ticks.length; i++) assert.ok(ticks[i]! > ticks[i - 1]!, "ticks strictly increase");
  const st = s.client.stats();
  assert.ok(st.clockResyncs >= 2, `${st.clockResyncs} jumps`);
  const late = s.room.inputs.filter((i) => i.arrivedMs > 3000 && i.verdict === "late").length;
  assert.ok(late <= 2, `${late} late after 3 s`);
  assert.ok(Math.abs(st.inputLeadSmoothedMs - st.targetLeadMs) < 5, `lead ${st.inputLeadSmoothedMs} target ${st.targetLeadMs}`);
});

test("InputClock: dilation is bounded and the clock never runs backwards", () => {
  const c = new InputClock({ tickRate: 30 });
  c.start(0, 100, 50);
  let prev = c.tick(0);
  for (let t = 100; t < 5000; t += 100) {
    c.onLeadReport(t, t < 2500 ? 200 : -100, 100); // far ahead, then far behind
    assert.ok(Math.abs(c.dilation) <= 0.05);
    const k = c.tick(t);
    assert.ok(k >= prev, `tick ${k} after ${prev}`);
    prev = k;
  }
  assert.ok(c.resyncs >= 2, "far behind: jumped forward");
});

test("InputClock: the target is the safety margin plus 2.5 deviations of the reports, bounded", () => {
  // No dilation: the clock does not move, so the reports need not answer to it.
  const c = new InputClock({ tickRate: 30, maxDilation: 0 });
  c.start(0, 100, 50);
  const rand = rng(9);
  for (let t = 300; t < 6000; t += 100) c.onLeadReport(t, 10 + (rand() - 0.5) * 20, 100); // uniform ±10: σ ≈ 5.8
  assert.ok(Math.abs(c.targetLeadMs - (3 + 2.5 * c.deviation())) < 1e-9);
  assert.ok(c.deviation() > 4 && c.deviation() < 8, `deviation ${c.deviation()}`);
  for (let t = 6000; t < 9000; t += 100) c.onLeadReport(t, (rand() - 0.5) * 4000, 100); // absurd spread
  assert.equal(c.targetLeadMs, 250);
});

test("a stalled page sends at most two inputs when it wakes and skips the ticks it missed", () => {
  const s = setup(5, 10);
  s.client.connect();
  play(s, 2000);
  const sock = s.sockets[0]!;
  const before = sock.frames("input").length;
  s.sched.stall(1000); // a background tab: no timer runs for a second
  s.sched.advance(1);
  const burst = sock.frames("input").length - before;
  assert.ok(burst >= 1 && burst <= 2, `${burst} inputs at wake-up`);
  play(s, 1000);
  const ticks = sock.frames("input").map((i) => i.tick);
  for (let i = 1; i < ticks.length; i++) assert.ok(ticks[i]! > ticks[i - 1]!);
  const st = s.client.stats();
  // The second's 30 ticks less the two sent; the fake room's timers stalled too, so its late reports may add a jump.
  assert.ok(st.skippedTicks >= 28, `${st.skippedTicks} ticks skipped`);
  assert.ok(s.room.missed >= st.skippedTicks, "the room filled them");
  assert.ok(st.corrections <= st.lateInputs, `${st.corrections} corrections, ${st.lateInputs} late: the fills were predicted`);
  const late = s.room.inputs.filter((i) => i.arrivedMs > s.sched.now() - 500 && i.verdict === "late").length;
  assert.equal(late, 0, "back in time after the stall");
});

test("resume: unacknowledged inputs are resent with the same seq to fresh ticks; each is applied once or reported late", () => {
  for (const seed of [6, 7, 8]) {
    const s = setup(seed, 15);
    s.client.connect();
    play(s, 1500);
    const sentBefore = s.sockets[0]!.frames("input");
    s.room.kill(); // inputs in flight and buffered in the room are lost
    play(s, 1500);
    s.room.kill();
    play(s, 200);
    s.room.kill();
    play(s, 2000);
    assert.equal(s.client.state.kind, "playing");
    assert.equal(s.client.stats().resumes, 3);
    assert.ok(s.sockets.length === 4);
    // Every seq up to the room's last applied one: applied exactly once, or dropped late (never lost silently).
    const all = s.sockets.flatMap((k) => k.frames("input"));
    const maxSeq = Math.max(...all.map((i) => i.seq));
    const lastApplied = Math.max(...s.room.applied.keys());
    assert.ok(lastApplied > maxSeq - 10, "the room keeps up");
    for (let q = 1; q <= lastApplied; q++) {
      const n = s.room.applied.get(q) ?? 0;
      const late = s.room.inputs.some((i) => i.seq === q && i.verdict === "late");
      assert.ok(n === 1 || (n === 0 && late), `seed ${seed}: seq ${q} applied ${n} times, late ${late}`);
    }
    for (const [q, n] of s.room.applied) assert.equal(n, 1, `seq ${q}`);
    // The prediction followed the room through the resumes (neutral fills until the resent inputs' ticks).
    const st = s.client.stats();
    assert.ok(st.corrections <= st.lateInputs, `seed ${seed}: ${st.corrections} corrections, ${st.lateInputs} late`);
    // The resends kept their seq and got new, later ticks; every connection's ticks strictly increase.
    const resent = s.sockets[1]!.frames("input");
    const firstNew = resent.findIndex((i) => i.seq > sentBefore[sentBefore.length - 1]!.seq);
    assert.ok(firstNew > 0, "something was resent");
    for (const r of resent.slice(0, firstNew)) {
      const orig = sentBefore.find((i) => i.seq === r.seq)!;
      assert.ok(r.tick > orig.tick, `seq ${r.seq}: tick ${orig.tick} -> ${r.tick}`);
      assert.deepEqual(r.values, orig.values);
    }
    const ticks = all.map((i) => i.tick);
    for (let i = 1; i < ticks.length; i++) assert.ok(ticks[i]! > ticks[i - 1]!, "ticks strictly increase across connections");
  }
});
