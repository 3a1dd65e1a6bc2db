/**
 * Tickwire's browser SDK (protocol version 2): connect to a Tickwire game server, send tick-addressed inputs on a
 * synchronised input clock, decode snapshots, predict the local player by tick, interpolate the others and resume
 * after a dropped connection. Start with TickwireClient. Nothing here is specific to a game: the reference arena's
 * rules (its prediction model and local shots) are the separate entry point `@tickwire/client/arena`.
 *
 * @module
 */
export { PROTOCOL_VERSION } from "./version.js";
export { TickwireClient, isTerminalCode, type ClientEvents, type ClientOptions, type ConnectionState, type JoinTarget, type NetStats, type RenderView, type SentInput, type SnapshotInfo, } from "./sdk/client.js";
export { SnapCodec, SnapDecodeError, EMPTY_WORLD, MAX_ENTITIES, MAX_FIELDS, findEntity, diffWorlds, MAX_DATA, type Entity, type FieldDesc, type KindDesc, type World, } from "./sdk/snapcodec.js";
export { Predictor, type FillPolicy, type PendingInput, type PredictionModel, type PredictorOptions, type Point } from "./sdk/prediction.js";
export { Interpolator, type InterpolationStats, type InterpolatorOptions, type RenderEntity } from "./sdk/interpolation.js";
export { InputClock, NetClock, RateMeter, type InputClockOptions } from "./sdk/clock.js";
export { matchmake, MatchmakingError, type MatchmakeOptions, type Placement, type Ticket, type TicketRequest } from "./sdk/matchmaking.js";
export { Emitter, type Listener } from "./sdk/emitter.js";
export { browserSocket, realScheduler, type Scheduler, type SocketCloseEvent, type SocketFactory, type SocketLike, type SocketMessageEvent, type TimerHandle, } from "./sdk/transport.js";
export * as pb from "./gen/tickwire_pb.js";
