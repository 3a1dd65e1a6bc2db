// Interpolation timing: a remote entity moving at constant speed, snapshots at 30 Hz and 10 Hz arriving with latency
// and jitter, frames drawn at 60 Hz. The drawn motion must be steady (no stalls, no jumps) and lag by the delay.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Interpolator } from "../src/sdk/interpolation";
import type { World } from "../src/sdk/snapcodec";

const TICK_RATE = 30;
const MS_PER_TICK = 1000 / TICK_RATE;
const FRAME_MS = 1000 / 60;
const SPEED = 107; // sub-units per tick
const rates = new Map<number, number[]>([[1, [2, 3, -1, -1, -1, -1, -1]]]);

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function worldAt(tick: number, x: number, vx: number): World {
  return { tick, entities: [{ id: 7, kind: 1, fields: Int32Array.from([x, 5000, vx, 0, 0, 100, 0]) }] };
}

interface Frame {
  t: number;
  rt: number;
  x: number;
  /** The newest snapshot tick received by then. */
  newest: number;
}

/** Runs `seconds` of a server whose tick n happens at n·MS_PER_TICK, moving entity 7 by xAt(tick). */
function run(snapshotEvery: number, latencyMs: number, jitterMs: number, seconds: number, xAt: (tick: number) => number, seed = 1): { frames: Frame[]; interp: Interpolator } {
  const interp = new Interpolator({ tickRate: TICK_RATE, snapshotRate: TICK_RATE / snapshotEvery, rates });
  const rand = rng(seed);
  const arrivals: { at: number; w: World }[] = [];
  let last = 0;
  for (let tick = snapshotEvery; tick <= seconds * TICK_RATE; tick += snapshotEvery) {
    last = Math.max(last, tick * MS_PER_TICK + latencyMs + rand() * jitterMs);
    arrivals.push({ at: last, w: worldAt(tick, xAt(tick), xAt(tick + 1) - xAt(tick)) });
  }
  const frames: Frame[] = [];
  let k = 0;
  for (let t = 0; t < seconds * 1000; t += FRAME_MS) {
    while (k < arrivals.length && arrivals[k]!.at <= t) interp.push(arrivals[k]!.w, arrivals[k++]!.at);
    const rt = interp.renderTick(t);
    const e = interp.sample(rt)[0];
    if (e) frames.push({ t, rt, x: e.fields[0]!, newest: interp.newest!.tick });
  }
  return { frames, interp };
}

for (const [hz, every] of [[30, 1], [10, 3]] as const) {
  test(`steady motion at ${hz} Hz snapshots with 50 ms latency and 20 ms jitter`, () => {
    for (const seed of [1, 2, 3]) {
      const { frames, interp } = run(every, 50, 20, 6, (tick) => 1000 + tick * SPEED, seed);
      const steady = frames.filter((f) => f.t > 1000);
      assert.ok(steady.length > 250);
      const expect = SPEED * (FRAME_MS / MS_PER_TICK); // per frame
      for (let i = 1; i < steady.length; i++) {
        const a = steady[i - 1]!;
        const b = steady[i]!;
        assert.ok(b.rt > a.rt, "the render clock never stalls or goes back");
        const step = b.x - a.x;
        // The clock slews by at most 5% to follow the estimate: motion stays within ±6% of the true speed.
        assert.ok(Math.abs(step - expect) <= expect * 0.06, `seed ${seed} ${hz} Hz frame ${i}: step ${step.toFixed(1)}, want ~${expect.toFixed(1)}`);
      }
      // Drawn about delay ticks behind the newest snapshot, and never past it (no extrapolation needed).
      for (const f of steady) {
        const serverTick = f.t / MS_PER_TICK;
        const lag = serverTick - f.rt;
        assert.ok(lag >= interp.delay && lag <= interp.delay + (50 + 20) / MS_PER_TICK + 1.5, `lag ${lag.toFixed(2)} ticks`);
        assert.ok(f.rt <= f.newest, `drawn at ${f.rt.toFixed(2)}, past the newest snapshot ${f.newest}`);
      }
    }
  });
}

test("10 Hz: a change of direction is followed without overshoot beyond the snapshots' positions", () => {
  const xAt = (tick: number) => (tick < 60 ? 1000 + tick * SPEED : 1000 + 60 * SPEED - (tick - 60) * SPEED);
  const { frames } = run(3, 50, 10, 4, xAt);
  const peak = Math.max(...frames.map((f) => f.x));
  assert.ok(peak <= xAt(60) + 1, `peak ${peak} vs ${xAt(60)}`);
  for (let i = 1; i < frames.length; i++) {
    assert.ok(Math.abs(frames[i]!.x - frames[i - 1]!.x) <= SPEED * 0.6, "no jump");
  }
});

test("teleports are not interpolated when maxStepPerTick is set", () => {
  const interp = new Interpolator({ tickRate: 30, snapshotRate: 30, rates, maxStepPerTick: 1000 });
  interp.push(worldAt(10, 1000, 0), 0);
  interp.push(worldAt(11, 30000, 0), 33);
  assert.equal(interp.sample(10.5)[0]!.fields[0], 1000);
  assert.equal(interp.sample(11)[0]!.fields[0], 30000);
  const plain = new Interpolator({ tickRate: 30, snapshotRate: 30, rates });
  plain.push(worldAt(10, 1000, 0), 0);
  plain.push(worldAt(11, 30000, 0), 33);
  assert.equal(plain.sample(10.5)[0]!.fields[0], 15500);
});

test("entities appear at their snapshot's tick and are skipped by id", () => {
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
