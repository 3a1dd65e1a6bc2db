/**
 * TickwireClient: one player's connection to a Tickwire room, with the netcode a player feels.
 *
 * It connects over WebSocket (protocol version 2), sends Hello and Join, keeps the authoritative world from full and
 * delta snapshots, verifies state hashes, measures RTT with Ping/Pong, predicts the local player (when given a
 * PredictionModel) and interpolates everything else.
 *
 * Inputs are addressed to ticks. An input clock (InputClock) runs a little ahead of the room so that the input for
 * tick k arrives just before k is due: it starts from Welcome.tick and the RTT, and holds a target lead (a safety
 * margin plus the jitter of the leads the room reports in ServerFrame.input_lead_us) with at most 5% time dilation.
 * The held input is sent once per tick of that clock with the moment being drawn (render_tick, render_frac) and the
 * latest snapshot tick (an implicit Ack). A page whose timers stall (a background tab) sends at most two inputs when it
 * wakes and skips the ticks it missed, which the room fills.
 *
 * A dropped socket is resumed automatically within the grace period with the latest resume token; the inputs the room
 * has not applied (seq above Welcome.last_input_seq) are resent with the same seq, re-addressed to fresh ticks of the
 * re-synced clock, so each is applied once or reported late. Terminal close codes (4500-4999, 1002, 1003, 1007, 1009)
 * stop it.
 *
 * The client is single-threaded like the page that uses it; nothing is safe to share with a worker.
 *
 * @module
 */
import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import {
  ClientFrameSchema,
  InputFill,
  ProtocolVersion,
  ServerFrameSchema,
  type Event as EventMsg,
  type MatchResult,
  type Snapshot,
  type Welcome,
} from "../gen/tickwire_pb";
import { Emitter } from "./emitter";
import { Interpolator, type RenderEntity } from "./interpolation";
import { InputClock, NetClock, RateMeter } from "./clock";
import { Predictor, type PredictionModel } from "./prediction";
import { EMPTY_WORLD, SnapCodec, diffWorlds, findEntity, type Entity, type World } from "./snapcodec";
import { SOCKET_OPEN, browserSocket, realScheduler, type Scheduler, type SocketFactory, type SocketLike, type TimerHandle } from "./transport";

/** How to get a slot: quick play in a mode, a join token from a matchmaker, or a resume token from a Welcome. */
export type JoinTarget = { readonly mode: string } | { readonly joinToken: string } | { readonly resumeToken: Uint8Array };

/** The connection's state; the client emits "state" on every change. */
export type ConnectionState =
  | { readonly kind: "idle" }
  | { readonly kind: "connecting" }
  | { readonly kind: "playing"; readonly playerId: number; readonly roomId: string; readonly resumed: boolean }
  | {
      readonly kind: "reconnecting";
      /** 1 for the first attempt after the drop. */
      readonly attempt: number;
      /** The close code that dropped the connection (1006 when the socket just died). */
      readonly code: number;
      readonly reason: string;
      /** Local time (ms) when the grace period ends. */
      readonly deadlineMs: number;
    }
  | {
      readonly kind: "closed";
      readonly code: number;
      readonly reason: string;
      /** Whether the code allows joining again later (a reconnectable code whose resume could not be made). */
      readonly reconnect: boolean;
    };

/** A decoded snapshot, as the "snapshot" event delivers it. */
export interface SnapshotInfo {
  readonly world: World;
  /** The highest input sequence the room has applied for this player. */
  readonly lastInputSeq: number;
  /** Whether it was a full snapshot (baseline 0). */
  readonly full: boolean;
}

/** An input as the "input" event delivers it, when it is first sent (resends after a resume are not reported). */
export interface SentInput {
  readonly seq: number;
  /** The tick it is addressed to. */
  readonly tick: number;
  readonly values: readonly number[];
  /** The scheduler's time when it was sent (the clock view() takes). */
  readonly atMs: number;
  /** The local player's predicted fields after this input, or undefined without a prediction. */
  readonly local: readonly number[] | undefined;
}

/** The events of a TickwireClient and their payloads. */
export interface ClientEvents {
  state: ConnectionState;
  welcome: Welcome;
  snapshot: SnapshotInfo;
  input: SentInput;
  /**
   * A reliable room or game event (player_joined, hit, kill, chat...): every event, broadcast or targeted
   * (event.targeted is true when the game sent it to this player alone or to a set of players).
   */
  event: EventMsg;
  /** Only the targeted events (also emitted as "event"): a game's answer to this player's sendMessage, a private hand. */
  targetedEvent: EventMsg;
  matchResult: MatchResult;
  /**
   * An entity appeared in the client's world (it entered the player's view, or was created), emitted before the
   * "snapshot" event of the snapshot that brought it; an entity whose kind changed exits and enters.
   */
  enter: Entity;
  /** An entity left the client's world (it left the player's view, or was removed): its last known state. */
  exit: Entity;
}

/** Limits of sendMessage when the Welcome does not state them. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024;
export const MAX_MESSAGE_TYPE_BYTES = 32;

/** Network figures for a debug panel. */
export interface NetStats {
  /** Smoothed round-trip time in ms (NaN before the first Pong). */
  readonly rttMs: number;
  /** The smoothed variation between successive round trips, in ms. */
  readonly rttJitterMs: number;
  /** The jitter of snapshot arrivals the interpolator measures, in ms. */
  readonly snapshotJitterMs: number;
  readonly snapshotsPerSecond: number;
  readonly bytesInPerSecond: number;
  readonly bytesOutPerSecond: number;
  /** The latest input lead the room reported (ms; NaN before any) and its smoothed value. */
  readonly inputLeadMs: number;
  readonly inputLeadSmoothedMs: number;
  /** The lead the input clock aims for: safety margin + jitter margin (ms). */
  readonly targetLeadMs: number;
  /** The input clock's current dilation (-0.05..0.05: runs 5% slower..faster than real time). */
  readonly clockDilation: number;
  /** Jumps of the input clock (start, resumes, and re-syncs when far behind). */
  readonly clockResyncs: number;
  /** The interpolation delay behind a snapshot's expected arrival (ms) and the snapshots buffered ahead of it. */
  readonly interpolationDelayMs: number;
  readonly bufferDepth: number;
  /** Frames drawn with remote entities held still, and drawn extrapolated past the newest snapshot. */
  readonly heldFrames: number;
  readonly extrapolatedFrames: number;
  /** Prediction corrections (mispredictions of the local player, smoothed), the largest and the 95th percentile. */
  readonly corrections: number;
  readonly largestCorrection: number;
  readonly correctionP95: number;
  /** Inputs the room dropped as late: for a tick at or before a snapshot's tick, seq above its last_input_seq. */
  readonly lateInputs: number;
  /** Ticks the input clock skipped (a stalled page): the room filled them. */
  readonly skippedTicks: number;
  /** Ticks the room filled for this player, as far as the client can tell: late inputs plus skipped ticks. */
  readonly missedTicks: number;
  /** Unacknowledged inputs a resume could not resend (beyond maxResend or the input window). */
  readonly abandonedInputs: number;
  /** Server moves of the local player too large to smooth (respawns), applied at once. */
  readonly teleports: number;
  /** Snapshots that could not be decoded (corrupt, or not against the baseline held). */
  readonly decodeErrors: number;
  /** Snapshots whose state_hash differed from the decoded world's, and how many were checked. */
  readonly hashMismatches: number;
  readonly hashChecks: number;
  /** Successful resumes. */
  readonly resumes: number;
  /** The latest snapshot's tick. */
  readonly tick: number;
  /** Unacknowledged inputs. */
  readonly pendingInputs: number;
}

/** What to draw at one moment. */
export interface RenderView {
  /** The (fractional) server tick remote entities are drawn at; NaN before the first snapshot. */
  readonly renderTick: number;
  /** Every entity but the local player's, interpolated, ids ascending. */
  readonly entities: readonly RenderEntity[];
  /** The local player's entity: predicted when a PredictionModel is set (else interpolated); undefined when absent. */
  readonly local: RenderEntity | undefined;
}

/** Options of a TickwireClient. */
export interface ClientOptions {
  /** The WebSocket URL, e.g. "ws://127.0.0.1:8080/ws". Tokens never go in it. */
  readonly url: string;
  readonly join: JoinTarget;
  /** Display name (at most 32 bytes). */
  readonly name?: string;
  /**
   * A signed player token from the game's backend (a JWT), sent in Join (quick play, or with a join token) and never
   * in the URL. The server verifies it and the player plays as that user; a refused token closes with 4512
   * (UNAUTHENTICATED) or 4513 (PLAYER_TOKEN_EXPIRED: fetch a fresh one and connect again); once admitted,
   * `welcome.userId` and `welcome.verified` say who the server took the player for. A join token from
   * matchmake with `player_tokens` is already bound to the verified user: no need to send it again.
   */
  readonly playerToken?: string;
  /** Hello.client (default "tickwire-web/0.1"). */
  readonly clientName?: string;
  /** Makes the local player's prediction model from the Welcome (e.g. arenaPrediction); none: no prediction. */
  readonly prediction?: (welcome: Welcome) => PredictionModel | undefined;
  /**
   * A change of an interpolated field larger than this per tick is drawn as a teleport, for fields whose schema gives
   * no teleport threshold (EntityField.teleport wins). Default: none.
   */
  readonly teleportPerTick?: number;
  /** The input clock's safety margin in ms, the lead kept above the jitter margin (default 3). */
  readonly leadSafetyMs?: number;
  /** Ping period in ms (default 1000; shorter when Welcome.heartbeat_ms requires it). */
  readonly pingIntervalMs?: number;
  /** The most unacknowledged inputs resent after a resume (default 15: within the server's input queue). */
  readonly maxResend?: number;
  /** Delays before successive resume attempts, in ms; the last repeats until the grace period ends. */
  readonly reconnectDelaysMs?: readonly number[];
  /** Injected for tests: the WebSocket constructor and the clock. */
  readonly socket?: SocketFactory;
  readonly scheduler?: Scheduler;
}

/** Close codes after which the client must not retry the same request. */
export function isTerminalCode(code: number): boolean {
  return (code >= 4500 && code <= 4999) || code === 1002 || code === 1003 || code === 1007 || code === 1009;
}

/**
 * 4003 (CLOSE_MOVED): the room lives on another node of a cluster; the close reason is that node's ws(s):// URL. The
 * client reconnects there at once with the same join (or resume) token. Reconnectable.
 */
export const CLOSE_MOVED = 4003;

/**
 * 4004 (CLOSE_RECOVERING): the room's node died and a surviving node of the cluster is rebuilding the room. The client
 * retries its resume after the next reconnect delay, within the grace period. Reconnectable.
 */
export const CLOSE_RECOVERING = 4004;

/** The most 4003 redirects followed before a Welcome. */
const MAX_REDIRECTS = 3;

/** The most inputs sent at once when the page's timers stalled. */
const MAX_BURST = 2;

/** The prediction model of a client without one: matches no entity, so the Predictor only keeps the input log. */
const NO_MODEL: PredictionModel = { kind: -1, xField: 0, yField: 0, snapDistance: Infinity, applyInput() {} };

/** One player's connection to a room; see the module documentation. */
export class TickwireClient extends Emitter<ClientEvents> {
  // Static after construction.
  private readonly opts: ClientOptions;
  private readonly sched: Scheduler;
  private readonly socketFactory: SocketFactory;

  // The session, set by each Welcome.
  private welcomeMsg: Welcome | undefined;
  private codec: SnapCodec | undefined;
  private predictor: Predictor | undefined;
  private interp: Interpolator | undefined;
  private clock: NetClock | undefined;
  private inputClock: InputClock | undefined;
  private resumeToken: Uint8Array | undefined;
  private tickMs = 1000 / 30;

  // The connection.
  private ws: SocketLike | undefined;
  private st: ConnectionState = { kind: "idle" };
  private msgSeq = 0; // the last Message.seq sent
  private lastDisconnect: { code: number; reason: string } | undefined;
  /** The server's URL: opts.url until a 4003 moves the client to the room's node. */
  private socketUrl: string;
  private redirects = 0; // 4003 redirects followed since the last Welcome
  private nodeTries = 0; // the cluster nodes tried by a resume whose node could not be reached (Welcome.nodes)
  private stopped = false;
  private dropAt = 0;
  private attempt = 0;
  private retryTimer: TimerHandle | undefined;
  private pumpTimer: TimerHandle | undefined;
  private pumpAt = NaN;
  private helloAt = NaN;

  // Game state.
  private worldState: World = EMPTY_WORLD;
  /** The last world the application was shown: "enter" and "exit" compare each snapshot with it, across resumes. */
  private shownWorld: World = EMPTY_WORLD;
  private seq = 0;
  private held: number[] = [];
  // The last tick an input was addressed to (strictly increasing across connections), and on this connection (0: none).
  private lastTick = 0;
  private connLastTick = 0;
  private predicting = false;
  private nextPingAt = 0;
  private readonly pingSent = new Map<bigint, number>();
  private matchEnded: MatchResult | undefined;
  private lastRenderTick = NaN;
  // The input clock's jumpedTicks the drawing has followed.
  private drawnJumps = 0;

  // Figures.
  private readonly snapMeter = new RateMeter();
  private readonly inMeter = new RateMeter();
  private readonly outMeter = new RateMeter();
  private decodeErrors = 0;
  private hashMismatches = 0;
  private hashChecks = 0;
  private resumes = 0;
  private skippedTicks = 0;
  private abandonedInputs = 0;

  constructor(opts: ClientOptions) {
    super();
    this.opts = opts;
    this.socketUrl = opts.url;
    this.sched = opts.scheduler ?? realScheduler;
    this.socketFactory = opts.socket ?? browserSocket;
    if ("resumeToken" in opts.join) this.resumeToken = opts.join.resumeToken;
  }

  /** The connection state. */
  get state(): ConnectionState {
    return this.st;
  }

  /** The local player's id (0 before the first Welcome). */
  get playerId(): number {
    return this.welcomeMsg?.playerId ?? 0;
  }

  /** The latest Welcome (game schema, params, rates). */
  get welcome(): Welcome | undefined {
    return this.welcomeMsg;
  }

  /** The latest authoritative world. */
  get world(): World {
    return this.worldState;
  }

  /** The snapshot codec of the current session (built from Welcome.kinds). */
  get snapCodec(): SnapCodec | undefined {
    return this.codec;
  }

  /** The match result, once the match has ended. */
  get matchResult(): MatchResult | undefined {
    return this.matchEnded;
  }

  /** Opens the connection. Call once. */
  connect(): void {
    if (this.st.kind !== "idle") throw new Error("tickwire: connect called twice");
    this.open();
  }

  /** Sets the held input (one value per Welcome.input field); it is sent every tick until changed. */
  setInput(values: readonly number[]): void {
    this.held = values.slice();
  }

  /**
   * Sends a game message (Message frame) outside the input stream: chat, "ready", "buy item", "play card". type is
   * named by the game (1-32 bytes of UTF-8); payload is bytes or a string (UTF-8), at most Welcome.max_message_bytes
   * (1024 by default). The room hands it to the game at the start of its next tick, before that tick's inputs; the
   * game answers with events ("event", and "targetedEvent" for answers to this player alone).
   *
   * Returns the message's sequence number (Message.seq, from 1), which the game may echo to acknowledge it. Throws
   * when not playing or when type or payload are out of bounds. Not resent after a resume: a message written just
   * before the connection dropped may be lost. More than Welcome.message_rate messages a second (bursts of
   * Welcome.message_burst) close the connection with 4508.
   */
  sendMessage(type: string, payload: Uint8Array | string = new Uint8Array(0)): number {
    const enc = new TextEncoder();
    const typeBytes = enc.encode(type).length;
    if (typeBytes === 0 || typeBytes > MAX_MESSAGE_TYPE_BYTES) throw new Error("tickwire: message type must be 1-32 bytes");
    const body = typeof payload === "string" ? enc.encode(payload) : payload;
    const limit = this.welcomeMsg?.maxMessageBytes || DEFAULT_MAX_MESSAGE_BYTES;
    if (body.length > limit) throw new Error(`tickwire: message payload larger than ${limit} bytes`);
    if (this.st.kind !== "playing" || !this.ws || this.ws.readyState !== SOCKET_OPEN) {
      throw new Error("tickwire: sendMessage while not playing");
    }
    const seq = ++this.msgSeq;
    this.send({ case: "message", value: { type, payload: body, seq } });
    return seq;
  }

  /** Leaves the room at once (no grace period) and closes. */
  leave(): void {
    if (this.ws && this.ws.readyState === SOCKET_OPEN) this.send({ case: "leave", value: {} });
    this.stop(4511, "left", false);
  }

  /** Closes the connection without leaving (the slot stays for the grace period) and does not reconnect. */
  close(): void {
    this.stop(1000, "closed by the client", false);
  }

  /**
   * Drops the socket as a network failure would, so that the client resumes (for tests and debugging). The close is
   * reported to the server as 4000-range "dropped" so that it starts the grace period.
   */
  dropConnection(): void {
    if (!this.ws) return;
    const ws = this.ws;
    this.detach(ws);
    ws.close(4000, "dropped by the client");
    this.onDropped(1006, "connection dropped");
  }

  /** Network figures for a debug panel. */
  stats(): NetStats {
    const now = this.sched.now();
    const ic = this.inputClock;
    const is = this.interp?.stats();
    const late = this.predictor?.lateInputs ?? 0;
    return {
      rttMs: this.clock?.rttMs ?? NaN,
      rttJitterMs: this.clock?.jitterMs ?? NaN,
      snapshotJitterMs: is?.jitterMs ?? NaN,
      snapshotsPerSecond: this.snapMeter.perSecond(now),
      bytesInPerSecond: this.inMeter.perSecond(now),
      bytesOutPerSecond: this.outMeter.perSecond(now),
      inputLeadMs: ic?.lastLeadMs ?? NaN,
      inputLeadSmoothedMs: ic?.smoothedLeadMs ?? NaN,
      targetLeadMs: ic?.targetLeadMs ?? NaN,
      clockDilation: ic?.dilation ?? 0,
      clockResyncs: ic?.resyncs ?? 0,
      interpolationDelayMs: is?.delayMs ?? NaN,
      bufferDepth: is?.bufferDepth ?? 0,
      heldFrames: is?.heldFrames ?? 0,
      extrapolatedFrames: is?.extrapolatedFrames ?? 0,
      corrections: this.predictor?.corrections ?? 0,
      largestCorrection: this.predictor?.largestCorrection ?? 0,
      correctionP95: this.predictor?.correctionP95() ?? 0,
      lateInputs: late,
      skippedTicks: this.skippedTicks,
      missedTicks: late + this.skippedTicks,
      abandonedInputs: this.abandonedInputs,
      teleports: this.predictor?.teleports ?? 0,
      decodeErrors: this.decodeErrors,
      hashMismatches: this.hashMismatches,
      hashChecks: this.hashChecks,
      resumes: this.resumes,
      tick: this.worldState.tick,
      pendingInputs: this.predictor?.unacknowledged.length ?? 0,
    };
  }

  /** The server's estimated (fractional) tick now, from Ping/Pong; NaN before the first Pong. */
  serverTick(): number {
    return this.clock?.serverTick(this.sched.now()) ?? NaN;
  }

  /** The server's estimated clock now (Unix milliseconds), from Ping/Pong; NaN before the first Pong. */
  serverTimeMs(): number {
    return this.clock?.serverTimeMs(this.sched.now()) ?? NaN;
  }

  /**
   * What to draw now: interpolated remote entities and the predicted local player. Call once per frame.
   *
   * The local player is drawn on the input clock's timeline, one tick behind it: the input for tick k is sent when the
   * clock reaches k, and its motion (the predicted positions of ticks k-1 to k) is drawn while the clock runs to k+1.
   * So it moves at the clock's steady speed whatever the send timer does; a send that is late is drawn from the held
   * input it will carry. A jump of the clock (a re-sync) is smoothed like a correction.
   */
  view(nowMs: number = this.sched.now()): RenderView {
    const id = this.playerId;
    const rt = this.interp ? this.interp.renderTick(nowMs) : NaN;
    this.lastRenderTick = rt;
    const p = this.predicting ? this.predictor : undefined;
    const predicted = p?.predicted;
    let pos: { x: number; y: number } | undefined;
    const ic = this.inputClock;
    const jumped = ic ? ic.jumpedTicks - this.drawnJumps : 0;
    if (ic) this.drawnJumps = ic.jumpedTicks;
    if (p && predicted) {
      const at = ic && ic.started ? ic.tick(nowMs) - 1 : NaN;
      const next = this.inputValues();
      if (jumped > 0) p.retime(at - jumped, at, nowMs, next);
      pos = p.position(at, nowMs, next);
    }
    let entities = this.interp ? this.interp.sample(rt, pos ? id : undefined) : [];
    let local: RenderEntity | undefined;
    if (p && predicted && pos) {
      const fields = Float64Array.from(predicted);
      fields[p.model.xField] = pos.x;
      fields[p.model.yField] = pos.y;
      local = { id, kind: p.model.kind, fields };
    } else {
      // No prediction (none configured, or not yet): the local player is drawn interpolated like the others.
      local = entities.find((e) => e.id === id);
      if (local) entities = entities.filter((e) => e !== local);
    }
    return { renderTick: rt, entities, local };
  }

  // --- connection ---

  private setState(s: ConnectionState): void {
    this.st = s;
    this.emit("state", s);
  }

  private open(): void {
    this.lastDisconnect = undefined;
    if (this.st.kind !== "reconnecting") this.setState({ kind: "connecting" });
    let ws: SocketLike;
    try {
      ws = this.socketFactory(this.socketUrl);
    } catch (err) {
      this.onDropped(1006, err instanceof Error ? err.message : "cannot open the socket");
      return;
    }
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => this.onOpen();
    ws.onmessage = (ev) => this.onMessage(ev.data);
    ws.onclose = (ev) => {
      this.detach(ws);
      const d = this.lastDisconnect;
      this.onDropped(d ? d.code : ev.code, d ? d.reason : ev.reason);
    };
    ws.onerror = () => {}; // a close event always follows
  }

  private detach(ws: SocketLike): void {
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    if (this.ws === ws) this.ws = undefined;
    if (this.pumpTimer !== undefined) this.sched.clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    this.pumpAt = NaN;
  }

  private onOpen(): void {
    this.helloAt = this.sched.now();
    const v2 = ProtocolVersion.PROTOCOL_VERSION_2;
    this.send({
      case: "hello",
      value: { protocolVersion: v2, minProtocolVersion: v2, maxProtocolVersion: v2, client: this.opts.clientName ?? "tickwire-web/0.2" },
    });
    const name = this.opts.name ?? "";
    const j = this.opts.join;
    let target: { case: "mode"; value: string } | { case: "joinToken"; value: string } | { case: "resumeToken"; value: Uint8Array };
    if (this.resumeToken) target = { case: "resumeToken", value: this.resumeToken };
    else if ("mode" in j) target = { case: "mode", value: j.mode };
    else if ("joinToken" in j) target = { case: "joinToken", value: j.joinToken };
    else throw new Error("tickwire: no way to join"); // unreachable: a resumeToken target sets this.resumeToken
    this.send({ case: "join", value: { target, name, playerToken: this.opts.playerToken ?? "" } });
  }

  private onDropped(code: number, reason: string): void {
    if (this.stopped) return;
    if (code === CLOSE_MOVED && this.redirects < MAX_REDIRECTS && /^wss?:\/\/[^\s]+$/.test(reason)) {
      this.redirects++;
      this.socketUrl = reason;
      if (!this.resumeToken) {
        // The join itself was answered with the room's node: the same Join goes there, at once.
        this.retryTimer = this.sched.setTimeout(() => {
          this.retryTimer = undefined;
          if (!this.stopped) this.open();
        }, 0);
        return;
      }
      // A resume (or a room that moved): resumed there like after any drop.
    }
    const wasPlaying = this.st.kind === "playing";
    const nodes = this.welcomeMsg?.nodes ?? [];
    if (code === 1006 && this.st.kind === "reconnecting" && this.resumeToken && nodes.length > 0) {
      // The node could not be reached at all (it died): resume through the cluster's other nodes (Welcome.nodes),
      // which answer 4003 with the room's new address, or 4004 while the room is being rebuilt.
      this.socketUrl = nodes[this.nodeTries++ % nodes.length]!;
    }
    if (isTerminalCode(code) || !this.resumeToken || this.matchEnded) {
      this.stop(code, reason, !isTerminalCode(code));
      return;
    }
    const now = this.sched.now();
    if (wasPlaying || this.st.kind !== "reconnecting") {
      this.dropAt = now;
      this.attempt = 0;
    }
    const grace = this.welcomeMsg?.graceMs ?? 0;
    const deadline = this.dropAt + grace;
    const delays = this.opts.reconnectDelaysMs ?? [0, 250, 500, 1000, 2000];
    const delay = delays[Math.min(this.attempt, delays.length - 1)] ?? 1000;
    if (now + delay >= deadline) {
      this.stop(code, reason + " (grace period over)", true);
      return;
    }
    this.attempt++;
    this.setState({ kind: "reconnecting", attempt: this.attempt, code, reason, deadlineMs: deadline });
    this.retryTimer = this.sched.setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped) this.open();
    }, delay);
  }

  private stop(code: number, reason: string, reconnect: boolean): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.retryTimer !== undefined) this.sched.clearTimeout(this.retryTimer);
    const ws = this.ws;
    if (ws) {
      this.detach(ws);
      if (ws.readyState <= SOCKET_OPEN) ws.close(1000, reason.slice(0, 100));
    }
    this.setState({ kind: "closed", code, reason, reconnect });
  }

  private send(msg: MessageInitShape<typeof ClientFrameSchema>["msg"]): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== SOCKET_OPEN) return;
    const bytes = toBinary(ClientFrameSchema, create(ClientFrameSchema, { msg })) as Uint8Array<ArrayBuffer>;
    ws.send(bytes);
    this.outMeter.add(this.sched.now(), bytes.byteLength);
  }

  // --- inbound ---

  private onMessage(data: unknown): void {
    if (!(data instanceof ArrayBuffer)) {
      this.stop(1003, "the server sent a non-binary frame", false);
      return;
    }
    const now = this.sched.now();
    this.inMeter.add(now, data.byteLength);
    let frame;
    try {
      frame = fromBinary(ServerFrameSchema, new Uint8Array(data));
    } catch {
      this.decodeErrors++;
      return;
    }
    const m = frame.msg;
    switch (m.case) {
      case "welcome":
        this.redirects = 0;
        this.onWelcome(m.value, now);
        break;
      case "snapshot":
        this.onSnapshot(m.value, frame.lastInputSeq, now);
        // proto3 cannot tell an absent input_lead_us from 0 µs; a lead of exactly 0 µs is taken as no report.
        if (frame.inputLeadUs !== 0) this.inputClock?.onLeadReport(now, frame.inputLeadUs / 1000, this.clock?.rttMs ?? NaN);
        break;
      case "event":
        this.emit("event", m.value);
        if (m.value.targeted) this.emit("targetedEvent", m.value);
        break;
      case "pong": {
        const sent = this.pingSent.get(m.value.clientTimeUs);
        this.pingSent.delete(m.value.clientTimeUs);
        if (sent !== undefined && this.clock) {
          this.clock.onPong(sent, Number(m.value.serverTimeUs), m.value.serverTick, now);
          // The room's tick is a whole tick read somewhere inside it: half a tick later on average.
          this.inputClock?.refine(now, this.clock.serverTick(now) + 0.5, this.clock.rttMs / 2);
        }
        break;
      }
      case "disconnect":
        this.lastDisconnect = { code: m.value.code, reason: m.value.reason };
        break;
      case "matchResult":
        this.matchEnded = m.value;
        this.emit("matchResult", m.value);
        break;
      default:
        break; // a newer server's message: ignore
    }
    this.pump();
  }

  private onWelcome(w: Welcome, now: number): void {
    const prev = this.welcomeMsg;
    const sameSession = w.resumed && prev !== undefined && prev.roomId === w.roomId && prev.roomEpoch === w.roomEpoch;
    this.welcomeMsg = w;
    this.resumeToken = w.resumeToken.length > 0 ? w.resumeToken.slice() : undefined;
    this.tickMs = 1000 / Math.max(1, w.tickRate);
    this.codec = new SnapCodec(w.kinds.map((k) => ({ id: k.id, name: k.name, fields: k.fields, data: k.data })));
    this.worldState = EMPTY_WORLD;
    this.clock ??= new NetClock(w.tickRate);
    if (!sameSession || !this.interp) {
      const rates = new Map<number, number[]>();
      const wraps = new Map<number, number[]>();
      const teleports = new Map<number, number[]>();
      const fallback = this.opts.teleportPerTick ?? 0;
      for (const k of w.kinds) {
        rates.set(k.id, k.fields.map((f) => f.rateField - 1));
        wraps.set(k.id, k.fields.map((f) => f.wrap));
        teleports.set(k.id, k.fields.map((f) => f.teleport || (f.rateField > 0 ? fallback : 0)));
      }
      this.interp = new Interpolator({ tickRate: w.tickRate, snapshotRate: w.snapshotRate || w.tickRate, rates, wraps, teleports });
    } else {
      // The gap of the resume would be drawn as motion, and its arrival statistics would skew the delay.
      this.interp.reset();
    }
    if (!sameSession || !this.predictor) {
      const model = this.opts.prediction?.(w);
      this.predicting = model !== undefined;
      const neutral = w.input.map((f) => (0 < f.min ? f.min : 0 > f.max ? f.max : 0));
      const kind = model ? w.kinds.find((k) => k.id === model.kind) : undefined;
      const tp = kind ? Math.max(kind.fields[model!.xField]?.teleport ?? 0, kind.fields[model!.yField]?.teleport ?? 0) : 0;
      // Without a model the Predictor still keeps the log of sent inputs (acks, late inputs, resends).
      this.predictor = new Predictor(model ?? NO_MODEL, {
        fill: w.inputFill === InputFill.NEUTRAL ? "neutral" : "repeat",
        neutral,
        teleport: tp > 0 ? tp : undefined,
      });
      this.inputClock = new InputClock({ tickRate: w.tickRate, safetyMs: this.opts.leadSafetyMs });
      this.drawnJumps = 0;
      if (!w.resumed) this.seq = 0;
      this.seq = Math.max(this.seq, w.lastInputSeq);
      if (!sameSession) this.lastTick = 0;
    }
    if (w.resumed) this.resumes++;
    // The input clock: the room was at w.tick, somewhere inside it, half a round trip ago. Assume the end of it: the
    // first inputs then arrive early rather than late, and the reports bring the lead down within a second or two.
    // The handshake's round trip stands in for the RTT until a Pong measures it.
    const rtt = Number.isFinite(this.clock.rttMs) ? this.clock.rttMs : Math.max(0, now - this.helloAt);
    const ic = this.inputClock!;
    ic.start(now, w.tick + 1 + rtt / 2 / this.tickMs, rtt / 2);
    // The tick the clock is in now is already too late to reach the room in time: start with the next.
    this.lastTick = Math.max(this.lastTick, Math.floor(ic.tick(now)));
    this.connLastTick = 0;
    this.setState({ kind: "playing", playerId: w.playerId, roomId: w.roomId, resumed: w.resumed });
    this.emit("welcome", w);
    // Resend what the room has not applied, oldest first, with the same seq, addressed to fresh ticks from the
    // re-synced clock (the room forgot what it had buffered); then carry on after them.
    const p = this.predictor!;
    if (w.resumed && sameSession) {
      p.acknowledge(w.lastInputSeq);
      p.dropPrediction(); // the grace period moved the player without inputs; the full snapshot that follows tells how
      const max = Math.min(this.opts.maxResend ?? 15, w.inputWindow > 1 ? w.inputWindow - 1 : Infinity);
      const n = p.unacknowledged.length;
      if (n > max) this.abandonedInputs += n - max;
      const first = this.lastTick + 1;
      for (const inp of p.readdress(max, first)) {
        this.sendInputFrame(inp.seq, inp.tick, inp.values);
        this.lastTick = this.connLastTick = inp.tick;
      }
    }
    this.nextPingAt = now;
    this.pump();
  }

  private onSnapshot(s: Snapshot, lastInputSeq: number, now: number): void {
    const codec = this.codec;
    if (!codec || !this.interp) return;
    const base = s.baselineTick === 0 ? EMPTY_WORLD : this.worldState;
    if (s.baselineTick !== 0 && s.baselineTick !== this.worldState.tick) {
      this.resync("snapshot against a baseline the client does not hold");
      return;
    }
    let world: World;
    try {
      world = codec.apply(base, s.tick, s.entities);
    } catch {
      this.resync("undecodable snapshot");
      return;
    }
    this.worldState = world;
    this.snapMeter.add(now);
    if (s.stateHash !== undefined) {
      this.hashChecks++;
      if (codec.hash(world) !== s.stateHash) this.hashMismatches++;
    }
    this.interp.push(world, now);
    this.predictor?.reconcile(findEntity(world, this.playerId), world.tick, lastInputSeq, now);
    const shown = this.shownWorld;
    this.shownWorld = world;
    diffWorlds(
      shown,
      world,
      (e) => this.emit("enter", e),
      (e) => this.emit("exit", e),
    );
    this.emit("snapshot", { world, lastInputSeq, full: s.baselineTick === 0 });
  }

  /** A snapshot the client cannot apply: every later delta would fail too, so resume to get a full snapshot. */
  private resync(reason: string): void {
    this.decodeErrors++;
    const ws = this.ws;
    if (!ws) return;
    this.detach(ws);
    ws.close(4000, reason);
    this.onDropped(1006, reason);
  }

  // --- outbound ---

  /**
   * Sends the inputs and pings that are due, then sets a timer for the next; runs from that timer and after every
   * received frame.
   */
  private pump(): void {
    if (this.st.kind !== "playing" || !this.ws) return;
    const now = this.sched.now();
    const ic = this.inputClock;
    let next = Infinity;
    if (ic && this.welcomeMsg && this.welcomeMsg.input.length > 0) {
      const due = Math.floor(ic.tick(now));
      if (due > this.lastTick) {
        // One input per tick; after a stall (a throttled background tab) at most two, skipping the ticks missed: the
        // room fills them, and a burst would only arrive late.
        let first = this.lastTick + 1;
        if (due - first >= MAX_BURST) {
          if (this.connLastTick > 0) this.skippedTicks += due - MAX_BURST + 1 - first;
          first = due - MAX_BURST + 1;
          // What the room reports about the inputs of the stall measures the page, not the network.
          ic.stalled(now, this.clock?.rttMs ?? NaN);
        }
        for (let t = first; t <= due; t++) this.sendInput(t, now);
      }
      next = ic.timeOf(this.lastTick + 1);
    }
    if (now >= this.nextPingAt) {
      // Pings measure RTT and double as the heartbeat when there are no inputs to send.
      const hb = this.welcomeMsg?.heartbeatMs ?? 0;
      const period = this.opts.pingIntervalMs ?? 1000;
      this.nextPingAt = now + (hb > 0 ? Math.min(period, hb / 3) : period);
      const t = BigInt(Math.round(now * 1000));
      this.pingSent.set(t, now);
      if (this.pingSent.size > 16) this.pingSent.delete(this.pingSent.keys().next().value!);
      this.send({ case: "ping", value: { clientTimeUs: t } });
    }
    next = Math.min(next, this.nextPingAt);
    if (next === this.pumpAt && this.pumpTimer !== undefined) return;
    if (this.pumpTimer !== undefined) this.sched.clearTimeout(this.pumpTimer);
    this.pumpAt = next;
    this.pumpTimer = this.sched.setTimeout(this.onPumpTimer, Math.max(1, Math.ceil(next - now)));
  }

  // One function for every pump timer: no closure per tick.
  private readonly onPumpTimer = (): void => {
    this.pumpTimer = undefined;
    this.pumpAt = NaN;
    this.pump();
  };

  /** The held input, fitted to Welcome.input (missing values are 0 clamped into range). */
  private inputValues(): number[] {
    const fields = this.welcomeMsg?.input ?? [];
    return fields.map((f, i) => {
      const v = Math.round(this.held[i] ?? 0);
      return v < f.min ? f.min : v > f.max ? f.max : v;
    });
  }

  /** Sends the held input for tick `tick` as a new input and applies it to the prediction. */
  private sendInput(tick: number, now: number): void {
    const seq = ++this.seq;
    const values = this.inputValues();
    this.lastTick = this.connLastTick = tick;
    this.sendInputFrame(seq, tick, values);
    const p = this.predictor;
    if (!p) return;
    p.applyLocal(seq, tick, values);
    const local = this.predicting ? p.predicted : undefined;
    this.emit("input", { seq, tick, values, atMs: now, local: local ? Array.from(local) : undefined });
  }

  private sendInputFrame(seq: number, tick: number, values: readonly number[]): void {
    const rt = this.lastRenderTick;
    let renderTick = 0;
    let renderFrac = 0;
    if (Number.isFinite(rt) && rt > 0) {
      renderTick = Math.floor(rt);
      renderFrac = Math.min(255, Math.floor((rt - renderTick) * 256));
    }
    this.send({ case: "input", value: { seq, tick, values: values.slice(), ackTick: this.worldState.tick, renderTick, renderFrac } });
  }
}
