// Hand-written fakes for the client tests: a manual clock with timers and a scripted WebSocket.
import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { ClientFrameSchema, ServerFrameSchema, type ClientFrame } from "../src/gen/tickwire_pb";
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

/** A WebSocket the test drives: it records what the client sends and delivers what the test says the server sends. */
export class FakeSocket implements SocketLike {
  binaryType = "blob";
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: SocketMessageEvent) => void) | null = null;
  onclose: ((ev: SocketCloseEvent) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  readonly sent: ClientFrame[] = [];
  closedByClient: { code?: number; reason?: string } | undefined;

  constructor(readonly url: string) {}

  send(data: Uint8Array<ArrayBuffer>): void {
    if (this.readyState !== 1) throw new Error("send on a socket that is not open");
    this.sent.push(fromBinary(ClientFrameSchema, data));
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
