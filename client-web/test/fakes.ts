// Hand-written fakes for the client tests: a manual clock with timers and a scripted WebSocket.
import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { ClientFrameSchema, ServerFrameSchema, WelcomeSchema, type ClientFrame } from "../src/gen/tickwire_pb";
import type { Entity } from "../src/sdk/snapcodec";
import type { Scheduler, SocketCloseEvent, SocketLike, SocketMessageEvent, TimerHandle } from "../src/sdk/transport";

interface Timer {
  id: number;
  at: number;
  every: number; // 0: one-shot
  fn: () => void;
}

type FrameCase = NonNullable<ClientFrame["msg"]["case"]>;
type FrameValue<K extends FrameCase> = Extract<ClientFrame["msg"], { case: K }>["value"];

/** A Scheduler whose time only moves when advance is called; timers fire in time order. */
export class FakeScheduler implements Scheduler {
  t = 1000;
  private timers: Timer[] = [];
  private nextId = 1;

  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.push({ id, at: this.t + Math.max(0, ms), every: 0, fn });
    return id;
  }
  clearTimeout(h: TimerHandle): void {
    this.timers = this.timers.filter((x) => x.id !== h);
  }
  setInterval(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.push({ id, at: this.t + ms, every: Math.max(1, ms), fn });
    return id;
  }
  clearInterval(h: TimerHandle): void {
    this.clearTimeout(h);
  }
  /** Moves time forward by ms without running any timer (a page whose timers are throttled); they run late, next advance. */
  stall(ms: number): void {
    this.t += ms;
  }
  /** Moves time forward by ms, running every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const x of this.timers) if (x.at <= end && (!next || x.at < next.at)) next = x;
      if (!next) break;
      this.t = Math.max(this.t, next.at);
      if (next.every > 0) next.at += next.every;
      else this.timers = this.timers.filter((x) => x !== next);
      next.fn();
    }
    this.t = end;
  }
}

/**
 * A Scheduler over a FakeScheduler whose one-shot timers fire late the way a busy page's do: `late(at)` says when a timer
 * due at `at` runs (never before it). Intervals are passed through.
 */
export class LateTimers implements Scheduler {
  constructor(
    private readonly inner: FakeScheduler,
    private readonly late: (at: number) => number,
  ) {}

  now(): number {
    return this.inner.now();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const at = this.inner.now() + Math.max(0, ms);
    return this.inner.setTimeout(fn, Math.max(at, this.late(at)) - this.inner.now());
  }
  clearTimeout(h: TimerHandle): void {
    this.inner.clearTimeout(h);
  }
  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.inner.setInterval(fn, ms);
  }
  clearInterval(h: TimerHandle): void {
    this.inner.clearInterval(h);
  }
}

/** A WebSocket the test drives: it records what the client sends and delivers what the test says the server sends. */
export class FakeSocket implements SocketLike {
  binaryType = "blob";
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: SocketMessageEvent) => void) | null = null;
  onclose: ((ev: SocketCloseEvent) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  readonly sent: ClientFrame[] = [];
  /** Called with every frame the client sends (a fake server's receive path). */
  onSend: ((f: ClientFrame) => void) | undefined;
  closedByClient: { code?: number; reason?: string } | undefined;

  constructor(readonly url: string) {}

  send(data: Uint8Array<ArrayBuffer>): void {
    if (this.readyState !== 1) throw new Error("send on a socket that is not open");
    const f = fromBinary(ClientFrameSchema, data);
    this.sent.push(f);
    this.onSend?.(f);
  }
  close(code?: number, reason?: string): void {
    this.closedByClient = { code, reason };
    this.readyState = 3;
  }

  /** The server accepts the connection. */
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  /** The server sends one ServerFrame, optionally with extra bytes appended (the per-player last_input_seq). */
  deliver(msg: MessageInitShape<typeof ServerFrameSchema>, extra?: Uint8Array): void {
    const b = toBinary(ServerFrameSchema, create(ServerFrameSchema, msg));
    const all = new Uint8Array(b.length + (extra?.length ?? 0));
    all.set(b);
    if (extra) all.set(extra, b.length);
    this.onmessage?.({ data: all.buffer });
  }
  /** The connection closes from the server's side (or dies: 1006). */
  serverClose(code: number, reason = ""): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  /** The frames of one kind the client sent. */
  frames<K extends FrameCase>(kind: K): FrameValue<K>[] {
    const out: FrameValue<K>[] = [];
    for (const f of this.sent) if (f.msg.case === kind) out.push(f.msg.value as unknown as FrameValue<K>);
    return out;
  }
}

/** Field 15 (last_input_seq) as the server appends it to a shared snapshot: 0x78 + uvarint. */
export function lastInputSeqBytes(seq: number): Uint8Array {
  const out = [0x78];
  let v = seq >>> 0;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Uint8Array.from(out);
}

/** What a FakeRoom recorded about one input. */
export interface RoomInput {
  readonly seq: number;
  readonly tick: number;
  /** Due time of its tick minus arrival time, ms. */
  readonly leadMs: number;
  readonly arrivedMs: number;
  readonly verdict: "applied" | "late" | "early" | "duplicate" | "cleared";
}

/** Options of a FakeRoom. */
export interface FakeRoomOptions {
  readonly sched: FakeScheduler;
  readonly tickRate?: number;
  /** A snapshot every this many ticks (default 1). */
  readonly snapshotEvery?: number;
  /** One-way delay of each frame, client to room and room to client (ms); frames stay in order (TCP). */
  readonly upMs: () => number;
  readonly downMs: () => number;
  /** The room's tick at time 0 of the scheduler's clock (default 0): tick k is due at (k - startTick) * tickMs. */
  readonly startTick?: number;
  /** The Welcome's kinds, input fields and params, and the player's entity and its rule for one input. */
  readonly welcome: (resumed: boolean, tick: number, lastInputSeq: number) => MessageInitShape<typeof WelcomeSchema>;
  readonly encode: (base: { tick: number; entities: readonly Entity[] }, world: { tick: number; entities: readonly Entity[] }) => Uint8Array;
  readonly player: Int32Array;
  readonly apply: (fields: Int32Array, values: readonly number[]) => void;
  /** How many ticks ahead an input may be addressed (default 30). */
  readonly inputWindow?: number;
}

/**
 * A room on the fake clock, the way the Tickwire room treats one player's inputs: a buffer keyed by tick, exactly one
 * input applied per tick (the input for it or the last applied one again), late, early and duplicate inputs dropped,
 * the least input lead reported about every 100 ms, last_input_seq with every snapshot, Pong with the room's tick, and
 * Welcome + full snapshot on Join (a resume clears the buffered inputs). Frames travel with the given delays, in order;
 * killing the connection loses every frame in flight.
 */
export class FakeRoom {
  readonly inputs: RoomInput[] = [];
  /** Reported leads (ms) in the order sent. */
  readonly reports: number[] = [];
  tick: number;
  missed = 0;
  private readonly o: FakeRoomOptions;
  private readonly tickMs: number;
  private readonly buffer = new Map<number, { seq: number; tick: number; values: readonly number[]; leadMs: number; at: number }>();
  private lastValues: readonly number[] = [];
  private lastApplied = 0;
  private prevSeq = 0;
  private prevTick = 0;
  private sock: FakeSocket | undefined;
  private joined = false;
  private conn = 0;
  private upAt = 0;
  private downAt = 0;
  private minLead = Infinity;
  private lastReportAt = -Infinity;
  private base: { tick: number; entities: readonly Entity[] } = { tick: 0, entities: [] };
  private readonly appliedSeqs = new Map<number, number>();

  constructor(o: FakeRoomOptions) {
    this.o = o;
    this.tickMs = 1000 / (o.tickRate ?? 30);
    this.tick = o.startTick ?? 0;
    const loop = () => {
      this.step();
      o.sched.setTimeout(loop, this.dueMs(this.tick + 1) - o.sched.now());
    };
    o.sched.setTimeout(loop, this.dueMs(this.tick + 1) - o.sched.now());
  }

  /** How many times each seq was applied. */
  get applied(): ReadonlyMap<number, number> {
    return this.appliedSeqs;
  }

  /** The local time tick k is due. */
  dueMs(k: number): number {
    return (k - (this.o.startTick ?? 0)) * this.tickMs;
  }

  /** Serves a socket the client opened: accepts it at once. */
  attach(s: FakeSocket): void {
    const conn = ++this.conn;
    this.sock = s;
    this.joined = false;
    this.upAt = this.downAt = 0;
    this.base = { tick: 0, entities: [] };
    s.onSend = (f) => {
      const at = Math.max(this.upAt, this.o.sched.now() + this.o.upMs());
      this.upAt = at;
      this.o.sched.setTimeout(() => {
        if (this.conn === conn) this.receive(f);
      }, at - this.o.sched.now());
    };
    s.open();
  }

  /** The connection dies: frames in flight are lost, the socket closes (1006), the room forgets buffered inputs. */
  kill(): void {
    const s = this.sock;
    this.conn++;
    this.sock = undefined;
    for (const b of this.buffer.values()) this.record(b.seq, b.tick, b.leadMs, "cleared", b.at);
    this.buffer.clear();
    this.prevSeq = this.lastApplied;
    this.lastValues = []; // the room fills with the neutral input after a disconnect
    this.minLead = Infinity; // and reports only the new connection's inputs
    s?.serverClose(1006);
  }

  private send(msg: MessageInitShape<typeof ServerFrameSchema>): void {
    const s = this.sock;
    const conn = this.conn;
    if (!s) return;
    const at = Math.max(this.downAt, this.o.sched.now() + this.o.downMs());
    this.downAt = at;
    const bytes = toBinary(ServerFrameSchema, create(ServerFrameSchema, msg));
    this.o.sched.setTimeout(() => {
      if (this.conn === conn) s.onmessage?.({ data: bytes.slice().buffer });
    }, at - this.o.sched.now());
  }

  private record(seq: number, tick: number, leadMs: number, verdict: RoomInput["verdict"], at = this.o.sched.now()): void {
    this.inputs.push({ seq, tick, leadMs, arrivedMs: at, verdict });
  }

  private receive(f: ClientFrame): void {
    const m = f.msg;
    const now = this.o.sched.now();
    if (m.case === "join") {
      this.joined = true;
      const resumed = m.value.target.case === "resumeToken";
      this.send({ msg: { case: "welcome", value: this.o.welcome(resumed, this.tick, this.lastApplied) } });
      this.sendSnapshot();
    } else if (m.case === "ping") {
      this.send({ msg: { case: "pong", value: { clientTimeUs: m.value.clientTimeUs, serverTimeUs: BigInt(Math.round(now * 1000)), serverTick: this.tick } } });
    } else if (m.case === "input") {
      const inp = m.value;
      const lead = this.dueMs(inp.tick) - now;
      if (inp.seq <= this.prevSeq || inp.tick <= this.prevTick) return this.record(inp.seq, inp.tick, lead, "duplicate");
      this.prevSeq = inp.seq;
      this.prevTick = inp.tick;
      this.minLead = Math.min(this.minLead, lead);
      if (inp.tick <= this.tick) return this.record(inp.seq, inp.tick, lead, "late");
      if (inp.tick > this.tick + (this.o.inputWindow ?? 30)) return this.record(inp.seq, inp.tick, lead, "early");
      this.buffer.set(inp.tick, { seq: inp.seq, tick: inp.tick, values: inp.values, leadMs: lead, at: now });
    }
  }

  private step(): void {
    this.tick++;
    if (!this.sock || !this.joined) return; // in the grace period: no input, no fill
    const b = this.buffer.get(this.tick);
    this.buffer.delete(this.tick);
    if (b) {
      this.lastValues = b.values;
      this.lastApplied = b.seq;
      this.appliedSeqs.set(b.seq, (this.appliedSeqs.get(b.seq) ?? 0) + 1);
      this.record(b.seq, b.tick, b.leadMs, "applied", b.at);
    } else this.missed++;
    this.o.apply(this.o.player, this.lastValues);
    if (this.tick % (this.o.snapshotEvery ?? 1) === 0) this.sendSnapshot();
  }

  private sendSnapshot(): void {
    const world = { tick: this.tick, entities: [{ id: 1, kind: 1, fields: this.o.player.slice() }] };
    const entities = this.o.encode(this.base, world);
    const now = this.o.sched.now();
    let inputLeadUs = 0;
    if (now - this.lastReportAt >= 100 && this.minLead !== Infinity) {
      inputLeadUs = Math.round(this.minLead * 1000) || 1;
      this.reports.push(this.minLead);
      this.minLead = Infinity;
      this.lastReportAt = now;
    }
    this.send({
      msg: { case: "snapshot", value: { tick: this.tick, baselineTick: this.base.tick, entities } },
      lastInputSeq: this.lastApplied,
      inputLeadUs,
    });
    this.base = world;
  }
}

/** A small deterministic PRNG (mulberry32) returning [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
