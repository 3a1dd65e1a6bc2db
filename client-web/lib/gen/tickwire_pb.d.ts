import type { GenEnum, GenFile, GenMessage } from "@bufbuild/protobuf/codegenv2";
import type { Message as Message$1 } from "@bufbuild/protobuf";
/**
 * Describes the file tickwire.proto.
 */
export declare const file_tickwire: GenFile;
/**
 * ClientFrame is everything a client sends: exactly one message per WebSocket frame.
 *
 * @generated from message tickwire.v1.ClientFrame
 */
export type ClientFrame = Message$1<"tickwire.v1.ClientFrame"> & {
    /**
     * @generated from oneof tickwire.v1.ClientFrame.msg
     */
    msg: {
        /**
         * First frame of a session.
         *
         * @generated from field: tickwire.v1.Hello hello = 1;
         */
        value: Hello;
        case: "hello";
    } | {
        /**
         * Second frame: which room and slot.
         *
         * @generated from field: tickwire.v1.Join join = 2;
         */
        value: Join;
        case: "join";
    } | {
        /**
         * One tick of player intent, addressed to the tick it is for; one per tick.
         *
         * @generated from field: tickwire.v1.Input input = 3;
         */
        value: Input;
        case: "input";
    } | {
        /**
         * The latest snapshot held (when not sending inputs).
         *
         * @generated from field: tickwire.v1.Ack ack = 4;
         */
        value: Ack;
        case: "ack";
    } | {
        /**
         * RTT and clock measurement; also the heartbeat when idle.
         *
         * @generated from field: tickwire.v1.Ping ping = 5;
         */
        value: Ping;
        case: "ping";
    } | {
        /**
         * Leave for good (no grace period).
         *
         * @generated from field: tickwire.v1.Leave leave = 6;
         */
        value: Leave;
        case: "leave";
    } | {
        /**
         * A typed game message outside the input stream (chat, "ready", "buy item", "play card"); reliable and ordered.
         *
         * @generated from field: tickwire.v1.Message message = 7;
         */
        value: Message;
        case: "message";
    } | {
        case: undefined;
        value?: undefined;
    };
};
/**
 * Describes the message tickwire.v1.ClientFrame.
 * Use `create(ClientFrameSchema)` to create a new message.
 */
export declare const ClientFrameSchema: GenMessage<ClientFrame>;
/**
 * Hello opens the session. It must be the first frame.
 *
 * @generated from message tickwire.v1.Hello
 */
export type Hello = Message$1<"tickwire.v1.Hello"> & {
    /**
     * The newest protocol version the client speaks. A version 1 client sets only this field.
     *
     * @generated from field: tickwire.v1.ProtocolVersion protocol_version = 1;
     */
    protocolVersion: ProtocolVersion;
    /**
     * Free-form client name and version for logs, e.g. "tickwire-web/0.2" (at most 64 bytes).
     *
     * @generated from field: string client = 2;
     */
    client: string;
    /**
     * The range of versions the client speaks (inclusive); 0 means protocol_version. The server picks the newest
     * version both speak and states it in Welcome.protocol_version; with none in common it closes with 4501 and a
     * reason naming its own range.
     *
     * @generated from field: tickwire.v1.ProtocolVersion min_protocol_version = 3;
     */
    minProtocolVersion: ProtocolVersion;
    /**
     * @generated from field: tickwire.v1.ProtocolVersion max_protocol_version = 4;
     */
    maxProtocolVersion: ProtocolVersion;
};
/**
 * Describes the message tickwire.v1.Hello.
 * Use `create(HelloSchema)` to create a new message.
 */
export declare const HelloSchema: GenMessage<Hello>;
/**
 * Join asks for a slot in a room. Exactly one of the ways to join is set. Sent once, right after Hello.
 *
 * @generated from message tickwire.v1.Join
 */
export type Join = Message$1<"tickwire.v1.Join"> & {
    /**
     * @generated from oneof tickwire.v1.Join.target
     */
    target: {
        /**
         * A single-use join token from the matchmaker or the service API; bound to one player in one room.
         *
         * @generated from field: string join_token = 1;
         */
        value: string;
        case: "joinToken";
    } | {
        /**
         * A resume token from the last Welcome; re-attaches the same player within the grace period. Every Welcome
         * carries a fresh one; the token it replaces stays usable (for this player only) until the client sends its first
         * frame after that Welcome, so a resume whose connection dies before the Welcome arrives can be retried. Send
         * nothing between Join and Welcome.
         *
         * @generated from field: bytes resume_token = 2;
         */
        value: Uint8Array;
        case: "resumeToken";
    } | {
        /**
         * Quick play: join any open room of this mode (a new room is created when none has space). Only when the server
         * allows open joins (the embedded default does).
         *
         * @generated from field: string mode = 3;
         */
        value: string;
        case: "mode";
    } | {
        case: undefined;
        value?: undefined;
    };
    /**
     * Display name (at most 32 bytes of UTF-8); ignored on resume, and replaced by the token's "name" claim when
     * player_token carries one.
     *
     * @generated from field: string name = 4;
     */
    name: string;
    /**
     * A signed player token (a JWT from the game's backend: HS256 or ES256, with "kid", "sub", "exp"), at most 2048
     * bytes. When present the server verifies it and the player joins as that user, verified; a refused token closes
     * the connection with 4512 or 4513. Optional unless the server requires identity for quick play; ignored on resume
     * (the player keeps the identity it joined with).
     *
     * @generated from field: string player_token = 5;
     */
    playerToken: string;
};
/**
 * Describes the message tickwire.v1.Join.
 * Use `create(JoinSchema)` to create a new message.
 */
export declare const JoinSchema: GenMessage<Join>;
/**
 * Input is one tick's worth of player intent, for the tick it names.
 *
 * The room keeps a bounded buffer of each player's inputs keyed by tick and applies exactly one per connected player
 * per tick: the input for that tick if it arrived in time, else the game's fill (Welcome.input_fill), counted as
 * missed. An input for a tick already simulated is late: dropped and counted (its seq is never acknowledged). An input
 * more than Welcome.input_window ticks ahead of the room's tick is early: refused and counted. An input whose seq or
 * tick is not above the previous one's is a duplicate (a resend after a resume): dropped. No client can make the room
 * apply more than one input per tick, whatever it sends.
 *
 * Clients aim each input to arrive a little before its tick is due: ServerFrame.input_lead_us reports how early they
 * arrive, and a client runs its input clock slightly faster or slower (a few percent) to hold its target lead.
 *
 * @generated from message tickwire.v1.Input
 */
export type Input = Message$1<"tickwire.v1.Input"> & {
    /**
     * Sequence number, strictly increasing from 1 per player across reconnects (one per input sent). Snapshots report
     * the highest applied (ServerFrame.last_input_seq); after a resume a client resends only later inputs.
     *
     * @generated from field: uint32 seq = 1;
     */
    seq: number;
    /**
     * The game's input values, one per field of Welcome.input, each within that field's [min, max].
     *
     * @generated from field: repeated sint32 values = 2;
     */
    values: number[];
    /**
     * The tick of the latest snapshot the client holds (an implicit Ack); 0 when none.
     *
     * @generated from field: uint32 ack_tick = 3;
     */
    ackTick: number;
    /**
     * The moment the client was drawing when it sampled this input, for lag compensation: the whole tick of the
     * interpolated view (render_tick) and its fraction in 1/256 of a tick (render_frac, 0-255); 0 when unknown. The room
     * clamps it to its lag-compensation window and to the newest snapshot the client held (ack_tick).
     *
     * @generated from field: uint32 render_tick = 4;
     */
    renderTick: number;
    /**
     * The simulation tick this input is for (required in version 2; strictly increasing per player).
     *
     * @generated from field: uint32 tick = 5;
     */
    tick: number;
    /**
     * @generated from field: uint32 render_frac = 6;
     */
    renderFrac: number;
};
/**
 * Describes the message tickwire.v1.Input.
 * Use `create(InputSchema)` to create a new message.
 */
export declare const InputSchema: GenMessage<Input>;
/**
 * Ack acknowledges the latest snapshot the client holds; used for latency measurement. Inputs carry the same
 * information in ack_tick, so a client that sends inputs every tick need not send Ack.
 *
 * @generated from message tickwire.v1.Ack
 */
export type Ack = Message$1<"tickwire.v1.Ack"> & {
    /**
     * The tick of the latest snapshot the client holds.
     *
     * @generated from field: uint32 tick = 1;
     */
    tick: number;
};
/**
 * Describes the message tickwire.v1.Ack.
 * Use `create(AckSchema)` to create a new message.
 */
export declare const AckSchema: GenMessage<Ack>;
/**
 * Ping measures round-trip time and the server clock; the server answers each with a Pong. Clients must send a Ping or
 * an Input at least every heartbeat interval (Welcome.heartbeat_ms) or they are closed with 4001.
 *
 * @generated from message tickwire.v1.Ping
 */
export type Ping = Message$1<"tickwire.v1.Ping"> & {
    /**
     * The client's clock in microseconds (any epoch); echoed in Pong.
     *
     * @generated from field: uint64 client_time_us = 1;
     */
    clientTimeUs: bigint;
};
/**
 * Describes the message tickwire.v1.Ping.
 * Use `create(PingSchema)` to create a new message.
 */
export declare const PingSchema: GenMessage<Ping>;
/**
 * Leave ends the player's participation at once (no grace period). The server closes with 4511.
 *
 * @generated from message tickwire.v1.Leave
 */
export type Leave = Message$1<"tickwire.v1.Leave"> & {};
/**
 * Describes the message tickwire.v1.Leave.
 * Use `create(LeaveSchema)` to create a new message.
 */
export declare const LeaveSchema: GenMessage<Leave>;
/**
 * Message is a typed, reliable game message from a player to its room, outside the per-tick input stream: chat,
 * "ready", "buy item", "play card". Only after the Welcome (a Message before it is a bad frame, 4500).
 *
 * Delivery: the room queues messages in arrival order and hands them to the game at the start of the next tick,
 * BEFORE that tick's inputs are applied, with the sender's player id. A game that does not handle messages ignores
 * them. The game answers, if it wants to, with Events (to the sender, to some players, or to all).
 *
 * Limits: type is 1-32 bytes of UTF-8 (else 4500); payload is at most Welcome.max_message_bytes bytes (1024 by
 * default; larger closes the connection with 1009). A connection may send Welcome.message_rate messages per second on
 * average with bursts of Welcome.message_burst; a flood beyond that closes it with 4508 (other players are
 * unaffected). When the room's message queue is full (many players at their limits at once) the sender is closed
 * with 4002 (reconnectable: resume and resend what the game did not acknowledge).
 *
 * @generated from message tickwire.v1.Message
 */
export type Message = Message$1<"tickwire.v1.Message"> & {
    /**
     * What the message is, named by the game ("chat", "ready", "buy").
     *
     * @generated from field: string type = 1;
     */
    type: string;
    /**
     * The game's own encoding of the message's content.
     *
     * @generated from field: bytes payload = 2;
     */
    payload: Uint8Array;
    /**
     * An optional client sequence number, handed to the game as is (for a game that acknowledges messages with an
     * Event); 0: none.
     *
     * @generated from field: uint32 seq = 3;
     */
    seq: number;
};
/**
 * Describes the message tickwire.v1.Message.
 * Use `create(MessageSchema)` to create a new message.
 */
export declare const MessageSchema: GenMessage<Message>;
/**
 * ServerFrame is everything the server sends: exactly one message per WebSocket frame.
 *
 * @generated from message tickwire.v1.ServerFrame
 */
export type ServerFrame = Message$1<"tickwire.v1.ServerFrame"> & {
    /**
     * @generated from oneof tickwire.v1.ServerFrame.msg
     */
    msg: {
        /**
         * Answers Join; precedes the first snapshot.
         *
         * @generated from field: tickwire.v1.Welcome welcome = 1;
         */
        value: Welcome;
        case: "welcome";
    } | {
        /**
         * The world at a tick, every snapshot interval.
         *
         * @generated from field: tickwire.v1.Snapshot snapshot = 2;
         */
        value: Snapshot;
        case: "snapshot";
    } | {
        /**
         * A reliable game or room event.
         *
         * @generated from field: tickwire.v1.Event event = 3;
         */
        value: Event;
        case: "event";
    } | {
        /**
         * Answers a Ping.
         *
         * @generated from field: tickwire.v1.Pong pong = 4;
         */
        value: Pong;
        case: "pong";
    } | {
        /**
         * Why the server is closing the connection; the close frame follows.
         *
         * @generated from field: tickwire.v1.Disconnect disconnect = 5;
         */
        value: Disconnect;
        case: "disconnect";
    } | {
        /**
         * The match is over; the room closes every player with 4509 after it.
         *
         * @generated from field: tickwire.v1.MatchResult match_result = 6;
         */
        value: MatchResult;
        case: "matchResult";
    } | {
        case: undefined;
        value?: undefined;
    };
    /**
     * Only with a snapshot: the highest input sequence the room has applied for this player (0: none yet). It lives
     * outside the oneof so that the server encodes a snapshot once for every player who shares it and appends the
     * per-player fields; clients drop acknowledged inputs with it, and count as late the inputs for ticks up to the
     * snapshot's tick whose seq is above it.
     *
     * @generated from field: uint32 last_input_seq = 15;
     */
    lastInputSeq: number;
    /**
     * Only with a snapshot, about every 100 ms while inputs arrive: the least lead among this player's inputs since the
     * previous report, in microseconds. An input's lead is the time its tick was due minus the time it reached the
     * room: negative means it arrived after its tick was due (it was applied only if the room had not yet run the
     * tick, else dropped as late). Absent when no input arrived since the last report.
     *
     * @generated from field: sint32 input_lead_us = 14;
     */
    inputLeadUs: number;
};
/**
 * Describes the message tickwire.v1.ServerFrame.
 * Use `create(ServerFrameSchema)` to create a new message.
 */
export declare const ServerFrameSchema: GenMessage<ServerFrame>;
/**
 * Welcome confirms a join or resume.
 *
 * @generated from message tickwire.v1.Welcome
 */
export type Welcome = Message$1<"tickwire.v1.Welcome"> & {
    /**
     * The protocol version the server speaks.
     *
     * @generated from field: tickwire.v1.ProtocolVersion protocol_version = 1;
     */
    protocolVersion: ProtocolVersion;
    /**
     * This player's id within the room. In the arena the player's own entity has the same id.
     *
     * @generated from field: uint32 player_id = 2;
     */
    playerId: number;
    /**
     * The room's id.
     *
     * @generated from field: string room_id = 3;
     */
    roomId: string;
    /**
     * The room's epoch: changes when a room with this id is restarted, so a client can tell its state is void.
     *
     * @generated from field: uint64 room_epoch = 4;
     */
    roomEpoch: bigint;
    /**
     * Simulation ticks per second.
     *
     * @generated from field: uint32 tick_rate = 5;
     */
    tickRate: number;
    /**
     * Snapshots per second (tick_rate divided by a whole number).
     *
     * @generated from field: uint32 snapshot_rate = 6;
     */
    snapshotRate: number;
    /**
     * The token that resumes this player after a dropped connection; keep only the latest. It is spent by the first
     * frame sent after the Welcome of a resume made with it. Never put it in a URL.
     *
     * @generated from field: bytes resume_token = 7;
     */
    resumeToken: Uint8Array;
    /**
     * How long the slot is kept after the connection drops, in milliseconds.
     *
     * @generated from field: uint32 grace_ms = 8;
     */
    graceMs: number;
    /**
     * The room's current tick.
     *
     * @generated from field: uint32 tick = 9;
     */
    tick: number;
    /**
     * True when this Welcome answers a resume.
     *
     * @generated from field: bool resumed = 10;
     */
    resumed: boolean;
    /**
     * The highest input sequence already applied for this player (on resume: resend only inputs after it).
     *
     * @generated from field: uint32 last_input_seq = 11;
     */
    lastInputSeq: number;
    /**
     * The game mode (for example "arena").
     *
     * @generated from field: string mode = 12;
     */
    mode: string;
    /**
     * The entity kinds and fields of Snapshot.entities.
     *
     * @generated from field: repeated tickwire.v1.EntityKind kinds = 13;
     */
    kinds: EntityKind[];
    /**
     * The fields of Input.values, in order.
     *
     * @generated from field: repeated tickwire.v1.InputField input = 14;
     */
    input: InputField[];
    /**
     * Game constants a client needs to predict and draw (for the arena: world size, fixed-point scale, speeds).
     *
     * @generated from field: map<string, sint32> params = 15;
     */
    params: {
        [key: string]: number;
    };
    /**
     * A client must send a Ping or an Input at least this often (milliseconds).
     *
     * @generated from field: uint32 heartbeat_ms = 16;
     */
    heartbeatMs: number;
    /**
     * Snapshots carry state_hash on ticks that are a multiple of this (0: never).
     *
     * @generated from field: uint32 hash_interval = 17;
     */
    hashInterval: number;
    /**
     * What the room applies at a tick for which this player's input did not arrive in time.
     *
     * @generated from field: tickwire.v1.InputFill input_fill = 18;
     */
    inputFill: InputFill;
    /**
     * The most ticks ahead of the room's tick an input may be addressed to; inputs further ahead are refused.
     *
     * @generated from field: uint32 input_window = 19;
     */
    inputWindow: number;
    /**
     * The longest rewind of lag compensation, in milliseconds (0: the game does not rewind).
     *
     * @generated from field: uint32 max_rewind_ms = 20;
     */
    maxRewindMs: number;
    /**
     * The user id this player joined as when it proved its identity (a verified player token, or a join token issued
     * for a verified user); empty for an anonymous player. Also on a resume.
     *
     * @generated from field: string user_id = 21;
     */
    userId: string;
    /**
     * True when user_id (and the name the room shows) come from a verified identity.
     *
     * @generated from field: bool verified = 22;
     */
    verified: boolean;
    /**
     * The largest Message.payload the server accepts, in bytes (a larger one closes the connection with 1009).
     *
     * @generated from field: uint32 max_message_bytes = 40;
     */
    maxMessageBytes: number;
    /**
     * The Messages per second a connection may send on average, and in one burst; a flood closes it with 4508.
     *
     * @generated from field: uint32 message_rate = 41;
     */
    messageRate: number;
    /**
     * @generated from field: uint32 message_burst = 42;
     */
    messageBurst: number;
    /**
     * The WebSocket addresses (ws(s)://host[:port]/ws) of the cluster's other nodes when this Welcome was sent (empty
     * on a single server). When this node cannot be reached at all (it died), a client resumes through any of them:
     * that node answers 4003 with the room's new address, or 4004 while the room is being recovered.
     *
     * @generated from field: repeated string nodes = 43;
     */
    nodes: string[];
};
/**
 * Describes the message tickwire.v1.Welcome.
 * Use `create(WelcomeSchema)` to create a new message.
 */
export declare const WelcomeSchema: GenMessage<Welcome>;
/**
 * EntityKind describes one kind of entity, so that a client can decode Snapshot.entities without game-specific code.
 *
 * @generated from message tickwire.v1.EntityKind
 */
export type EntityKind = Message$1<"tickwire.v1.EntityKind"> & {
    /**
     * The kind's number in the snapshot encoding (0-255).
     *
     * @generated from field: uint32 id = 1;
     */
    id: number;
    /**
     * A name for humans and tools (for example "player", "projectile").
     *
     * @generated from field: string name = 2;
     */
    name: string;
    /**
     * The entity's fields, in encoding order (at most 32). Every value is an integer (games quantize).
     *
     * @generated from field: repeated tickwire.v1.EntityField fields = 3;
     */
    fields: EntityField[];
    /**
     * When true, each entity of the kind also carries a small byte string (at most 32 bytes: a name, a card id), sent
     * in the snapshot when it changes.
     *
     * @generated from field: bool data = 4;
     */
    data: boolean;
};
/**
 * Describes the message tickwire.v1.EntityKind.
 * Use `create(EntityKindSchema)` to create a new message.
 */
export declare const EntityKindSchema: GenMessage<EntityKind>;
/**
 * EntityField describes one integer field of an entity.
 *
 * @generated from message tickwire.v1.EntityField
 */
export type EntityField = Message$1<"tickwire.v1.EntityField"> & {
    /**
     * A name for humans and tools (for example "x", "hp").
     *
     * @generated from field: string name = 1;
     */
    name: string;
    /**
     * When non-zero, 1 + the index of the field that holds this field's change per tick: a client predicts this field
     * as baseline value + rate × (tick − baseline tick), and the snapshot sends only the difference from that
     * prediction. Straight-line motion therefore costs nothing after an entity appears.
     *
     * @generated from field: uint32 rate_field = 2;
     */
    rateField: number;
    /**
     * When non-zero, the field's values live on a circle of this many units (an angle): interpolation takes the shorter
     * way round, and a value and value ± wrap are the same.
     *
     * @generated from field: uint32 wrap = 3;
     */
    wrap: number;
    /**
     * When non-zero, a change of more than this many units in one tick is a jump (a respawn, a teleport): clients draw
     * it at once instead of interpolating or smoothing it.
     *
     * @generated from field: uint32 teleport = 4;
     */
    teleport: number;
};
/**
 * Describes the message tickwire.v1.EntityField.
 * Use `create(EntityFieldSchema)` to create a new message.
 */
export declare const EntityFieldSchema: GenMessage<EntityField>;
/**
 * InputField describes one value of Input.values.
 *
 * @generated from message tickwire.v1.InputField
 */
export type InputField = Message$1<"tickwire.v1.InputField"> & {
    /**
     * A name for humans and tools (for example "dx", "fire").
     *
     * @generated from field: string name = 1;
     */
    name: string;
    /**
     * Inclusive lower bound; a value outside [min, max] makes the frame invalid (4500).
     *
     * @generated from field: sint32 min = 2;
     */
    min: number;
    /**
     * Inclusive upper bound.
     *
     * @generated from field: sint32 max = 3;
     */
    max: number;
};
/**
 * Describes the message tickwire.v1.InputField.
 * Use `create(InputFieldSchema)` to create a new message.
 */
export declare const InputFieldSchema: GenMessage<InputField>;
/**
 * Snapshot is the room's state at one tick, as a delta against a baseline the client holds.
 *
 * @generated from message tickwire.v1.Snapshot
 */
export type Snapshot = Message$1<"tickwire.v1.Snapshot"> & {
    /**
     * The tick this snapshot describes.
     *
     * @generated from field: uint32 tick = 1;
     */
    tick: number;
    /**
     * The tick of the snapshot this one is a delta against; 0 means a full snapshot (a delta against the empty world).
     * A client that does not hold exactly this baseline must drop the snapshot and count a decode error; the server
     * only sends deltas against the last snapshot it wrote to this connection.
     *
     * @generated from field: uint32 baseline_tick = 2;
     */
    baselineTick: number;
    /**
     * The entity delta, encoded as described in proto/snapcodec's package documentation (a compact varint stream:
     * removed ids, then changed or new entities with a field bit mask and residuals against the prediction).
     *
     * @generated from field: bytes entities = 3;
     */
    entities: Uint8Array;
    /**
     * A 32-bit FNV-1a hash of the whole decoded world (see snapcodec.Hash), present when tick is a multiple of
     * Welcome.hash_interval; clients compare it to detect a divergent world.
     *
     * @generated from field: optional fixed32 state_hash = 4;
     */
    stateHash?: number | undefined;
};
/**
 * Describes the message tickwire.v1.Snapshot.
 * Use `create(SnapshotSchema)` to create a new message.
 */
export declare const SnapshotSchema: GenMessage<Snapshot>;
/**
 * Event is a reliable game or room event, delivered in order.
 *
 * @generated from message tickwire.v1.Event
 */
export type Event = Message$1<"tickwire.v1.Event"> & {
    /**
     * The tick at which it happened.
     *
     * @generated from field: uint32 tick = 1;
     */
    tick: number;
    /**
     * What happened. Room events: "player_joined", "player_left", "player_disconnected", "player_resumed",
     * "room_error". Game events are named by the game (the arena: "hit", "kill", "respawn").
     *
     * @generated from field: string type = 2;
     */
    type: string;
    /**
     * The player the event is about (0: none).
     *
     * @generated from field: uint32 player_id = 3;
     */
    playerId: number;
    /**
     * Game-specific integer arguments (for a kill: killer, victim).
     *
     * @generated from field: repeated sint32 args = 4;
     */
    args: number[];
    /**
     * Human-readable detail (a name, an error message).
     *
     * @generated from field: string text = 5;
     */
    text: string;
    /**
     * Game-specific bytes (for example a chat message's content), at most Welcome.max_message_bytes.
     *
     * @generated from field: bytes payload = 6;
     */
    payload: Uint8Array;
    /**
     * True when the game sent this event to this player alone or to a set of players, false when every player got it.
     *
     * @generated from field: bool targeted = 7;
     */
    targeted: boolean;
};
/**
 * Describes the message tickwire.v1.Event.
 * Use `create(EventSchema)` to create a new message.
 */
export declare const EventSchema: GenMessage<Event>;
/**
 * Pong answers a Ping.
 *
 * @generated from message tickwire.v1.Pong
 */
export type Pong = Message$1<"tickwire.v1.Pong"> & {
    /**
     * Echo of Ping.client_time_us.
     *
     * @generated from field: uint64 client_time_us = 1;
     */
    clientTimeUs: bigint;
    /**
     * The server's clock (Unix microseconds) when it answered.
     *
     * @generated from field: uint64 server_time_us = 2;
     */
    serverTimeUs: bigint;
    /**
     * The room's tick when it answered.
     *
     * @generated from field: uint32 server_tick = 3;
     */
    serverTick: number;
};
/**
 * Describes the message tickwire.v1.Pong.
 * Use `create(PongSchema)` to create a new message.
 */
export declare const PongSchema: GenMessage<Pong>;
/**
 * Disconnect precedes the WebSocket close and repeats its code.
 *
 * @generated from message tickwire.v1.Disconnect
 */
export type Disconnect = Message$1<"tickwire.v1.Disconnect"> & {
    /**
     * A CloseCode value.
     *
     * @generated from field: uint32 code = 1;
     */
    code: number;
    /**
     * Why, for humans.
     *
     * @generated from field: string reason = 2;
     */
    reason: string;
    /**
     * Whether the client may reconnect and resume (codes 4000-4499 and 1001, 1011).
     *
     * @generated from field: bool reconnect = 3;
     */
    reconnect: boolean;
};
/**
 * Describes the message tickwire.v1.Disconnect.
 * Use `create(DisconnectSchema)` to create a new message.
 */
export declare const DisconnectSchema: GenMessage<Disconnect>;
/**
 * MatchResult ends a match: the room is ended and every player is closed with 4509 after it.
 *
 * @generated from message tickwire.v1.MatchResult
 */
export type MatchResult = Message$1<"tickwire.v1.MatchResult"> & {
    /**
     * Why the match ended ("time_limit", "score_limit", "ended_by_service").
     *
     * @generated from field: string reason = 1;
     */
    reason: string;
    /**
     * The room's tick at the end.
     *
     * @generated from field: uint32 tick = 2;
     */
    tick: number;
    /**
     * Every player who took part, best first.
     *
     * @generated from field: repeated tickwire.v1.PlayerResult players = 3;
     */
    players: PlayerResult[];
};
/**
 * Describes the message tickwire.v1.MatchResult.
 * Use `create(MatchResultSchema)` to create a new message.
 */
export declare const MatchResultSchema: GenMessage<MatchResult>;
/**
 * PlayerResult is one player's standing at the end of a match.
 *
 * @generated from message tickwire.v1.PlayerResult
 */
export type PlayerResult = Message$1<"tickwire.v1.PlayerResult"> & {
    /**
     * The player's id in the room.
     *
     * @generated from field: uint32 player_id = 1;
     */
    playerId: number;
    /**
     * The display name it joined with.
     *
     * @generated from field: string name = 2;
     */
    name: string;
    /**
     * Its final score.
     *
     * @generated from field: sint32 score = 3;
     */
    score: number;
    /**
     * 1 for the winner; players with equal scores share a rank.
     *
     * @generated from field: uint32 rank = 4;
     */
    rank: number;
    /**
     * The user id of a player who joined with a verified player token ("sub"); empty for an anonymous player.
     *
     * @generated from field: string user_id = 5;
     */
    userId: string;
    /**
     * True when user_id (and name) come from a verified player token.
     *
     * @generated from field: bool verified = 6;
     */
    verified: boolean;
};
/**
 * Describes the message tickwire.v1.PlayerResult.
 * Use `create(PlayerResultSchema)` to create a new message.
 */
export declare const PlayerResultSchema: GenMessage<PlayerResult>;
/**
 * ProtocolVersion is the version a client states in Hello.
 *
 * @generated from enum tickwire.v1.ProtocolVersion
 */
export declare enum ProtocolVersion {
    /**
     * @generated from enum value: PROTOCOL_VERSION_UNSPECIFIED = 0;
     */
    PROTOCOL_VERSION_UNSPECIFIED = 0,
    /**
     * The first protocol: inputs were applied in sequence order on arrival. No longer spoken; a client that offers
     * only version 1 is refused with 4501.
     *
     * @generated from enum value: PROTOCOL_VERSION_1 = 1;
     */
    PROTOCOL_VERSION_1 = 1,
    /**
     * The protocol described in this file: every input names the tick it is for (Input.tick), the room applies exactly
     * one input per player per tick, and snapshots report how early inputs arrive (ServerFrame.input_lead_us).
     *
     * @generated from enum value: PROTOCOL_VERSION_2 = 2;
     */
    PROTOCOL_VERSION_2 = 2
}
/**
 * Describes the enum tickwire.v1.ProtocolVersion.
 */
export declare const ProtocolVersionSchema: GenEnum<ProtocolVersion>;
/**
 * InputFill is what the room applies for a connected player at a tick for which no input arrived in time (a missed
 * input). The game chooses it; clients predict with the same rule.
 *
 * @generated from enum tickwire.v1.InputFill
 */
export declare enum InputFill {
    /**
     * The player's last applied input again (the arena: keep moving, keep aiming). Neutral before the first input.
     *
     * @generated from enum value: INPUT_FILL_REPEAT = 0;
     */
    REPEAT = 0,
    /**
     * Every value 0, clamped into its field's [min, max] (a card game: do nothing).
     *
     * @generated from enum value: INPUT_FILL_NEUTRAL = 1;
     */
    NEUTRAL = 1
}
/**
 * Describes the enum tickwire.v1.InputFill.
 */
export declare const InputFillSchema: GenEnum<InputFill>;
/**
 * CloseCode is the WebSocket close code (and Disconnect.code) the server uses. 4000-4499 may reconnect (resume within
 * the grace period); 4500-4999 are terminal.
 *
 * @generated from enum tickwire.v1.CloseCode
 */
export declare enum CloseCode {
    /**
     * @generated from enum value: CLOSE_CODE_UNSPECIFIED = 0;
     */
    CLOSE_CODE_UNSPECIFIED = 0,
    /**
     * 1001: the server is shutting down or draining. Reconnect (with backoff) and resume.
     *
     * @generated from enum value: CLOSE_GOING_AWAY = 1001;
     */
    CLOSE_GOING_AWAY = 1001,
    /**
     * 1002: a WebSocket protocol violation (RFC 6455: bad opcode, RSV bits, fragmented control frame...). Terminal.
     *
     * @generated from enum value: CLOSE_PROTOCOL_ERROR = 1002;
     */
    CLOSE_PROTOCOL_ERROR = 1002,
    /**
     * 1003: a text frame; only binary frames are accepted. Terminal.
     *
     * @generated from enum value: CLOSE_UNSUPPORTED_DATA = 1003;
     */
    CLOSE_UNSUPPORTED_DATA = 1003,
    /**
     * 1007: invalid payload data at the WebSocket level (for example bad UTF-8 in a close reason). Terminal.
     *
     * @generated from enum value: CLOSE_INVALID_PAYLOAD = 1007;
     */
    CLOSE_INVALID_PAYLOAD = 1007,
    /**
     * 1009: a frame larger than the server's limit for client frames, or a Message whose payload is over
     * Welcome.max_message_bytes. Terminal.
     *
     * @generated from enum value: CLOSE_MESSAGE_TOO_BIG = 1009;
     */
    CLOSE_MESSAGE_TOO_BIG = 1009,
    /**
     * 1011: an unexpected server error outside any room. Reconnectable.
     *
     * @generated from enum value: CLOSE_INTERNAL_ERROR = 1011;
     */
    CLOSE_INTERNAL_ERROR = 1011,
    /**
     * 4000: the client did not read its snapshots fast enough (outbound bound exceeded). Reconnectable.
     *
     * @generated from enum value: CLOSE_SLOW_CONSUMER = 4000;
     */
    CLOSE_SLOW_CONSUMER = 4000,
    /**
     * 4001: no frame (Ping or Input) arrived within the heartbeat timeout. Reconnectable.
     *
     * @generated from enum value: CLOSE_HEARTBEAT_TIMEOUT = 4001;
     */
    CLOSE_HEARTBEAT_TIMEOUT = 4001,
    /**
     * 4002: the server is at its connection cap or overloaded (also: the room's message queue is full). Reconnect later
     * with backoff.
     *
     * @generated from enum value: CLOSE_SERVER_BUSY = 4002;
     */
    CLOSE_SERVER_BUSY = 4002,
    /**
     * 4003: the room of this join or resume token lives on another node of a cluster. The reason (in Disconnect.reason
     * and the close frame) is that node's WebSocket address, ws(s)://host[:port]/ws: connect there and send the same
     * Join (same join or resume token, a resume re-sent as for any resume). Also sent to the players of a room that
     * moves to another node. Reconnectable.
     *
     * @generated from enum value: CLOSE_MOVED = 4003;
     */
    CLOSE_MOVED = 4003,
    /**
     * 4004: the room of this resume token is being recovered on another node of a cluster (its node died; a surviving
     * node is rebuilding it from its streamed journal). Send the same resume again shortly (a few hundred
     * milliseconds): once the room is rebuilt, the node answers 4003 with its address (or resumes the player, when the
     * room was rebuilt there). Reconnectable, within the grace period.
     *
     * @generated from enum value: CLOSE_RECOVERING = 4004;
     */
    CLOSE_RECOVERING = 4004,
    /**
     * 4500: a malformed or unexpected client frame (undecodable, unknown fields, wrong message for the session state,
     * out-of-range values). Terminal.
     *
     * @generated from enum value: CLOSE_BAD_FRAME = 4500;
     */
    CLOSE_BAD_FRAME = 4500,
    /**
     * 4501: Hello offered no protocol version the server speaks (the reason names the server's range). Terminal.
     *
     * @generated from enum value: CLOSE_UNSUPPORTED_VERSION = 4501;
     */
    CLOSE_UNSUPPORTED_VERSION = 4501,
    /**
     * 4502: Hello and Join did not arrive within the handshake deadline. Terminal.
     *
     * @generated from enum value: CLOSE_HANDSHAKE_TIMEOUT = 4502;
     */
    CLOSE_HANDSHAKE_TIMEOUT = 4502,
    /**
     * 4503: another connection resumed this player; this one is superseded. Terminal.
     *
     * @generated from enum value: CLOSE_SUPERSEDED = 4503;
     */
    CLOSE_SUPERSEDED = 4503,
    /**
     * 4504: the join or resume token is unknown, forged, already used, or bound to another room. Terminal.
     *
     * @generated from enum value: CLOSE_INVALID_TOKEN = 4504;
     */
    CLOSE_INVALID_TOKEN = 4504,
    /**
     * 4505: the resume came after the grace period; the slot is gone. Terminal: join again through matchmaking.
     *
     * @generated from enum value: CLOSE_RESUME_EXPIRED = 4505;
     */
    CLOSE_RESUME_EXPIRED = 4505,
    /**
     * 4506: the room or mode does not exist. Terminal.
     *
     * @generated from enum value: CLOSE_ROOM_NOT_FOUND = 4506;
     */
    CLOSE_ROOM_NOT_FOUND = 4506,
    /**
     * 4507: the room is full. Terminal.
     *
     * @generated from enum value: CLOSE_ROOM_FULL = 4507;
     */
    CLOSE_ROOM_FULL = 4507,
    /**
     * 4508: inputs or other frames arrived faster than the rate limit allows, or Messages faster than
     * Welcome.message_rate (bursts of Welcome.message_burst). Terminal.
     *
     * @generated from enum value: CLOSE_RATE_LIMITED = 4508;
     */
    CLOSE_RATE_LIMITED = 4508,
    /**
     * 4509: the match ended or the room was closed by its owner. Terminal.
     *
     * @generated from enum value: CLOSE_ROOM_ENDED = 4509;
     */
    CLOSE_ROOM_ENDED = 4509,
    /**
     * 4510: the room failed (its simulation panicked) and was stopped; other rooms are unaffected. Terminal.
     *
     * @generated from enum value: CLOSE_ROOM_FAILED = 4510;
     */
    CLOSE_ROOM_FAILED = 4510,
    /**
     * 4511: the player left (Leave) and the connection is done. Terminal.
     *
     * @generated from enum value: CLOSE_LEFT = 4511;
     */
    CLOSE_LEFT = 4511,
    /**
     * 4512: Join.player_token was refused (forged, signed with an unknown kid or the wrong key, malformed, missing
     * claims), refused by the server's own identity check, or missing where the server requires identity. Terminal.
     *
     * @generated from enum value: CLOSE_UNAUTHENTICATED = 4512;
     */
    CLOSE_UNAUTHENTICATED = 4512,
    /**
     * 4513: Join.player_token has expired. Get a fresh token from the game's backend, then join again.
     *
     * @generated from enum value: CLOSE_PLAYER_TOKEN_EXPIRED = 4513;
     */
    CLOSE_PLAYER_TOKEN_EXPIRED = 4513
}
/**
 * Describes the enum tickwire.v1.CloseCode.
 */
export declare const CloseCodeSchema: GenEnum<CloseCode>;
