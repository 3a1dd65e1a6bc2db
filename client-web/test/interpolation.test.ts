// Interpolation timing: a remote entity moving at constant speed, snapshots at 30 Hz and 10 Hz arriving with
// synthetic arrival patterns (regular, jittered, a latency step, bursts), frames drawn at 60 Hz. The drawn motion must
// be steady (no stalls, no jumps), the buffer must never run dry in steady state, and the delay must stay small.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Interpolator } from "../src/sdk/interpolation";
import type { World } from "../src/sdk/snapcodec";
import { rng } from "./fakes";

const TICK_RATE = 30;
const MS_PER_TICK = 1000 / TICK_RATE;
const FRAME_MS = 1000 / 60;
const SPEED = 107; // sub-units per tick
const EXPECT = SPEED * (FRAME_MS / MS_PER_TICK); // per frame
const rates = new Map<number, number[]>([[1, [2, 3, -1, -1, -1, -1, -1]]]);


function worldAt(tick: number, x: number, vx: number): World {
  return { tick, entities: [{ id: 7, kind: 1, fields: Int32Array.from([x, 5000, vx, 0, 0, 100, 0]) }] };
}

interface Frame {
  t: number;
  rt: number;
  x: number;
  /** The newest snapshot tick received by then. */
  newest: number;
  held: number;
  extrapolated: number;
}

interface Run {
  frames: Frame[];
  interp: Interpolator;
}

/**
 * Runs `seconds` of a server whose tick n happens at n·MS_PER_TICK, moving entity 7 to xAt(tick), with a snapshot
 * every `every` ticks delivered at arrive(tick, rand) (kept in order, as over one TCP stream).
 */
function run(every: number, seconds: number, arrive: (tick: number, rand: () => number) => number, xAt = (tick: number) => 1000 + tick * SPEED, seed = 1, drawn = (_t: number) => true, sent = (_tick: number) => true): Run {
  const interp = new Interpolator({ tickRate: TICK_RATE, snapshotRate: TICK_RATE / every, rates });
  const rand = rng(seed);
  const arrivals: { at: number; w: World }[] = [];
  let last = 0;
  for (let tick = every; tick <= seconds * TICK_RATE; tick += every) {
    if (!sent(tick)) continue;
    last = Math.max(last, arrive(tick, rand));
    arrivals.push({ at: last, w: worldAt(tick, xAt(tick), xAt(tick + 1) - xAt(tick)) });
  }
  const frames: Frame[] = [];
  let k = 0;
  let prevT = 0;
  for (let t = 0; t < seconds * 1000; t += FRAME_MS) {
    if (!drawn(t)) continue;
    // After a stall, the page sees what arrived meanwhile only now.
    const stalled = t - prevT > 1.5 * FRAME_MS;
    prevT = t;
    while (k < arrivals.length && arrivals[k]!.at <= t) {
      const a = arrivals[k++]!;
      interp.push(a.w, stalled ? t : a.at);
    }
    const rt = interp.renderTick(t);
    const e = interp.sample(rt)[0];
    const s = interp.stats();
    if (e) frames.push({ t, rt, x: e.fields[0]!, newest: interp.newest!.tick, held: s.heldFrames, extrapolated: s.extrapolatedFrames });
  }
  return { frames, interp };
}

const at = (latencyMs: number) => (tick: number) => tick * MS_PER_TICK + latencyMs;
const jittered = (latencyMs: number, jitterMs: number) => (tick: number, rand: () => number) => tick * MS_PER_TICK + latencyMs + (rand() * 2 - 1) * jitterMs;

/** Frames from `fromMs` on: held and extrapolated counts over them, and the largest deviation of a step from EXPECT. */
function window(r: Run, fromMs: number, toMs = Infinity) {
  const fs = r.frames.filter((f) => f.t >= fromMs && f.t < toMs);
  assert.ok(fs.length > 20, `${fs.length} frames`);
  let worst = 0;
  let fastest = 0;
  for (let i = 1; i < fs.length; i++) {
    const step = fs[i]!.x - fs[i - 1]!.x;
    assert.ok(fs[i]!.rt > fs[i - 1]!.rt, `frame at ${fs[i]!.t.toFixed(0)} ms: the render clock stalls or goes back`);
    worst = Math.max(worst, Math.abs(step - EXPECT) / EXPECT);
    fastest = Math.max(fastest, step / EXPECT);
  }
  const first = fs[0]!;
  const lastF = fs[fs.length - 1]!;
  return { frames: fs.length, held: lastF.held - first.held, extrapolated: lastF.extrapolated - first.extrapolated, worst, fastest, fs };
}

for (const [hz, every] of [[30, 1], [10, 3]] as const) {
  test(`${hz} Hz, regular arrivals: steady motion, never past the newest snapshot, delay near its floor`, () => {
    const r = run(every, 6, at(40));
    const w = window(r, 1000);
    assert.equal(w.held, 0);
    assert.equal(w.extrapolated, 0);
    assert.ok(w.worst <= 0.06, `a step off the steady speed by ${(w.worst * 100).toFixed(1)}%`);
    // Drawn within a few ms of interval + 2 ms behind the newest snapshot's arrival.
    const s = r.interp.stats();
    assert.ok(s.delayMs <= every * MS_PER_TICK + 3, `delay ${s.delayMs.toFixed(1)} ms`);
    for (const f of w.fs.slice(30)) {
      const lagMs = (f.t - 40) - f.rt * MS_PER_TICK;
      assert.ok(lagMs >= every * MS_PER_TICK && lagMs <= every * MS_PER_TICK + 6, `lag ${lagMs.toFixed(1)} ms`);
    }
  });

  test(`${hz} Hz, ±15 ms jitter: 0 held, at most 1% extrapolated, steady motion`, () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = run(every, 10, jittered(50, 15), undefined, seed);
      const w = window(r, 2000);
      assert.equal(w.held, 0, `seed ${seed}`);
      assert.ok(w.extrapolated <= w.frames / 100, `seed ${seed}: ${w.extrapolated} of ${w.frames} frames extrapolated`);
      assert.ok(w.worst <= 0.06, `seed ${seed}: a step off the steady speed by ${(w.worst * 100).toFixed(1)}%`);
      // The delay covers the jitter (±15 ms) but no more than three times over.
      const s = r.interp.stats();
      assert.ok(s.delayMs >= every * MS_PER_TICK + 15 && s.delayMs <= every * MS_PER_TICK + 45, `seed ${seed}: delay ${s.delayMs.toFixed(1)} ms, jitter ${s.jitterMs.toFixed(1)} ms`);
    }
  });

  test(`${hz} Hz, latency steps up by 100 ms: followed within a second, no jump, no stall`, () => {
    for (const seed of [1, 2, 3]) {
      const step = (tick: number, rand: () => number) => jittered(tick * MS_PER_TICK < 4000 ? 50 : 150, 5)(tick, rand);
      const r = run(every, 9, step, undefined, seed);
      // Around the step: never faster than steady, never stopped (slowed by at most the dry slew).
      const around = window(r, 2000);
      assert.ok(around.fastest <= 1.06, `seed ${seed}: a step ${(around.fastest * 100).toFixed(0)}% of the steady speed`);
      const slowest = Math.min(...around.fs.slice(1).map((f, i) => (f.x - around.fs[i]!.x) / EXPECT));
      assert.ok(slowest >= 0.65, `seed ${seed}: a step only ${(slowest * 100).toFixed(0)}% of the steady speed`);
      assert.equal(around.held, 0, `seed ${seed}`);
      // The first snapshots after the step arrive 100 ms late: some frames are extrapolated, within about a second.
      const after = window(r, 4000 + 100 + 1000);
      assert.equal(after.extrapolated, 0, `seed ${seed}: still extrapolating a second after the step`);
      assert.ok(around.extrapolated <= 60, `seed ${seed}: ${around.extrapolated} frames extrapolated`);
      assert.ok(after.worst <= 0.06, `seed ${seed}: a step off the steady speed by ${(after.worst * 100).toFixed(1)}%`);
    }
  });

  test(`${hz} Hz, bursts (a 150 ms stall, then everything at once, every 2 s): 0 held, no jump`, () => {
    const burst = (tick: number) => {
      const t = tick * MS_PER_TICK + 40;
      const phase = t % 2000;
      return phase >= 1000 && phase < 1150 ? t - phase + 1150 : t;
    };
    const r = run(every, 10, burst);
    // The first stall teaches the jitter; from then on the buffer covers the stalls.
    const w = window(r, 3200);
    assert.equal(w.held, 0);
    assert.ok(w.extrapolated <= 0.01 * w.frames, `${w.extrapolated} of ${w.frames} frames extrapolated`);
    assert.ok(w.fastest <= 1.06, `a step ${(w.fastest * 100).toFixed(0)}% of the steady speed`);
    assert.ok(r.interp.stats().delayMs <= every * MS_PER_TICK + 250, `delay ${r.interp.stats().delayMs}`);
  });
}

test("ordered per-chunk jitter (a proxy adding 50 ± 15 ms each way, order kept): 0 held, steady", () => {
  for (const [every, seed] of [[1, 1], [1, 2], [3, 1], [3, 2]] as const) {
    const r = run(every, 10, jittered(50, 15), undefined, seed);
    const w = window(r, 2000);
    assert.equal(w.held, 0);
    assert.ok(w.worst <= 0.06, `every ${every} seed ${seed}: ${(w.worst * 100).toFixed(1)}%`);
  }
});

test("a stalled page (no frame, no arrival for 700 ms, then a burst): drawn motion resumes at steady speed", () => {
  for (const every of [1, 3]) {
    const stalled = (t: number) => t < 3000 || t >= 3700;
    const r = run(every, 8, jittered(50, 5), undefined, 1, stalled);
    const w = window(r, 2000);
    assert.equal(w.held, 0, `every ${every}`);
    assert.equal(w.extrapolated, 0, `every ${every}`);
    for (let i = 1; i < w.fs.length; i++) {
      const a = w.fs[i - 1]!;
      const b = w.fs[i]!;
      const want = (SPEED * (b.t - a.t)) / MS_PER_TICK;
      assert.ok(Math.abs(b.x - a.x - want) <= want * 0.06, `every ${every}, frame at ${b.t.toFixed(0)} ms: moved ${(b.x - a.x).toFixed(0)}, want ${want.toFixed(0)}`);
    }
  }
});

test("snapshots the server skips (every 8th at 30 Hz): the delay covers the gap", () => {
  const r = run(1, 8, jittered(40, 3), undefined, 1, undefined, (tick) => tick % 8 !== 0);
  const w = window(r, 2000);
  assert.equal(w.held, 0);
  assert.equal(w.extrapolated, 0);
  assert.ok(w.worst <= 0.06, `a step off the steady speed by ${(w.worst * 100).toFixed(1)}%`);
});

test("late snapshot after extrapolation: blends back to the path instead of jumping", () => {
  // The entity stops at tick 60; snapshots from tick 60 on are held back by 200 ms (a stall), so the drawn entity is
  // extrapolated past where it stopped and must come back without a jump.
  const xAt = (tick: number) => 1000 + Math.min(tick, 60) * SPEED;
  const r = run(1, 5, (tick) => tick * MS_PER_TICK + 40 + (tick >= 60 && tick < 66 ? 200 - (tick - 60) * MS_PER_TICK : 0), xAt);
  const fs = r.frames;
  const overshoot = Math.max(...fs.map((f) => f.x)) - xAt(60);
  assert.ok(overshoot > 0, "extrapolated past the stop");
  for (let i = 1; i < fs.length; i++) {
    const step = Math.abs(fs[i]!.x - fs[i - 1]!.x);
    assert.ok(step <= EXPECT * 1.06, `frame ${i} at ${fs[i]!.t.toFixed(0)} ms moved ${step.toFixed(1)}, want at most ${EXPECT.toFixed(1)}`);
  }
  assert.ok(Math.abs(fs[fs.length - 1]!.x - xAt(60)) < 0.5, `settles where it stopped: ${fs[fs.length - 1]!.x}`);
});

test("10 Hz: a change of direction is followed without overshoot beyond the snapshots' positions", () => {
  const xAt = (tick: number) => (tick < 60 ? 1000 + tick * SPEED : 1000 + 60 * SPEED - (tick - 60) * SPEED);
  const { frames } = run(3, 4, jittered(50, 5), xAt);
  const peak = Math.max(...frames.map((f) => f.x));
  assert.ok(peak <= xAt(60) + 1, `peak ${peak} vs ${xAt(60)}`);
  for (let i = 1; i < frames.length; i++) {
    assert.ok(Math.abs(frames[i]!.x - frames[i - 1]!.x) <= EXPECT * 1.06, "no jump");
  }
});

test("teleports: a change above threshold × ticks is drawn as a jump, per field", () => {
  const teleports = new Map<number, number[]>([[1, [1000, 0, 0, 0, 0, 0, 0]]]);
  const interp = new Interpolator({ tickRate: 30, snapshotRate: 30, rates, teleports });
  interp.push(worldAt(10, 1000, 0), 0);
  interp.push(worldAt(11, 30000, 0), 33);
  assert.equal(interp.sample(10.5)[0]!.fields[0], 1000);
  assert.equal(interp.sample(11)[0]!.fields[0], 30000);
  // Below the threshold over the span (3 ticks × 1000): interpolated.
  const slow = new Interpolator({ tickRate: 30, snapshotRate: 10, rates, teleports });
  slow.push(worldAt(3, 1000, 0), 0);
  slow.push(worldAt(6, 3900, 0), 100);
  assert.equal(slow.sample(4.5)[0]!.fields[0], 2450);
  const plain = new Interpolator({ tickRate: 30, snapshotRate: 30, rates });
  plain.push(worldAt(10, 1000, 0), 0);
  plain.push(worldAt(11, 30000, 0), 33);
  assert.equal(plain.sample(10.5)[0]!.fields[0], 15500);
});

test("wrapped fields take the shorter way round and stay in [0, wrap)", () => {
  // Field 4 is an angle on a circle of 65536 with its rate in field 6.
  const r = new Map<number, number[]>([[1, [2, 3, -1, -1, 6, -1, -1]]]);
  const wraps = new Map<number, number[]>([[1, [0, 0, 0, 0, 65536, 0, 0]]]);
  const interp = new Interpolator({ tickRate: 30, snapshotRate: 30, rates: r, wraps });
  const w = (tick: number, aim: number, rate: number): World => ({ tick, entities: [{ id: 7, kind: 1, fields: Int32Array.from([0, 0, 0, 0, aim, 100, rate]) }] });
  interp.push(w(10, 65000, 1000), 0);
  interp.push(w(11, 464, 1000), 33);
  assert.equal(interp.sample(10.5)[0]!.fields[4], 65500);
  assert.equal(interp.sample(10.75)[0]!.fields[4], 214);
  // Extrapolated along the rate, normalised.
  assert.equal(interp.sample(12)[0]!.fields[4], 1464);
  // Backwards across zero.
  const back = new Interpolator({ tickRate: 30, snapshotRate: 30, rates: r, wraps });
  back.push(w(10, 100, 0), 0);
  back.push(w(11, 65336, 0), 33);
  assert.equal(back.sample(10.5)[0]!.fields[4], 65536 - 50);
});

test("entities appear at their snapshot's tick and are skipped by id; extrapolation is bounded", () => {
  const interp = new Interpolator({ tickRate: 30, snapshotRate: 30, rates });
  interp.push(worldAt(10, 1000, 107), 0);
  interp.push({ tick: 11, entities: [...worldAt(11, 1107, 107).entities, { id: 9, kind: 1, fields: new Int32Array(7) }] }, 33);
  assert.deepEqual(interp.sample(10.5).map((e) => e.id), [7]);
  assert.deepEqual(interp.sample(11).map((e) => e.id), [7, 9]);
  assert.deepEqual(interp.sample(11, 7).map((e) => e.id), [9]);
  // Past the newest snapshot: extrapolated along the rate for at most 100 ms (3 ticks at 30 Hz).
  assert.equal(interp.sample(11.5)[0]!.fields[0], 1107 + 53.5);
  assert.equal(interp.sample(20)[0]!.fields[0], 1107 + 3 * 107);
});

test("reset forgets the buffer and the clock; counters count held and extrapolated frames", () => {
  const interp = new Interpolator({ tickRate: 30, snapshotRate: 30, rates });
  interp.push(worldAt(10, 1000, 107), 1000);
  interp.push(worldAt(11, 1107, 107), 1033);
  const rt = interp.renderTick(1040);
  assert.ok(rt < 11 && rt > 9, `rt ${rt}`);
  assert.equal(interp.renderTick(1040), rt, "a second call in the same frame returns the same tick");
  assert.equal(interp.renderTick(1030), rt, "an earlier time never draws an earlier moment");
  // No snapshot for a second: extrapolated for 100 ms, then held.
  for (let t = 1040 + FRAME_MS; t < 2040; t += FRAME_MS) interp.renderTick(t);
  const s = interp.stats();
  assert.ok(s.extrapolatedFrames >= 3 && s.extrapolatedFrames <= 12, `extrapolated ${s.extrapolatedFrames}`);
  assert.ok(s.heldFrames >= 40, `held ${s.heldFrames}`);
  assert.equal(s.bufferDepth, 0);
  interp.reset();
  assert.ok(Number.isNaN(interp.renderTick(2100)));
  assert.deepEqual(interp.sample(10.5), []);
  interp.push(worldAt(500, 1000, 0), 2100);
  assert.ok(Math.abs(interp.renderTick(2110) - 500) < 3, "a new clock after the reset");
});
