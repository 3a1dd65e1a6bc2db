// Prediction and reconciliation by tick over a simulated network: a server that applies exactly one input per tick
// (the input addressed to it, else the fill), inputs and snapshots delayed by half the RTT each way with jitter, frames
// drawn at 60 Hz on the client's input clock (its tick less one), as TickwireClient.view draws.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Predictor, type FillPolicy, type PredictionModel } from "../src/sdk/prediction";
import { arenaPrediction, arenaParams, move } from "../src/arena/arena";
import type { Entity } from "../src/sdk/snapcodec";
import { rng } from "./fakes";

const params = (JSON.parse(readFileSync(new URL("../../game/arena/testdata/move_golden.json", import.meta.url), "utf8")) as {
  params: Record<string, number>;
}).params;
const P = arenaParams(params);
const TICK_MS = 1000 / 30;
const FRAME_MS = 1000 / 60;
const NEUTRAL = [0, 0, 0, 0];

/**
 * A platformer-like model with per-tick dynamics: input [jump, dx]; gravity pulls vy down every tick, the floor stops
 * it, and a jump is only possible on the floor after a cooldown counted in ticks. Fields [x, y, vx, vy, cooldown].
 */
const gravity: PredictionModel = {
  kind: 1,
  xField: 0,
  yField: 1,
  snapDistance: 5000,
  applyInput(f, input) {
    f[2] = (input[1] ?? 0) * 40;
    if ((input[0] ?? 0) !== 0 && f[1] === 0 && f[4] === 0) {
      f[3] = 300;
      f[4] = 20;
    }
  },
  step(f) {
    f[0] = f[0]! + f[2]!;
    f[3] = f[3]! - 25;
    f[1] = f[1]! + f[3]!;
    if (f[1]! <= 0) {
      f[1] = 0;
      f[3] = 0;
    }
    if (f[4]! > 0) f[4] = f[4]! - 1;
  },
};

interface SimOptions {
  rttMs: number;
  jitterMs: number;
  durationMs: number;
  seed: number;
  model?: PredictionModel;
  fields?: number[];
  fill?: FillPolicy;
  /** The client addresses each input this many ms ahead of the room's tick at sending (default RTT/2 + jitter + 5). */
  aheadMs?: number;
  /** The server's own rule for one input; by default the model's. */
  serverInput?: (f: Int32Array, input: readonly number[]) => void;
  /** Called at each server tick after the input; may change the player's state (a teleport). */
  serverTick?: (t: number, f: Int32Array) => void;
  /** No input is sent after this time (default: 600 ms before the end, so that every input is acknowledged). */
  inputUntil?: number;
  /** Whether the client sends an input at the tick it reaches at time t (default: always): false skips the tick. */
  send?: (t: number) => boolean;
  /** The held input at time t (ms). */
  input?: (t: number) => number[];
  /**
   * When the send timer set for a tick due at dueMs fires (default: on time). The inputs of every tick due by then are
   * sent together.
   */
  sendTimer?: (dueMs: number) => number;
}

interface SimResult {
  predictor: Predictor;
  /** Drawn positions per frame. */
  frames: { t: number; x: number; y: number }[];
  /** The server's final state. */
  server: Int32Array;
  snapshots: number;
  late: number;
  filled: number;
}

function simulate(o: SimOptions): SimResult {
  const model = o.model ?? arenaPrediction(params);
  const predictor = new Predictor(model, { fill: o.fill, neutral: NEUTRAL });
  const rand = rng(o.seed);
  const delay = () => o.rttMs / 2 + rand() * o.jitterMs;
  const serverInput = o.serverInput ?? ((f, inp) => model.applyInput(f, inp));
  const input = o.input ?? ((t: number) => {
    const phase = Math.floor(t / 400) % 6; // change direction every 400 ms
    return [[1, 0], [1, 1], [0, 1], [-1, 1], [-1, -1], [0, 0]][phase]!.concat([0, 0]);
  });
  const server = Int32Array.from(o.fields ?? [16000, 16000, 0, 0, 0, 100, 0]);
  const aheadTicks = Math.ceil((o.aheadMs ?? o.rttMs / 2 + o.jitterMs + 5) / TICK_MS);
  const buffer = new Map<number, { seq: number; values: number[] }>();
  let lastApplied = 0;
  let lastValues = NEUTRAL;
  let serverTick = 0; // ticks run; tick k runs at k * TICK_MS
  const up: { at: number; seq: number; tick: number; values: number[] }[] = []; // inputs in flight (TCP: in order)
  const down: { at: number; e: Entity; tick: number; seq: number }[] = [];
  let lastUp = 0;
  let lastDown = 0;
  let seq = 0;
  let clientTick = 0;
  let nextFrame = 0;
  // The input clock is at tick t / TICK_MS + aheadTicks at time t; the send timer fires at fireAt.
  const clockTick = (t: number) => t / TICK_MS + aheadTicks;
  const dueAt = (k: number) => (k - aheadTicks) * TICK_MS;
  let fireAt = 0;
  let snapshots = 0;
  let late = 0;
  let filled = 0;
  const frames: SimResult["frames"] = [];
  // The first snapshot, so that the prediction has a state.
  down.push({ at: delay(), e: { id: 1, kind: 1, fields: server.slice() }, tick: 0, seq: 0 });
  for (let t = 0; t <= o.durationMs; t += 0.5) {
    // The client's input clock: the tick the room will be at when an input sent now arrives, plus a margin.
    const want = Math.floor(clockTick(t));
    if (want > clientTick && t >= fireAt && t <= (o.inputUntil ?? o.durationMs - 600)) {
      // Without a send timer, one tick each time; a late timer sends every tick due since (a pair, or more).
      for (let k = o.sendTimer && clientTick > 0 ? clientTick + 1 : want; k <= want; k++) {
        clientTick = k;
        if (!(o.send?.(t) ?? true)) continue;
        const values = input(t);
        seq++;
        predictor.applyLocal(seq, clientTick, values);
        lastUp = Math.max(lastUp, t + delay());
        up.push({ at: lastUp, seq, tick: clientTick, values });
      }
      fireAt = o.sendTimer ? o.sendTimer(dueAt(clientTick + 1)) : 0;
    }
    while (up.length > 0 && up[0]!.at <= t) {
      const inp = up.shift()!;
      if (inp.tick <= serverTick) late++;
      else buffer.set(inp.tick, inp);
    }
    if (t >= (serverTick + 1) * TICK_MS) {
      serverTick++;
      const inp = buffer.get(serverTick);
      buffer.delete(serverTick);
      if (inp) {
        lastApplied = inp.seq;
        lastValues = inp.values;
      } else filled++;
      serverInput(server, inp ? inp.values : o.fill === "neutral" ? NEUTRAL : lastValues);
      model.step?.(server);
      o.serverTick?.(t, server);
      lastDown = Math.max(lastDown, t + delay());
      down.push({ at: lastDown, e: { id: 1, kind: 1, fields: server.slice() }, tick: serverTick, seq: lastApplied });
    }
    while (down.length > 0 && down[0]!.at <= t) {
      const s = down.shift()!;
      predictor.reconcile(s.e, s.tick, s.seq, t);
      snapshots++;
    }
    if (t >= nextFrame) {
      nextFrame += FRAME_MS;
      // A tick due and not sent yet is drawn with the input the client holds (it sends no more after inputUntil).
      const p = predictor.position(clockTick(t) - 1, t, t <= (o.inputUntil ?? o.durationMs - 600) ? input(t) : undefined);
      if (p) frames.push({ t, ...p });
    }
  }
  return { predictor, frames, server, snapshots, late, filled };
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
    assert.equal(r.late, 0);
    assert.equal(r.predictor.corrections, 0, `seed ${seed}: corrections`);
    assert.equal(r.predictor.largestCorrection, 0);
    // Each drawn frame moves at most one tick's displacement: no snapping.
    assert.ok(maxStep(r.frames) <= P.speed + 0.001, `seed ${seed}: max step ${maxStep(r.frames)}`);
    // Once the last inputs are in, the prediction is exactly the server's state.
    assert.deepEqual(Array.from(r.predictor.predicted!).slice(0, 2), Array.from(r.server).slice(0, 2));
  }
});

test("inputs sent in pairs by a send timer up to 20 ms late are drawn at the clock's steady speed", () => {
  for (const seed of [12, 13, 14]) {
    const rand = rng(seed + 50);
    let sends = 0;
    const r = simulate({
      rttMs: 100,
      jitterMs: 20,
      durationMs: 4000,
      seed,
      aheadMs: 150, // the timer's lateness on top of the delay and its jitter: no input reaches the room late
      input: (t) => (t < 3000 ? [1, 0, 0, 0] : [0, 0, 0, 0]),
      // The timer for a tick fires only at the next tick's due time, and then up to 20 ms late: two inputs at once.
      sendTimer: (due) => {
        sends++;
        return due + TICK_MS + rand() * 20;
      },
    });
    assert.ok(sends < 70, `${sends} timer firings for about 100 inputs`);
    assert.equal(r.late, 0);
    assert.equal(r.predictor.corrections, 0);
    // While the input is held, every frame moves the speed times the ticks the clock advanced (0.5 ms steps: frames
    // are 16.5 or 17 ms apart).
    const held = r.frames.filter((f) => f.t > 300 && f.t < 3000);
    assert.ok(held.length > 150, `${held.length} frames`);
    for (let i = 1; i < held.length; i++) {
      const a = held[i - 1]!;
      const b = held[i]!;
      const want = (P.speed * (b.t - a.t)) / TICK_MS;
      assert.ok(Math.abs(b.x - a.x - want) < 1e-6, `seed ${seed}: the frame at ${b.t} ms moved ${b.x - a.x}, not ${want}`);
    }
  }
});

test("per-tick dynamics: a gravity model with jumps and a cooldown in ticks is predicted with no correction", () => {
  for (const seed of [4, 5]) {
    const r = simulate({
      rttMs: 100,
      jitterMs: 15,
      durationMs: 5000,
      seed,
      model: gravity,
      fields: [0, 0, 0, 0, 0],
      // Jump held for a while (the cooldown decides when it fires), walking right then left.
      input: (t) => [Math.floor(t / 300) % 2, t % 2000 < 1000 ? 1 : -1],
    });
    assert.equal(r.late, 0);
    assert.equal(r.filled > 0, true, "ticks before the first input arrives are filled");
    assert.equal(r.predictor.corrections, 0, `seed ${seed}`);
    assert.equal(r.predictor.teleports, 0);
    assert.ok(r.frames.some((f) => f.y > 1000), "it jumped");
  }
});

test("ticks the client skips are predicted with the fill: repeat and neutral", () => {
  for (const fill of ["repeat", "neutral"] as const) {
    const r = simulate({
      rttMs: 80,
      jitterMs: 10,
      durationMs: 3000,
      seed: 7,
      fill,
      // Every third tick has no input (a stalled page): the room fills it.
      send: (t) => Math.floor(t / TICK_MS) % 3 !== 0,
    });
    assert.ok(r.filled > 20, `${r.filled} ticks filled`);
    assert.equal(r.late, 0);
    assert.equal(r.predictor.corrections, 0, fill);
    assert.deepEqual(Array.from(r.predictor.predicted!).slice(0, 4), Array.from(r.server).slice(0, 4), fill);
  }
});

test("inputs that arrive after their tick are counted late and corrected from the fill", () => {
  // Addressed too close to the room's tick: with jitter some arrive after it ran.
  const moves = [[1, 0], [1, 1], [0, 1], [-1, 1], [-1, -1]];
  const r = simulate({
    rttMs: 100,
    jitterMs: 30,
    durationMs: 4000,
    seed: 3,
    aheadMs: 60,
    // Ends standing still, so that the room's fills after the last input do not move the player.
    input: (t) => (t < 3000 ? moves[Math.floor(t / 400) % 5]! : [0, 0]).concat([0, 0]),
  });
  assert.ok(r.late > 0, "some inputs late");
  assert.equal(r.predictor.lateInputs, r.late, "the client counts exactly the inputs the room dropped");
  assert.deepEqual(Array.from(r.predictor.predicted!).slice(0, 2), Array.from(r.server).slice(0, 2), "converged");
});

test("prediction runs ahead of the server by the unapplied ticks", () => {
  const model = arenaPrediction(params);
  const p = new Predictor(model, { neutral: NEUTRAL });
  p.reconcile({ id: 1, kind: 1, fields: Int32Array.from([1000, 1000, 0, 0, 0, 100, 0]) }, 10, 0, 0);
  for (let s = 1; s <= 5; s++) p.applyLocal(s, 10 + s, [1, 0, 0, 0]);
  assert.equal(p.predicted![0], 1000 + 5 * P.speed);
  assert.equal(p.predictedTick, 15);
  // The server applied 2 of them: rebuilt from its state plus 3 replayed ticks, the same point.
  p.reconcile({ id: 1, kind: 1, fields: Int32Array.from([1000 + 2 * P.speed, 1000, P.speed, 0, 0, 100, 0]) }, 12, 2, 200);
  assert.equal(p.unacknowledged.length, 3);
  assert.equal(p.predicted![0], 1000 + 5 * P.speed);
  assert.equal(p.corrections, 0);
  // The skipped ticks 16 and 17 are filled with the last input before them.
  p.applyLocal(6, 18, [0, 1, 0, 0]);
  assert.deepEqual([p.predicted![0], p.predicted![1]], [1000 + 7 * P.speed, 1000 + P.speed]);
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
    serverInput: (f, inp) => {
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
  assert.ok(r.predictor.correctionP95() > 0 && r.predictor.correctionP95() <= r.predictor.largestCorrection);
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
  assert.equal(r.predictor.correctionP95(), push);
  const step = maxStep(r.frames);
  assert.ok(step < push / 4, `the ${push} correction was drawn in steps of at most ${step}`);
  assert.ok(Math.abs(r.frames[r.frames.length - 1]!.x - r.server[0]!) < 1, "converged");
});

test("a teleport (respawn) beyond the threshold is applied at once", () => {
  const r = simulate({
    rttMs: 100,
    jitterMs: 0,
    durationMs: 2000,
    seed: 9,
    input: (t) => (t < 1200 ? [1, 0, 0, 0] : [0, 0, 0, 0]),
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

test("a jump of the drawing's timeline (the input clock re-synced) is smoothed like a correction", () => {
  const model = arenaPrediction(params);
  const p = new Predictor(model, { neutral: NEUTRAL });
  p.reconcile({ id: 1, kind: 1, fields: Int32Array.from([1000, 1000, 0, 0, 0, 100, 0]) }, 10, 0, 0);
  for (let s = 1; s <= 10; s++) p.applyLocal(s, 10 + s, [1, 0, 0, 0]);
  // Drawn between ticks, on the tick timeline.
  assert.equal(p.position(14.5, 0)!.x, 1000 + 4.5 * P.speed);
  // The clock jumps three ticks: the next frame draws where the last one did, then the difference fades.
  p.retime(14.5, 17.5, 100);
  assert.ok(Math.abs(p.position(17.5, 100)!.x - (1000 + 4.5 * P.speed)) < 1e-9);
  const later = p.position(17.5, 400)!.x;
  assert.ok(later > 1000 + 7 * P.speed && later <= 1000 + 7.5 * P.speed, `${later}`);
  assert.equal(p.position(17.5, 1000)!.x, 1000 + 7.5 * P.speed, "converged");
  assert.equal(p.corrections, 0, "not a misprediction");
  // Before the positions kept: the oldest; past the last input: extrapolated with the input to be sent, then held.
  assert.equal(p.position(3, 1000)!.x, 1000);
  assert.equal(p.position(20.5, 1000, [0, 1, 0, 0])!.y, 1000 + 0.5 * P.speed);
  assert.equal(p.position(21.5, 1000, [0, 1, 0, 0])!.y, 1000 + 1.5 * P.speed);
  assert.equal(p.position(40, 1000, [1, 0, 0, 0])!.x, 1000 + 13 * P.speed);
});

test("the schema's teleport threshold overrides the model's snap distance", () => {
  const model = arenaPrediction(params);
  const p = new Predictor(model, { teleport: 100 });
  p.reconcile({ id: 1, kind: 1, fields: Int32Array.from([1000, 1000, 0, 0, 0, 100, 0]) }, 1, 0, 0);
  p.reconcile({ id: 1, kind: 1, fields: Int32Array.from([1200, 1000, 0, 0, 0, 100, 0]) }, 2, 0, 10);
  assert.equal(p.teleports, 1, "200 > 100: a jump, though below the model's 640");
  assert.equal(p.corrections, 0);
});

test("move clamps at the world's edge on both axes", () => {
  assert.deepEqual(move(10, 31990, -1, 1, P), { x: 0, y: 32000, vx: -10, vy: 10 });
});
