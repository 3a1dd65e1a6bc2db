// Per-player views: entities entering and leaving the client's world arrive as "enter" and "exit" events, before the
// "snapshot" event, across a resume too; a kind with a byte string decodes through the client's Welcome.
import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { WelcomeSchema, type Welcome } from "../src/gen/tickwire_pb";
import { TickwireClient } from "../src/sdk/client";
import { Interpolator } from "../src/sdk/interpolation";
import { SnapCodec, EMPTY_WORLD, diffWorlds, type World, type Entity } from "../src/sdk/snapcodec";
import { FakeScheduler, FakeSocket, lastInputSeqBytes } from "./fakes";

const KINDS = [
  { id: 1, name: "token", fields: [{ name: "x", rateField: 2 }, { name: "vx", rateField: 0 }] },
  { id: 2, name: "card", fields: Array.from({ length: 32 }, (_, i) => ({ name: `f${i}`, rateField: 0 })), data: true },
];
const codec = new SnapCodec(KINDS);

function welcome(resumed = false): Welcome {
  return create(WelcomeSchema, {
    protocolVersion: 2, playerId: 1, roomId: "r1", roomEpoch: 7n, tickRate: 30, snapshotRate: 30,
    resumeToken: new Uint8Array([1, 2, 3]), graceMs: 10000, tick: 100, mode: "cards", kinds: KINDS,
    input: [{ name: "dx", min: -1, max: 1 }], heartbeatMs: 5000, hashInterval: 1, resumed,
  });
}

const token = (id: number, x: number): Entity => ({ id, kind: 1, fields: Int32Array.from([x, 0]) });
function card(id: number, name: string, f31 = 0): Entity {
  const fields = new Int32Array(32);
  fields[31] = f31;
  return { id, kind: 2, fields, data: new TextEncoder().encode(name) };
}

function send(s: FakeSocket, base: World, world: World): void {
  s.deliver(
    { msg: { case: "snapshot", value: { tick: world.tick, baselineTick: base.tick, entities: codec.encode(base, world), stateHash: codec.hash(world) } } },
    lastInputSeqBytes(1),
  );
}

test("diffWorlds: entered, exited and kind changes, in id order", () => {
  const a: World = { tick: 1, entities: [token(1, 0), token(3, 0), token(5, 0)] };
  const b: World = { tick: 2, entities: [token(2, 0), token(3, 0), card(5, "x"), token(9, 0)] };
  const got: string[] = [];
  diffWorlds(a, b, (e) => got.push(`+${e.id}`), (e) => got.push(`-${e.id}`));
  assert.deepEqual(got, ["-1", "+2", "-5", "+5", "+9"]);
});

test("enter and exit events follow the view, carry byte strings, and survive a resume", () => {
  const sched = new FakeScheduler();
  const sockets: FakeSocket[] = [];
  const client = new TickwireClient({
    url: "ws://test/ws",
    join: { mode: "cards" },
    scheduler: sched,
    socket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
  });
  const log: string[] = [];
  const names = new Map<number, string>();
  client.on("enter", (e) => {
    log.push(`+${e.id}`);
    if (e.data) names.set(e.id, new TextDecoder().decode(e.data));
  });
  client.on("exit", (e) => log.push(`-${e.id}`));
  client.on("snapshot", (s) => log.push(`@${s.world.tick}`));
  client.connect();
  const s = sockets[0]!;
  s.open();
  s.deliver({ msg: { case: "welcome", value: welcome() } });

  const w1: World = { tick: 101, entities: [token(1, 10), card(1001, "ace-of-spades", 7)] };
  send(s, EMPTY_WORLD, w1);
  const w2: World = { tick: 102, entities: [token(1, 10), token(2, 50), card(1001, "king", 7)] }; // 2 enters
  send(s, w1, w2);
  const w3: World = { tick: 103, entities: [token(1, 10), card(1001, "king", -1)] }; // 2 leaves
  send(s, w2, w3);
  assert.deepEqual(log, ["+1", "+1001", "@101", "+2", "@102", "-2", "@103"]);
  assert.equal(names.get(1001), "ace-of-spades");
  const held = client.world.entities.find((e) => e.id === 1001)!;
  assert.equal(new TextDecoder().decode(held.data), "king");
  assert.equal(held.fields[31], -1);
  assert.equal(client.stats().hashMismatches ?? 0, 0);

  // The connection drops; the resumed session's full snapshot is compared with what the player last saw.
  s.serverClose(1006);
  sched.advance(2000);
  const s2 = sockets[sockets.length - 1]!;
  assert.notEqual(s2, s);
  s2.open();
  s2.deliver({ msg: { case: "welcome", value: welcome(true) } });
  log.length = 0;
  const w4: World = { tick: 110, entities: [token(7, 0), card(1001, "king", -1)] }; // 1 left, 7 came
  send(s2, EMPTY_WORLD, w4);
  assert.deepEqual(log, ["-1", "+7", "@110"]);
});

test("interpolated entities keep their byte string", () => {
  const interp = new Interpolator({ tickRate: 30, snapshotRate: 30, rates: new Map([[1, [1, -1]]]) });
  interp.push({ tick: 10, entities: [token(1, 0), card(1001, "jack")] }, 0);
  interp.push({ tick: 11, entities: [token(1, 3), card(1001, "queen")] }, 33);
  const [t, c] = interp.sample(10.5);
  assert.equal(t!.data, undefined);
  assert.equal(t!.fields[0], 1.5);
  assert.equal(new TextDecoder().decode(c!.data), "jack");
  assert.equal(new TextDecoder().decode(interp.sample(12)[1]!.data), "queen");
});
