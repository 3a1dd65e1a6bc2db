import { type Event as EventMsg, type MatchResult, type Welcome } from "../gen/tickwire_pb.js";
import { Emitter } from "./emitter.js";
import { type RenderEntity } from "./interpolation.js";
import { type PredictionModel } from "./prediction.js";
import { SnapCodec, type Entity, type World } from "./snapcodec.js";
import { type Scheduler, type SocketFactory } from "./transport.js";
/** How to get a slot: quick play in a mode, a join token from a matchmaker, or a resume token from a Welcome. */
export type JoinTarget = {
    readonly mode: string;
} | {
    readonly joinToken: string;
} | {
    readonly resumeToken: Uint8Array;
};
/** The connection's state; the client emits "state" on every change. */
export type ConnectionState = {
    readonly kind: "idle";
} | {
    readonly kind: "connecting";
} | {
    readonly kind: "playing";
    readonly playerId: number;
    readonly roomId: string;
    readonly resumed: boolean;
} | {
    readonly kind: "reconnecting";
    /** 1 for the first attempt after the drop. */
    readonly attempt: number;
    /** The close code that dropped the connection (1006 when the socket just died). */
    readonly code: number;
    readonly reason: string;
    /** Local time (ms) when the grace period ends. */
    readonly deadlineMs: number;
} | {
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
export declare const DEFAULT_MAX_MESSAGE_BYTES = 1024;
export declare const MAX_MESSAGE_TYPE_BYTES = 32;
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
export declare function isTerminalCode(code: number): boolean;
/**
 * 4003 (CLOSE_MOVED): the room lives on another node of a cluster; the close reason is that node's ws(s):// URL. The
 * client reconnects there at once with the same join (or resume) token. Reconnectable.
 */
export declare const CLOSE_MOVED = 4003;
/**
 * 4004 (CLOSE_RECOVERING): the room's node died and a surviving node of the cluster is rebuilding the room. The client
 * retries its resume after the next reconnect delay, within the grace period. Reconnectable.
 */
export declare const CLOSE_RECOVERING = 4004;
/** One player's connection to a room; see the module documentation. */
export declare class TickwireClient extends Emitter<ClientEvents> {
    private readonly opts;
    private readonly sched;
    private readonly socketFactory;
    private welcomeMsg;
    private codec;
    private predictor;
    private interp;
    private clock;
    private inputClock;
    private resumeToken;
    private tickMs;
    private ws;
    private st;
    private msgSeq;
    private lastDisconnect;
    /** The server's URL: opts.url until a 4003 moves the client to the room's node. */
    private socketUrl;
    private redirects;
    private nodeTries;
    private stopped;
    private dropAt;
    private attempt;
    private retryTimer;
    private pumpTimer;
    private pumpAt;
    private helloAt;
    private worldState;
    /** The last world the application was shown: "enter" and "exit" compare each snapshot with it, across resumes. */
    private shownWorld;
    private seq;
    private held;
    private lastTick;
    private connLastTick;
    private predicting;
    private nextPingAt;
    private readonly pingSent;
    private matchEnded;
    private lastRenderTick;
    private drawnJumps;
    private readonly snapMeter;
    private readonly inMeter;
    private readonly outMeter;
    private decodeErrors;
    private hashMismatches;
    private hashChecks;
    private resumes;
    private skippedTicks;
    private abandonedInputs;
    constructor(opts: ClientOptions);
    /** The connection state. */
    get state(): ConnectionState;
    /** The local player's id (0 before the first Welcome). */
    get playerId(): number;
    /** The latest Welcome (game schema, params, rates). */
    get welcome(): Welcome | undefined;
    /** The latest authoritative world. */
    get world(): World;
    /** The snapshot codec of the current session (built from Welcome.kinds). */
    get snapCodec(): SnapCodec | undefined;
    /** The match result, once the match has ended. */
    get matchResult(): MatchResult | undefined;
    /** Opens the connection. Call once. */
    connect(): void;
    /** Sets the held input (one value per Welcome.input field); it is sent every tick until changed. */
    setInput(values: readonly number[]): void;
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
    sendMessage(type: string, payload?: Uint8Array | string): number;
    /** Leaves the room at once (no grace period) and closes. */
    leave(): void;
    /** Closes the connection without leaving (the slot stays for the grace period) and does not reconnect. */
    close(): void;
    /**
     * Drops the socket as a network failure would, so that the client resumes (for tests and debugging). The close is
     * reported to the server as 4000-range "dropped" so that it starts the grace period.
     */
    dropConnection(): void;
    /** Network figures for a debug panel. */
    stats(): NetStats;
    /** The server's estimated (fractional) tick now, from Ping/Pong; NaN before the first Pong. */
    serverTick(): number;
    /** The server's estimated clock now (Unix milliseconds), from Ping/Pong; NaN before the first Pong. */
    serverTimeMs(): number;
    /**
     * What to draw now: interpolated remote entities and the predicted local player. Call once per frame.
     *
     * The local player is drawn on the input clock's timeline, one tick behind it: the input for tick k is sent when the
     * clock reaches k, and its motion (the predicted positions of ticks k-1 to k) is drawn while the clock runs to k+1.
     * So it moves at the clock's steady speed whatever the send timer does; a send that is late is drawn from the held
     * input it will carry. A jump of the clock (a re-sync) is smoothed like a correction.
     */
    view(nowMs?: number): RenderView;
    private setState;
    private open;
    private detach;
    private onOpen;
    private onDropped;
    private stop;
    private send;
    private onMessage;
    private onWelcome;
    private onSnapshot;
    /** A snapshot the client cannot apply: every later delta would fail too, so resume to get a full snapshot. */
    private resync;
    /**
     * Sends the inputs and pings that are due, then sets a timer for the next; runs from that timer and after every
     * received frame.
     */
    private pump;
    private readonly onPumpTimer;
    /** The held input, fitted to Welcome.input (missing values are 0 clamped into range). */
    private inputValues;
    /** Sends the held input for tick `tick` as a new input and applies it to the prediction. */
    private sendInput;
    private sendInputFrame;
}
