// The TypeScript Move against the Go arena's golden file (game/arena/testdata/move_golden.json, written by Move).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { aimFromAngle, arenaParams, arenaPrediction, cos, move, PlayerField, projectileVelocity, sin } from "../src/arena/arena";
import { Predictor } from "../src/sdk/prediction";

interface MoveGolden {
  params: Record<string, number>;
  cases: { in: { x: number; y: number; dx: number; dy: number }; want: { x: number; y: number; vx: number; vy: number } }[];
}

const golden = JSON.parse(
  readFileSync(new URL("../../game/arena/testdata/move_golden.json", import.meta.url), "utf8"),
) as MoveGolden;

test("move matches the Go arena on every golden case", () => {
  const p = arenaParams(golden.params);
  assert.ok(golden.cases.length >= 100, "golden file too small");
  for (const c of golden.cases) {
    const got = move(c.in.x, c.in.y, c.in.dx, c.in.dy, p);
    assert.deepEqual(got, c.want, JSON.stringify(c.in));
  }
});

test("the prediction model applies Move and the aim", () => {
  const m = arenaPrediction(golden.params);
  const shift = golden.params["aim_shift"]!;
  const f = Int32Array.from([16000, 16000, 0, 0, 0, 100, 0, 0]);
  m.applyInput(f, [1, 1, 0x1234, 0]);
  assert.deepEqual(Array.from(f), [16075, 16075, 75, 75, 0x1234 >> shift, 100, 0, 0x1234 >> shift]);
  m.applyInput(f, [0, 0, 65535, 1]);
  assert.equal(f[PlayerField.VX], 0);
  assert.equal(f[PlayerField.Aim], 65535 >> shift);
  assert.equal(f[PlayerField.AimRate], -(0x1234 >> shift) - 1, "turning the short way past 0 is negative");
});

test("aimFromAngle wraps into 0..65535", () => {
  assert.equal(aimFromAngle(0), 0);
  assert.equal(aimFromAngle(Math.PI / 2), 16384);
  assert.equal(aimFromAngle(-Math.PI / 2), 49152);
  assert.equal(aimFromAngle(2 * Math.PI), 0);
});

test("arenaParams rejects a Welcome without the arena's params", () => {
  assert.throws(() => arenaParams({ scale: 16 }), /lacks/);
});

// Sin and ProjectileVelocity as the Go arena computes them (game/arena: Sin, ProjectileVelocity at speed 320):
// [aim, Sin(aim), vx, vy] for a few aims, and an FNV-1a over Sin, vx, vy (as uint32) for every aim 0..65535.
const GO_VELOCITY: [number, number, number, number][] = [
  [0, 0, 320, 0],
  [1, 6, 320, 0],
  [4096, 25080, 296, 122],
  [8192, 46341, 226, 226],
  [10923, 56757, 160, 277],
  [16383, 65536, 0, 320],
  [16384, 65536, 0, 320],
  [20000, 61637, -109, 301],
  [32768, 0, -320, 0],
  [40000, -41886, -246, -205],
  [49152, -65536, 0, -320],
  [54613, -56757, 160, -277],
  [65535, -6, 320, 0],
];
const GO_VELOCITY_FNV = 3985366757;

test("sin and projectileVelocity match the Go arena's integer table", () => {
  for (const [a, s, vx, vy] of GO_VELOCITY) {
    assert.equal(sin(a), s, `sin(${a})`);
    assert.deepEqual(projectileVelocity(a, 320), { vx, vy }, `velocity(${a})`);
  }
  let h = 2166136261;
  for (let a = 0; a < 65536; a++) {
    const v = projectileVelocity(a, 320);
    for (const x of [sin(a), v.vx, v.vy]) h = Math.imul((h ^ x) >>> 0, 16777619) >>> 0;
  }
  assert.equal(h, GO_VELOCITY_FNV);
  assert.equal(cos(0), 65536);
  assert.equal(cos(32768), -65536);
});

// The Go arena played tick by tick (client-web/golden_arena_test.go): scripted inputs, some ticks without one (the
// engine applied the fill), the player's entity after every tick.
interface TicksGolden {
  params: Record<string, number>;
  fill: "repeat" | "neutral";
  player_fields: { name: string; rate_field: number; wrap?: number; teleport?: number }[];
  start: number[];
  ticks: { tick: number; input?: number[]; fields: number[] }[];
}

const ticks = JSON.parse(readFileSync(new URL("./testdata/arena_ticks_golden.json", import.meta.url), "utf8")) as TicksGolden;

test("prediction by tick replays the Go arena exactly, fills included", () => {
  assert.ok(ticks.ticks.length >= 1000 && ticks.ticks.some((t) => !t.input), "golden file too small or without fills");
  const model = arenaPrediction(ticks.params);
  const p = new Predictor(model, { fill: ticks.fill, neutral: [0, 0, 0, 0] });
  p.reconcile({ id: 1, kind: 1, fields: Int32Array.from(ticks.start) }, 0, 0, 0);
  let seq = 0;
  for (const t of ticks.ticks) {
    if (!t.input) continue; // the client sent nothing for this tick: the next input's replay fills it
    p.applyLocal(++seq, t.tick, t.input);
    assert.deepEqual(Array.from(p.predicted!), t.fields, `tick ${t.tick}`);
  }
  assert.equal(p.corrections + p.teleports, 0);
});

test("reconciling on any snapshot of the Go arena and replaying the ticks after it is exact", () => {
  const model = arenaPrediction(ticks.params);
  for (const at of [0, 6, 7, 499, 503, 777]) {
    const p = new Predictor(model, { fill: ticks.fill, neutral: [0, 0, 0, 0] });
    const snap = ticks.ticks[at]!;
    // Inputs up to the snapshot are applied (the last one with seq = its tick); the rest are in flight.
    const sent = ticks.ticks.filter((t) => t.input && t.tick <= snap.tick + 40);
    for (const t of sent) p.applyLocal(t.tick, t.tick, t.input!);
    const applied = sent.filter((t) => t.tick <= snap.tick).at(-1)?.tick ?? 0;
    p.reconcile({ id: 1, kind: 1, fields: Int32Array.from(snap.fields) }, snap.tick, applied, 0);
    const end = sent.at(-1)!;
    assert.deepEqual(Array.from(p.predicted!), end.fields, `snapshot at tick ${snap.tick}`);
    assert.equal(p.predictedTick, end.tick);
  }
});

test("the Go arena's schema: x, y jump threshold and aim wrap as the client reads them", () => {
  const f = ticks.player_fields;
  assert.equal(f[PlayerField.X]!.teleport, 2 * ticks.params["speed"]!);
  assert.equal(f[PlayerField.Aim]!.wrap, 65536 >> ticks.params["aim_shift"]!);
  assert.equal(ticks.fill, "repeat");
});
