// Prediction and reconciliation over a simulated network: a server applying inputs at most two per tick, snapshots
// and inputs delayed by half the RTT each way with jitter, frames drawn at 60 Hz.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Predictor } from "../src/sdk/prediction";
import { arenaPrediction, arenaParams, move } from "../src/arena/arena";
import type { Entity } from "../src/sdk/snapcodec";

const params = (JSON.parse(readFileSync(new URL("../../game/arena/testdata/move_golden.json", import.meta.url), "utf8")) as {
  params: Record<string, number>;
}).params;
const P = arenaParams(params);
const TICK_MS = 1000 / 30;
const FRAME_MS = 1000 / 60;

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SimOptions {
  rttMs: number;
  jitterMs: number;
  durationMs: number;
  seed: number;
  /** The server's own rule for one input; by default the arena's Move (the client's rule). */
  serverMove?: (f: Int32Array, input: readonly number[]) => void;
  /** Called at each server tick; may change the player's state (a teleport). */
  serverTick?: (t: number, f: Int32Array) => void;
  /** No input is sent after this time (default: 600 ms before the end, so that every input is acknowledged). */
  inputUntil?: number;
  /** The held input at time t (ms). */
  input?: (t: number) => number[];
}

interface SimResult {
  predictor: Predictor;
  /** Drawn positions per frame. */
  frames: { t: number; x: number; y: number }[];
  /** The server's final state. */
  server: Int32Array;
  snapshots: number;
}

function simulate(o: SimOptions): SimResult {
  const model = arenaPrediction(params);
  const predictor = new Predictor(model, { tickMs: TICK_MS });
  const rand = rng(o.seed);
  const delay = () => o.rttMs / 2 + rand() * o.jitterMs;
  const serverMove = o.serverMove ?? ((f, inp) => model.applyInput(f, inp));
  const input = o.input ?? ((t: number) => {
    const phase = Math.floor(t / 400) % 6; // change direction every 400 ms
    return [[1, 0], [1, 1], [0, 1], [-1, 1], [-1, -1], [0, 0]][phase]!.concat([0, 0]);
  });
  const server = Int32Array.from([16000, 16000, 0, 0, 0, 100, 0]);
  let lastApplied = 0;
  const up: { at: number; seq: number; values: number[] }[] = []; // inputs in flight (TCP: in order)
  const down: { at: number; e: Entity; seq: number }[] = [];
  let lastUp = 0;
  let lastDown = 0;
  let seq = 0;
  let nextInput = 0;
  let nextServerTick = 7;
  let nextFrame = 0;
  let snapshots = 0;
  const queue: { seq: number; values: number[] }[] = [];
  const frames: SimResult["frames"] = [];
  for (let t = 0; t <= o.durationMs; t += 0.5) {
    if (t >= nextInput && t <= (o.inputUntil ?? o.durationMs - 600)) {
      nextInput += TICK_MS;
      const values = input(t);
      seq++;
      predictor.applyLocal(seq, values, t);
      lastUp = Math.max(lastUp, t + delay());
      up.push({ at: lastUp, seq, values });
    }
    while (up.length > 0 && up[0]!.at <= t) queue.push(up.shift()!);
    if (t >= nextServerTick) {
      nextServerTick += TICK_MS;
      for (let n = 0; n < 2 && queue.length > 0; n++) {
        const inp = queue.shift()!;
        serverMove(server, inp.values);
        lastApplied = inp.seq;
      }
      o.serverTick?.(t, server);
      lastDown = Math.max(lastDown, t + delay());
      down.push({ at: lastDown, e: { id: 1, kind: 1, fields: server.slice() }, seq: lastApplied });
    }
    while (down.length > 0 && down[0]!.at <= t) {
      const s = down.shift()!;
      predictor.reconcile(s.e, s.seq, t);
      snapshots++;
    }
    if (t >= nextFrame) {
      nextFrame += FRAME_MS;
      const p = predictor.position(t);
      if (p) frames.push({ t, ...p });
    }
  }
  return { predictor, frames, server, snapshots };
}

function maxStep(frames: SimResult["frames"]): number {
  let m = 0;
  for (let i = 1; i < frames.length; i++) {
    m = Math.max(m, Math.hypot(frames[i]!.x - frames[i - 1]!.x, frames[i]!.y - frames[i - 1]!.y));
  }
  return m;
}

test("at 100 ms RTT with jitter, a server with the same rules causes no correction and motion is smooth", () => {
  for (const seed of [1, 2, 3]) {
    const r = simulate({ rttMs: 100, jitterMs: 20, durationMs: 5000, seed });
    assert.ok(r.snapshots > 140, `${r.snapshots} snapshots`);
    assert.equal(r.predictor.corrections, 0, `seed ${seed}: corrections`);
    assert.equal(r.predictor.largestCorrection, 0);
    // Each drawn frame moves at most one input's displacement: no snapping.
    assert.ok(maxStep(r.frames) <= P.speed + 0.001, `seed ${seed}: max step ${maxStep(r.frames)}`);
    // Once the last inputs are in, the prediction is exactly the server's state.
    assert.deepEqual(Array.from(r.predictor.predicted!).slice(0, 2), Array.from(r.server).slice(0, 2));
  }
});

test("prediction runs ahead of the server by the unacknowledged inputs", () => {
  const model = arenaPrediction(params);
  const p = new Predictor(model, { tickMs: TICK_MS });
  p.reconcile({ id: 1, kind: 1, fields: Int32Array.from([1000, 1000, 0, 0, 0, 100, 0]) }, 0, 0);
  for (let s = 1; s <= 5; s++) p.applyLocal(s, [1, 0, 0, 0], s * TICK_MS);
  assert.equal(p.predicted![0], 1000 + 5 * P.speed);
  // The server applied 2 of them: rebuilt from its state plus 3 replayed inputs, the same point.
  p.reconcile({ id: 1, kind: 1, fields: Int32Array.from([1000 + 2 * P.speed, 1000, P.speed, 0, 0, 100, 0]) }, 2, 200);
  assert.equal(p.unacknowledged.length, 3);
  assert.equal(p.predicted![0], 1000 + 5 * P.speed);
  assert.equal(p.corrections, 0);
});

test("a disagreeing server (an obstacle the client does not know) is corrected smoothly, then converges", () => {
  const wall = 17000;
  const model = arenaPrediction(params);
  const r = simulate({
    rttMs: 100,
    jitterMs: 10,
    durationMs: 4000,
    seed: 5,
    input: (t) => (t < 2000 ? [1, 0, 0, 0] : [0, 0, 0, 0]),
    serverMove: (f, inp) => {
      const x0 = f[0]!;
      model.applyInput(f, inp);
      if (f[0]! > wall) {
        f[0] = Math.max(x0, wall);
        f[2] = f[0]! - x0;
      }
    },
  });
  // Every snapshot while pushing against the wall corrects the inputs replayed past it.
  assert.ok(r.predictor.corrections > 10, `${r.predictor.corrections} corrections are counted`);
  // Corrections are smoothed: no drawn frame jumps further than a normal step.
  assert.ok(maxStep(r.frames) <= P.speed + 0.001, `max drawn step ${maxStep(r.frames)}`);
  const last = r.frames[r.frames.length - 1]!;
  assert.ok(Math.abs(last.x - wall) < 1, `settles at the wall: ${last.x}`);
});

test("a knockback the client cannot predict is smoothed over frames instead of snapping", () => {
  const push = 500; // below the arena's snapDistance (40 units)
  const r = simulate({
    rttMs: 100,
    jitterMs: 10,
    durationMs: 2500,
    seed: 11,
    input: (t) => (t < 800 ? [0, 1, 0, 0] : [0, 0, 0, 0]),
    serverTick: (t, f) => {
      if (t >= 1000 && t < 1000 + TICK_MS) f[0] = f[0]! + push;
    },
  });
  assert.equal(r.predictor.corrections, 1);
  assert.equal(r.predictor.largestCorrection, push);
  const step = maxStep(r.frames);
  assert.ok(step < push / 4, `the ${push} correction was drawn in steps of at most ${step}`);
  assert.ok(Math.abs(r.frames[r.frames.length - 1]!.x - r.server[0]!) < 1, "converged");
});

test("a teleport (respawn) beyond snapDistance is applied at once", () => {
  const r = simulate({
    rttMs: 100,
    jitterMs: 0,
    durationMs: 2000,
    seed: 9,
    serverTick: (t, f) => {
      if (t >= 1000 && t < 1000 + TICK_MS) {
        f[0] = 2000;
        f[1] = 3000;
      }
    },
  });
  assert.equal(r.predictor.teleports, 1);
  assert.equal(r.predictor.corrections, 0, "a teleport is not a misprediction");
  // The frame after the correction arrived is already near the new place.
  const after = r.frames.find((f) => f.t > 1000 + 50 + TICK_MS + 1 && Math.abs(f.x - 2000) < 2000);
  assert.ok(after, "jumped");
  assert.deepEqual(Array.from(r.predictor.predicted!).slice(0, 2), Array.from(r.server).slice(0, 2));
});

test("move clamps at the world's edge on both axes", () => {
  assert.deepEqual(move(10, 31990, -1, 1, P), { x: 0, y: 32000, vx: -10, vy: 10 });
});
