// TickwireClient against a scripted server: handshake, inputs, snapshots, hashes, resume and terminal codes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { WelcomeSchema, type Event as EventMsg, type Welcome } from "../src/gen/tickwire_pb";
import { TickwireClient, type ClientOptions, type ConnectionState, type SentInput } from "../src/sdk/client";
import { SnapCodec, EMPTY_WORLD, type World, type Entity } from "../src/sdk/snapcodec";
import { arenaPrediction } from "../src/arena/arena";
import { FakeScheduler, FakeSocket, lastInputSeqBytes } from "./fakes";

const PARAMS: Record<string, number> = {
  aim_shift: 8, damage: 10, diag: 75, fire_interval: 8, hit_radius: 20, max_hp: 100, projectile_id_base: 65536,
  projectile_lifetime: 30, projectile_speed: 320, scale: 16, speed: 107, world_h: 2000, world_w: 2000,
};
const KINDS = [
  { id: 1, name: "player", fields: ["x", "y", "vx", "vy", "aim", "hp", "score"].map((name, i) => ({ name, rateField: i < 2 ? i + 3 : 0 })) },
  { id: 2, name: "projectile", fields: ["x", "y", "vx", "vy", "owner"].map((name, i) => ({ name, rateField: i < 2 ? i + 3 : 0 })) },
];
const codec = new SnapCodec(KINDS);

function welcome(over: MessageInitShape<typeof WelcomeSchema> = {}): Welcome {
  return create(WelcomeSchema, {
    protocolVersion: 2, playerId: 1, roomId: "r1", roomEpoch: 7n, tickRate: 30, snapshotRate: 30,
    resumeToken: new Uint8Array([1, 2, 3]), graceMs: 10000, tick: 100, mode: "arena", kinds: KINDS,
    input: [{ name: "dx", min: -1, max: 1 }, { name: "dy", min: -1, max: 1 }, { name: "aim", min: 0, max: 65535 }, { name: "fire", min: 0, max: 1 }],
    params: PARAMS, heartbeatMs: 5000, hashInterval: 30, ...over,
  });
}

function player(id: number, x: number, y: number, vx = 0, vy = 0): Entity {
  return { id, kind: 1, fields: Int32Array.from([x, y, vx, vy, 0, 100, 0]) };
}

interface Harness {
  client: TickwireClient;
  sched: FakeScheduler;
  sockets: FakeSocket[];
  states: ConnectionState[];
  sock(): FakeSocket;
}

function harness(extra: Partial<ClientOptions> = {}): Harness {
  const sched = new FakeScheduler();
  const sockets: FakeSocket[] = [];
  const states: ConnectionState[] = [];
  const client = new TickwireClient({
    url: "ws://test/ws",
    join: { mode: "arena" },
    name: "ann",
    prediction: (w) => arenaPrediction(w.params),
    scheduler: sched,
    socket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    ...extra,
  });
  client.on("state", (s) => states.push(s));
  return { client, sched, sockets, states, sock: () => sockets[sockets.length - 1]! };
}

/** Sends the snapshot of world against base (EMPTY_WORLD: full) with the player's last applied input. */
function sendSnapshot(s: FakeSocket, base: World, world: World, lastInputSeq: number, hash?: number): void {
  s.deliver(
    { msg: { case: "snapshot", value: { tick: world.tick, baselineTick: base.tick, entities: codec.encode(base, world), stateHash: hash } } },
    lastInputSeq > 0 ? lastInputSeqBytes(lastInputSeq) : undefined,
  );
}

test("player token: sent in Join, never in the URL; anonymous clients send none", () => {
  const h = harness({ playerToken: "eyJhbGciOiJIUzI1NiJ9.e30.sig" });
  h.client.connect();
  const s = h.sock();
  s.open();
  const join = s.frames("join")[0]!;
  assert.equal(join.playerToken, "eyJhbGciOiJIUzI1NiJ9.e30.sig");
  assert.ok(!s.url.includes("eyJ"));
  const anon = harness();
  anon.client.connect();
  anon.sock().open();
  assert.equal(anon.sock().frames("join")[0]!.playerToken, "");
});

test("handshake: Hello (version 2) then Join by mode; playing after Welcome; one input per tick with increasing seq, tick and ack", () => {
  const h = harness();
  h.client.connect();
  assert.deepEqual(h.states.map((s) => s.kind), ["connecting"]);
  const s = h.sock();
  assert.equal(s.url, "ws://test/ws");
  assert.equal(s.binaryType, "arraybuffer");
  s.open();
  assert.deepEqual(s.sent.map((f) => f.msg.case), ["hello", "join"]);
  const hello = s.frames("hello")[0]!;
  assert.deepEqual([hello.protocolVersion, hello.minProtocolVersion, hello.maxProtocolVersion], [2, 2, 2]);
  const join = s.frames("join")[0]!;
  assert.deepEqual(join.target, { case: "mode", value: "arena" });
  assert.equal(join.name, "ann");

  h.client.setInput([1, 0, 100, 0]);
  s.deliver({ msg: { case: "welcome", value: welcome() } });
  assert.equal(h.client.state.kind, "playing");
  assert.equal(h.client.playerId, 1);
  const w1: World = { tick: 100, entities: [player(1, 16000, 16000)] };
  h.client.setInput([1, 0, 100, 0]);
  sendSnapshot(s, EMPTY_WORLD, w1, 0, codec.hash(w1));
  h.sched.advance(1000);
  const inputs = s.frames("input");
  assert.ok(inputs.length >= 29 && inputs.length <= 32, `${inputs.length} inputs in one second`);
  inputs.forEach((inp, i) => assert.equal(inp.seq, i + 1));
  // Addressed to the ticks after the Welcome's, one each: the room was at tick 100, taken to be at its end (101) as the
  // handshake took no time here; 101 + the 13 ms lead is within tick 101, so the first input is for 102.
  assert.equal(inputs[0]!.tick, 102);
  inputs.forEach((inp, i) => assert.equal(inp.tick, 102 + i));
  assert.equal(inputs[inputs.length - 1]!.ackTick, 100);
  assert.deepEqual(inputs[5]!.values, [1, 0, 100, 0]);
  assert.ok(s.frames("ping").length >= 1, "pings for RTT");
  assert.equal(h.client.stats().hashChecks, 1);
  assert.equal(h.client.stats().hashMismatches, 0);
  // The snapshot applied no input (last_input_seq 0): the prediction ran ahead by every input sent. It is drawn a tick
  // behind the input clock: between the positions after the last two inputs sent (tick 101 was filled with the neutral
  // input, so the position after the i-th input is 16000 + 107 * i).
  const n = inputs.length;
  const now = h.sched.now();
  const x0 = h.client.view(now).local!.fields[0]!;
  assert.ok(x0 >= 16000 + 107 * (n - 1) && x0 < 16000 + 107 * n, `drawn at ${x0}`);
  // 40 ms later the clock has passed the next tick's due time with no input sent for it yet (the send timer is late):
  // that tick is drawn from the held input, at the same steady speed, 107 per tick.
  const x1 = h.client.view(now + 40).local!.fields[0]!;
  assert.ok(x1 > 16000 + 107 * n, `drawn at ${x1}`);
  assert.ok(Math.abs(x1 - x0 - (107 * 40) / (1000 / 30)) < 1e-6, `moved ${x1 - x0} in 40 ms`);
  assert.equal(h.client.view(now).local?.fields[0], x0, "a frame at the same time draws the same place");
  let last: SentInput | undefined;
  h.client.on("input", (i) => (last = i));
  h.sched.advance(40);
  const newest = s.frames("input").at(-1)!.seq;
  assert.ok(newest > inputs.length);
  assert.equal(last?.seq, newest);
  assert.equal(last?.tick, s.frames("input").at(-1)!.tick);
  assert.deepEqual(last?.values, [1, 0, 100, 0]);
  assert.equal(last?.local?.[0], 16000 + 107 * newest, "the predicted fields after the input");
});

test("out-of-range held input is clamped to Welcome.input", () => {
  const h = harness();
  h.client.connect();
  h.sock().open();
  h.sock().deliver({ msg: { case: "welcome", value: welcome() } });
  h.client.setInput([5, -9, 70000, 3]);
  h.sched.advance(80);
  assert.deepEqual(h.sock().frames("input")[1]!.values, [1, -1, 65535, 1]);
});

test("deltas apply to the held baseline; hash mismatches are counted; a wrong baseline resyncs by resuming", () => {
  const h = harness();
  h.client.connect();
  const s = h.sock();
  s.open();
  s.deliver({ msg: { case: "welcome", value: welcome() } });
  const w1: World = { tick: 100, entities: [player(1, 100, 100), player(2, 5000, 5000, 10, 0)] };
  const w2: World = { tick: 101, entities: [player(1, 100, 100), player(2, 5010, 5000, 10, 0)] };
  const w3: World = { tick: 103, entities: [player(1, 100, 100), player(2, 5000, 5000, -10, 0)] };
  sendSnapshot(s, EMPTY_WORLD, w1, 0);
  sendSnapshot(s, w1, w2, 0, codec.hash(w2));
  assert.equal(h.client.world.tick, 101);
  assert.deepEqual(Array.from(h.client.world.entities[1]!.fields), [5010, 5000, 10, 0, 0, 100, 0]);
  sendSnapshot(s, w2, w3, 0, 12345);
  assert.equal(h.client.stats().hashMismatches, 1);
  assert.equal(h.client.stats().hashChecks, 2);
  // A delta against tick 102, which the client does not hold.
  sendSnapshot(s, { tick: 102, entities: w3.entities }, { tick: 104, entities: w3.entities }, 0);
  assert.equal(h.client.stats().decodeErrors, 1);
  assert.equal(h.client.state.kind, "reconnecting");
  h.sched.advance(10);
  assert.equal(h.sockets.length, 2, "resumed to get a full snapshot");
});

test("resume: a dropped socket reconnects with the resume token and resends unacknowledged inputs", () => {
  const h = harness();
  h.client.setInput([0, 1, 0, 0]);
  const reported: number[] = [];
  h.client.on("input", (i) => reported.push(i.seq));
  h.client.connect();
  let s = h.sock();
  s.open();
  s.deliver({ msg: { case: "welcome", value: welcome() } });
  const w1: World = { tick: 100, entities: [player(1, 16000, 16000)] };
  sendSnapshot(s, EMPTY_WORLD, w1, 0);
  h.sched.advance(200); // ~6 inputs
  const sentBefore = s.frames("input").map((i) => i.seq);
  assert.ok(sentBefore.length >= 6);
  // The server applied the first two, then the connection died.
  const w2: World = { tick: s.frames("input")[1]!.tick, entities: [player(1, 16000, 16000 + 2 * 107, 0, 107)] };
  sendSnapshot(s, w1, w2, 2);
  s.serverClose(1006);
  assert.equal(h.client.state.kind, "reconnecting");
  const rec = h.client.state as Extract<ConnectionState, { kind: "reconnecting" }>;
  assert.equal(rec.attempt, 1);
  assert.equal(rec.deadlineMs, h.sched.now() + 10000);
  h.sched.advance(1);
  assert.equal(h.sockets.length, 2);
  s = h.sock();
  assert.equal(s.url, "ws://test/ws", "the token is never in the URL");
  s.open();
  const join = s.frames("join")[0]!;
  assert.deepEqual(join.target, { case: "resumeToken", value: new Uint8Array([1, 2, 3]) });
  // The server had applied up to 4 when the socket died; the client resends 5.. at once, before new inputs.
  const ticksBefore = new Map(h.sockets[0]!.frames("input").map((i) => [i.seq, i.tick]));
  s.deliver({ msg: { case: "welcome", value: welcome({ resumed: true, lastInputSeq: 4, resumeToken: new Uint8Array([9]), tick: 130 }) } });
  assert.equal(h.client.state.kind, "playing");
  const expectResent = sentBefore.filter((q) => q > 4);
  // Resent at once, same seq, re-addressed to consecutive fresh ticks after the room's tick 130.
  const resentFrames = s.frames("input");
  assert.equal(resentFrames.length, expectResent.length);
  resentFrames.forEach((f, i) => {
    assert.equal(f.seq, expectResent[i]);
    assert.equal(f.tick, resentFrames[0]!.tick + i);
    assert.ok(f.tick > ticksBefore.get(f.seq)!);
  });
  assert.ok(resentFrames[0]!.tick > 130);
  h.sched.advance(100);
  const resent = s.frames("input").map((i) => i.seq);
  assert.deepEqual(resent.slice(0, expectResent.length), expectResent);
  assert.ok(resent.length > expectResent.length, "and carries on with new inputs");
  assert.equal(resent[expectResent.length], sentBefore[sentBefore.length - 1]! + 1, "seq keeps increasing");
  assert.equal(h.client.stats().resumes, 1);
  // The "input" event reports each input once, when first sent: never the resends.
  assert.deepEqual(reported, [...sentBefore, ...resent.slice(expectResent.length)]);
  // The resumed full snapshot agrees with the prediction: no correction.
  const lastSeq = resent[resent.length - 1]!;
  const w3: World = { tick: s.frames("input").at(-1)!.tick, entities: [player(1, 16000, 16000 + lastSeq * 107, 0, 107)] };
  sendSnapshot(s, EMPTY_WORLD, w3, lastSeq);
  assert.equal(h.client.stats().corrections, 0);
  // The next drop uses the rotated token.
  s.serverClose(4001, "heartbeat timeout");
  h.sched.advance(1);
  h.sock().open();
  assert.deepEqual(h.sock().frames("join")[0]!.target, { case: "resumeToken", value: new Uint8Array([9]) });
  assert.deepEqual(h.states.map((x) => x.kind), ["connecting", "playing", "reconnecting", "playing", "reconnecting"]);
});

test("terminal close codes stop the client; Disconnect's code wins over the socket's", () => {
  const h = harness();
  h.client.connect();
  const s = h.sock();
  s.open();
  s.deliver({ msg: { case: "welcome", value: welcome() } });
  s.deliver({ msg: { case: "disconnect", value: { code: 4503, reason: "superseded", reconnect: false } } });
  s.serverClose(1006);
  assert.deepEqual(h.client.state, { kind: "closed", code: 4503, reason: "superseded", reconnect: false });
  h.sched.advance(30000);
  assert.equal(h.sockets.length, 1, "no retry");
});

test("resume gives up when the grace period ends", () => {
  const h = harness();
  h.client.connect();
  h.sock().open();
  h.sock().deliver({ msg: { case: "welcome", value: welcome({ graceMs: 3000 }) } });
  h.sock().serverClose(1001, "going away");
  for (let i = 0; i < 20 && h.client.state.kind === "reconnecting"; i++) {
    h.sched.advance(2000);
    h.sock().serverClose(1006); // every attempt fails before opening
  }
  const st = h.client.state;
  assert.equal(st.kind, "closed");
  assert.equal(st.kind === "closed" && st.reconnect, true);
  assert.ok(h.sockets.length >= 3 && h.sockets.length <= 6, `${h.sockets.length} attempts`);
  assert.ok(h.sched.now() - 1000 <= 3000 + 2000);
});

test("a refused resume (4505 expired) is terminal", () => {
  const h = harness();
  h.client.connect();
  h.sock().open();
  h.sock().deliver({ msg: { case: "welcome", value: welcome() } });
  h.sock().serverClose(1006);
  h.sched.advance(1);
  h.sock().open();
  h.sock().deliver({ msg: { case: "disconnect", value: { code: 4505, reason: "resume expired" } } });
  h.sock().serverClose(4505, "resume expired");
  assert.deepEqual(h.client.state, { kind: "closed", code: 4505, reason: "resume expired", reconnect: false });
});

test("Leave sends a Leave frame and closes without reconnecting", () => {
  const h = harness();
  h.client.connect();
  const s = h.sock();
  s.open();
  s.deliver({ msg: { case: "welcome", value: welcome() } });
  h.client.leave();
  assert.equal(s.frames("leave").length, 1);
  assert.equal(h.client.state.kind, "closed");
  h.sched.advance(5000);
  assert.equal(h.sockets.length, 1);
});

test("Pong gives RTT", () => {
  const h = harness();
  h.client.connect();
  const s = h.sock();
  s.open();
  s.deliver({ msg: { case: "welcome", value: welcome() } });
  const ping = s.frames("ping")[0]!;
  h.sched.advance(80);
  s.deliver({ msg: { case: "pong", value: { clientTimeUs: ping.clientTimeUs, serverTimeUs: 1_700_000_000_000_000n, serverTick: 200 } } });
  assert.equal(h.client.stats().rttMs, 80);
  assert.ok(Math.abs(h.client.serverTick() - 201.2) < 0.01, String(h.client.serverTick()));
  // The server read its clock mid-way through the round trip, 40 ms ago.
  assert.equal(h.client.serverTimeMs(), 1_700_000_000_000 + 40);
});

test("a game without inputs is kept alive by pings within the heartbeat interval", () => {
  const h = harness();
  h.client.connect();
  const s = h.sock();
  s.open();
  s.deliver({ msg: { case: "welcome", value: welcome({ input: [], heartbeatMs: 900 }) } });
  h.sched.advance(3000);
  assert.equal(s.frames("input").length, 0);
  const pings = s.frames("ping").length;
  assert.ok(pings >= 10 && pings <= 11, `${pings} pings in 3 s`);
});

test("without a prediction model the local player is drawn interpolated, once", () => {
  const sched = new FakeScheduler();
  let sock: FakeSocket | undefined;
  const client = new TickwireClient({ url: "ws://t/ws", join: { joinToken: "jt" }, scheduler: sched, socket: (u) => (sock = new FakeSocket(u)) });
  client.connect();
  sock!.open();
  assert.deepEqual(sock!.frames("join")[0]!.target, { case: "joinToken", value: "jt" });
  sock!.deliver({ msg: { case: "welcome", value: welcome() } });
  sendSnapshot(sock!, EMPTY_WORLD, { tick: 100, entities: [player(1, 10, 10), player(2, 20, 20)] }, 0);
  const v = client.view(sched.now());
  assert.equal(v.local?.id, 1);
  assert.deepEqual(v.entities.map((e) => e.id), [2]);
});

test("messages: sendMessage writes a Message frame with increasing seq; targeted events are also emitted as targetedEvent", () => {
  const h = harness();
  h.client.connect();
  const s = h.sock();
  s.open();
  assert.throws(() => h.client.sendMessage("chat", "too early"), /not playing/);
  s.deliver({ msg: { case: "welcome", value: welcome({ maxMessageBytes: 8, messageRate: 20, messageBurst: 40 }) } });
  assert.equal(h.client.sendMessage("chat", "hi"), 1);
  assert.equal(h.client.sendMessage("ready"), 2);
  assert.equal(h.client.sendMessage("buy", new Uint8Array([1, 2, 3])), 3);
  const msgs = s.frames("message");
  assert.deepEqual(msgs.map((m) => [m.type, Array.from(m.payload), m.seq]), [
    ["chat", [104, 105], 1],
    ["ready", [], 2],
    ["buy", [1, 2, 3], 3],
  ]);
  assert.throws(() => h.client.sendMessage("", "x"), /type/);
  assert.throws(() => h.client.sendMessage("t".repeat(33)), /type/);
  assert.throws(() => h.client.sendMessage("chat", "123456789"), /larger than 8/); // Welcome.max_message_bytes
  assert.equal(s.frames("message").length, 3);

  const all: string[] = [];
  const targeted: string[] = [];
  h.client.on("event", (e) => all.push(e.type));
  h.client.on("targetedEvent", (e) => targeted.push(`${e.type}:${new TextDecoder().decode(e.payload)}`));
  s.deliver({ msg: { case: "event", value: { tick: 101, type: "chat", playerId: 2, payload: new TextEncoder().encode("gg") } } });
  s.deliver({ msg: { case: "event", value: { tick: 101, type: "message_refused", playerId: 1, args: [2], targeted: true, payload: new TextEncoder().encode("no") } } });
  assert.deepEqual(all, ["chat", "message_refused"]);
  assert.deepEqual(targeted, ["message_refused:no"]);
});

test("messages: the Message frame and a targeted Event are the bytes the Go server reads and writes", () => {
  const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  const unhex = (s: string) => Uint8Array.from(s.match(/../g)!, (x) => parseInt(x, 16));
  const h = harness();
  h.client.connect();
  const s = h.sock();
  s.open();
  s.deliver({ msg: { case: "welcome", value: welcome() } });
  let raw: Uint8Array | undefined;
  const send = s.send.bind(s);
  s.send = (d) => { raw = d; send(d); };
  h.client.sendMessage("chat", "gg");
  assert.equal(hex(raw!), "3a0c0a0463686174120267671801"); // proto.Marshal of the same ClientFrame in Go
  const seen: EventMsg[] = [];
  h.client.on("targetedEvent", (e) => seen.push(e));
  s.onmessage?.({ data: unhex("1a1008651204636861741802320267673801").buffer }); // the room's eventFrame (room TestEventFrameBytes)
  assert.equal(seen.length, 1);
  assert.deepEqual([seen[0]!.tick, seen[0]!.type, seen[0]!.playerId, new TextDecoder().decode(seen[0]!.payload)], [101, "chat", 2, "gg"]);
});

test("4003 (moved): a join is sent again, with the same join token, to the node named in the reason", () => {
  const h = harness({ join: { joinToken: "tok-1" } });
  h.client.connect();
  let s = h.sock();
  s.open();
  assert.deepEqual(s.frames("join")[0]!.target, { case: "joinToken", value: "tok-1" });
  s.deliver({ msg: { case: "disconnect", value: { code: 4003, reason: "ws://node-b:8081/ws", reconnect: true } } });
  s.serverClose(4003, "ws://node-b:8081/ws");
  assert.notEqual(h.client.state.kind, "closed");
  h.sched.advance(1);
  assert.equal(h.sockets.length, 2);
  s = h.sock();
  assert.equal(s.url, "ws://node-b:8081/ws");
  s.open();
  assert.deepEqual(s.frames("join")[0]!.target, { case: "joinToken", value: "tok-1" });
  s.deliver({ msg: { case: "welcome", value: welcome() } });
  assert.equal(h.client.state.kind, "playing");
});

test("a node that cannot be reached: the resume goes through Welcome.nodes, waits out 4004, follows 4003", () => {
  const h = harness();
  h.client.connect();
  let s = h.sock();
  s.open();
  s.deliver({ msg: { case: "welcome", value: welcome({ graceMs: 10000, nodes: ["ws://node-b/ws", "ws://node-c/ws"] }) } });
  s.serverClose(1006); // the node died
  assert.equal(h.client.state.kind, "reconnecting");
  h.sched.advance(1);
  s = h.sock();
  assert.equal(s.url, "ws://test/ws", "a dropped connection is first resumed where it was");
  s.serverClose(1006); // refused: the node is gone
  h.sched.advance(300);
  s = h.sock();
  assert.equal(s.url, "ws://node-b/ws");
  s.open();
  assert.deepEqual(s.frames("join")[0]!.target, { case: "resumeToken", value: new Uint8Array([1, 2, 3]) });
  s.deliver({ msg: { case: "disconnect", value: { code: 4004, reason: "being recovered", reconnect: true } } });
  s.serverClose(4004);
  assert.equal(h.client.state.kind, "reconnecting", "4004 is retried");
  h.sched.advance(600);
  s = h.sock();
  assert.equal(s.url, "ws://node-b/ws");
  s.open();
  s.deliver({ msg: { case: "disconnect", value: { code: 4003, reason: "ws://node-c/ws", reconnect: true } } });
  s.serverClose(4003);
  h.sched.advance(1100);
  s = h.sock();
  assert.equal(s.url, "ws://node-c/ws");
  s.open();
  s.deliver({ msg: { case: "welcome", value: welcome({ resumed: true }) } });
  assert.equal(h.client.state.kind, "playing");
});

test("4003 (moved) while playing: the client resumes on the named node; redirects are bounded", () => {
  const h = harness();
  h.client.connect();
  let s = h.sock();
  s.open();
  s.deliver({ msg: { case: "welcome", value: welcome() } });
  s.deliver({ msg: { case: "disconnect", value: { code: 4003, reason: "wss://node-c.example/ws", reconnect: true } } });
  s.serverClose(4003);
  assert.equal(h.client.state.kind, "reconnecting");
  h.sched.advance(1);
  s = h.sock();
  assert.equal(s.url, "wss://node-c.example/ws");
  s.open();
  assert.deepEqual(s.frames("join")[0]!.target, { case: "resumeToken", value: new Uint8Array([1, 2, 3]) });
  // Nodes that keep answering 4003 without a Welcome are followed at most three times; then the URL stays.
  for (let i = 0; i < 5; i++) {
    s.deliver({ msg: { case: "disconnect", value: { code: 4003, reason: `ws://hop${i}/ws`, reconnect: true } } });
    s.serverClose(4003);
    h.sched.advance(2000);
    s = h.sock();
    s.open();
  }
  assert.equal(s.url, "ws://hop1/ws", "the first redirect and two more were followed");
});
