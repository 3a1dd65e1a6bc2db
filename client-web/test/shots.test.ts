// The local player's predicted projectiles: the arena's spawn rule and fire interval, the straight line, the handover
// to the server's projectile and the expiry of shots the server did not fire.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { arenaParams, KIND_PROJECTILE, projectileVelocity } from "../src/arena/arena";
import { HANDOVER_MS, LocalShots } from "../src/arena/shots";
import type { World } from "../src/sdk/snapcodec";

const golden = JSON.parse(readFileSync(new URL("../../game/arena/testdata/move_golden.json", import.meta.url), "utf8")) as {
  params: Record<string, number>;
};
const p = arenaParams(golden.params); // fire_interval 8, projectile_speed 320, projectile_lifetime 30 at 30 ticks/s
const TICK = 1000 / 30;
const ME = 3;

/** A player at (x, y) after the input: the fields the client reports with each sent input. */
function local(x: number, y: number): number[] {
  return [x, y, 0, 0, 0, 100, 0, 0];
}

function world(tick: number, projectiles: [id: number, x: number, y: number, vx: number, vy: number, owner: number][]): World {
  return {
    tick,
    entities: projectiles.map(([id, ...f]) => ({ id, kind: KIND_PROJECTILE, fields: Int32Array.from(f) })),
  };
}

test("a shot is fired as the arena fires: fire set, at least fire_interval inputs apart, from the moved player", () => {
  const s = new LocalShots(p, ME, TICK);
  assert.equal(s.onInput(1, [0, 0, 16384, 0], local(100, 100), 0), false, "no fire");
  assert.equal(s.onInput(2, [0, 0, 16384, 1], undefined, TICK), false, "no prediction yet");
  assert.equal(s.onInput(3, [1, 0, 16384, 1], local(200, 100), 2 * TICK), true);
  for (let seq = 4; seq < 3 + p.fireInterval; seq++) assert.equal(s.onInput(seq, [0, 0, 0, 1], local(200, 100), seq * TICK), false, `seq ${seq}`);
  assert.equal(s.onInput(3 + p.fireInterval, [0, 0, 0, 1], local(300, 100), 11 * TICK), true);
  const [a, b] = s.sample(11 * TICK);
  const va = projectileVelocity(16384, p.projectileSpeed);
  assert.deepEqual({ vx: a!.fields[2], vy: a!.fields[3] }, va);
  assert.deepEqual(Array.from(a!.fields), [200 + va.vx * 9, 100 + va.vy * 9, 0, 320, ME]);
  assert.deepEqual(Array.from(b!.fields), [300, 100, 320, 0, ME]);
  assert.equal(a!.kind, KIND_PROJECTILE);
});

test("a shot moves along its straight line at render time and ends after its lifetime or at the wall", () => {
  const s = new LocalShots(p, ME, TICK);
  s.onInput(1, [0, 0, 8192, 1], local(1000, 1000), 0); // 45°: (226, 226) per tick
  const at = (ms: number) => Array.from(s.sample(ms)[0]?.fields.subarray(0, 2) ?? []);
  assert.deepEqual(at(0), [1000, 1000]);
  assert.deepEqual(at(2.5 * TICK), [1000 + 226 * 2.5, 1000 + 226 * 2.5]);
  assert.deepEqual(at(29 * TICK), [1000 + 226 * 29, 1000 + 226 * 29]);
  assert.deepEqual(at(30 * TICK), [], "lifetime over");
  assert.equal(s.size, 0);
  s.onInput(40, [0, 0, 32768, 1], local(500, 1000), 0); // leftwards, 320 per tick: out of the world after 1.5 ticks
  assert.equal(s.sample(TICK).length, 1);
  assert.equal(s.sample(2 * TICK).length, 0);
});

test("the server's projectile takes over smoothly and is not drawn twice", () => {
  const s = new LocalShots(p, ME, TICK);
  s.onInput(5, [0, 0, 0, 1], local(1000, 2000), 0, 98); // rightwards, 320 per tick, for tick 98
  const before = s.sample(4 * TICK)[0]!.fields[0]!;
  // The room is at tick 100: the projectile was moved 3 times (ticks 98, 99, 100); the server's player was 16 sub-units apart.
  // Projectiles of another owner, or with another velocity, are not it.
  const w = world(100, [
    [65536, 1000 + 3 * 320, 2000, 320, 0, ME + 1],
    [65537, 1016 + 3 * 320 + 100, 2000, 320, 1, ME],
    [65538, 1016 + 3 * 320, 2000, 320, 0, ME],
  ]);
  s.onSnapshot(w, 7, 4 * TICK, 80, 100);
  assert.deepEqual([...s.claimed], [65538]);
  const [now] = s.sample(4 * TICK);
  assert.equal(now!.id, 65538);
  assert.equal(now!.fields[0], before, "no jump at the handover");
  const later = s.sample(4 * TICK + HANDOVER_MS)[0]!;
  assert.equal(later.fields[0], 1016 + 320 * (4 + HANDOVER_MS / TICK), "on the server's line after the handover");
  // Still there: kept. Gone from the snapshot (hit, expired): dropped and no longer claimed.
  s.onSnapshot(world(103, [[65538, 1016 + 6 * 320, 2000, 320, 0, ME]]), 10, 5 * TICK, 80, 100);
  assert.equal(s.size, 1);
  s.onSnapshot(world(106, []), 13, 6 * TICK, 80, 100);
  assert.equal(s.size, 0);
  assert.equal(s.claimed.size, 0);
  assert.deepEqual([s.fired, s.matched, s.unfired], [1, 1, 0]);
});

test("a matched shot past its lifetime keeps its projectile hidden until the snapshots drop it", () => {
  const s = new LocalShots(p, ME, TICK);
  s.onInput(1, [0, 0, 0, 1], local(100, 100), 0, 10);
  s.onSnapshot(world(10, [[65540, 100 + 320, 100, 320, 0, ME]]), 1, TICK, 30, 33);
  assert.equal(s.sample(30 * TICK).length, 0);
  assert.ok(s.claimed.has(65540));
  s.onSnapshot(world(40, []), 31, 31 * TICK, 30, 33);
  assert.equal(s.claimed.size, 0);
});

test("a shot the server did not fire is dropped", () => {
  const s = new LocalShots(p, ME, TICK);
  s.onInput(1, [0, 0, 0, 1], local(100, 100), 0, 18);
  s.onInput(9, [0, 0, 0, 1], local(100, 100), 300, 26);
  // Input 1 applied but the server may fire an input late: kept. Two inputs later, no projectile near where it should
  // be: dropped. Input 9 not applied yet: kept.
  s.onSnapshot(world(18, []), 1, 300, 80, 100);
  assert.equal(s.size, 2);
  s.onSnapshot(world(20, [[65541, 100 + 320 * 20, 100, 320, 0, ME]]), 3, 310, 80, 100);
  assert.equal(s.size, 1);
  // Unapplied by a snapshot two ticks past its tick (26): its input came late, dropped too. Counted in ticks: however
  // late the page reads a snapshot from before that (it stalled), the shot is kept.
  s.onSnapshot(world(21, []), 2, 5000, 80, 100);
  assert.equal(s.size, 1);
  s.onSnapshot(world(27, []), 2, 5001, 80, 100);
  assert.equal(s.size, 1);
  s.onSnapshot(world(28, []), 2, 5002, 80, 100);
  assert.equal(s.size, 0);
  assert.equal(s.sample(5010).length, 0);
  assert.deepEqual([s.fired, s.matched, s.unfired], [2, 0, 2]);
});

test("a shot whose input names no tick is dropped unapplied after the RTT and three snapshot intervals", () => {
  const s = new LocalShots(p, ME, TICK);
  s.onInput(9, [0, 0, 0, 1], local(100, 100), 300);
  s.onSnapshot(world(21, []), 2, 680, 80, 100);
  assert.equal(s.size, 1);
  s.onSnapshot(world(22, []), 2, 681, 80, 100);
  assert.equal(s.size, 0);
  assert.deepEqual([s.fired, s.matched, s.unfired], [1, 0, 1]);
});

test("a projectile the server fired an input later than predicted is still the shot's", () => {
  const s = new LocalShots(p, ME, TICK);
  s.onInput(1, [0, 0, 0, 1], local(100, 100), 0, 10);
  s.onSnapshot(world(10, []), 1, 40, 30, 33);
  // Fired a tick later (its input arrived late and the room fired from the fill), with input 2, from the player's next position: moved twice by the snapshot that applied input 3.
  s.onSnapshot(world(12, [[65542, 207 + 2 * 320, 100, 320, 0, ME]]), 3, 100, 30, 33);
  assert.deepEqual([s.fired, s.matched, s.unfired], [1, 1, 0]);
  assert.ok(s.claimed.has(65542));
});

test("reset forgets the shots and the fire interval", () => {
  const s = new LocalShots(p, ME, TICK);
  s.onInput(100, [0, 0, 0, 1], local(100, 100), 0);
  s.reset();
  assert.equal(s.size, 0);
  assert.equal(s.onInput(1, [0, 0, 0, 1], local(100, 100), 0), true);
});

test("without the input's tick the shot is placed by the inputs applied since it", () => {
  const s = new LocalShots(p, ME, TICK);
  s.onInput(5, [0, 0, 0, 1], local(1000, 2000), 0); // no tick given
  // The room is at tick 100 and applied inputs up to 7: moved 3 times, as if input 5 was for tick 98.
  s.onSnapshot(world(100, [[65538, 1000 + 3 * 320, 2000, 320, 0, ME]]), 7, 4 * TICK, 80, 100);
  assert.deepEqual([...s.claimed], [65538]);
});
