// The TypeScript Move against the Go arena's golden file (game/arena/testdata/move_golden.json, written by Move).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { aimFromAngle, arenaParams, arenaPrediction, cos, move, PlayerField, projectileVelocity, sin } from "../src/arena/arena";

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
