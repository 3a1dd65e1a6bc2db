/**
 * Matchmaking over the server's HTTP API: submit a ticket, long-poll it until it is placed, and get the WebSocket
 * address and the single-use join token to give TickwireClient (`join: { joinToken }`).
 *
 *     POST   /v1/matchmaking/tickets         {mode, players?, player_tokens?, rating?, properties?, create_private?,
 *                                            settings?, code?}
 *     GET    /v1/matchmaking/tickets/{id}?wait=10s
 *     DELETE /v1/matchmaking/tickets/{id}    (when the caller aborts)
 *
 * @module
 */
/** What to ask the matchmaker for (the body of POST /v1/matchmaking/tickets). */
export interface TicketRequest {
    /** The game mode, e.g. "arena". */
    readonly mode: string;
    /** Player names: one, or a party placed together. Empty: one player with a generated name. */
    readonly players?: readonly string[];
    /**
     * Signed player tokens from the game's backend, one per player in the order of `players` (or one when `players` is
     * empty). The matchmaker verifies them (HTTP 401 "unauthenticated" or "player_token_expired" when refused) and the
     * join tokens it hands out are bound to the verified users.
     */
    readonly player_tokens?: readonly string[];
    readonly rating?: number;
    readonly properties?: Readonly<Record<string, string>>;
    /** Open a new private room for this party; the placed ticket carries its code. */
    readonly create_private?: boolean;
    readonly settings?: Readonly<Record<string, string>>;
    /** Join the private room with this code. */
    readonly code?: string;
}
/** A ticket as the matchmaker reports it. */
export interface Ticket {
    readonly ticket_id: string;
    readonly status: "queued" | "placed" | "canceled" | "timed_out" | "failed";
    readonly mode: string;
    readonly players: readonly {
        readonly player: string;
        readonly join_token?: string;
    }[];
    readonly room_id?: string;
    readonly address?: string;
    readonly code?: string;
    readonly error?: string;
    readonly waited_ms: number;
}
/** A placed ticket: where to connect and with which token (the first player's; a party has one per player). */
export interface Placement {
    readonly ticket: Ticket;
    readonly roomId: string;
    /** The WebSocket URL to connect to. */
    readonly address: string;
    readonly joinToken: string;
}
/** Matchmaking failed: the ticket ended without a room, or the server refused the request. */
export declare class MatchmakingError extends Error {
    /** The error code ("unknown_mode", "queue_full", ...) or the ticket's final status ("timed_out", "failed"...). */
    readonly code: string;
    constructor(
    /** The error code ("unknown_mode", "queue_full", ...) or the ticket's final status ("timed_out", "failed"...). */
    code: string, message: string);
}
/** Options of matchmake. */
export interface MatchmakeOptions {
    /** Cancels the ticket and rejects. */
    readonly signal?: AbortSignal;
    /** Long-poll duration per request in seconds (default 10). */
    readonly waitSeconds?: number;
    /** The fetch function (default the global one; injected in tests). */
    readonly fetch?: typeof fetch;
}
/**
 * Submits a ticket to the matchmaker at baseUrl (e.g. "http://127.0.0.1:8080") and waits until it is placed.
 * Rejects with MatchmakingError when the ticket fails, times out or is canceled, and with the signal's reason when
 * aborted (after asking the server to cancel the ticket).
 */
export declare function matchmake(baseUrl: string, req: TicketRequest, opts?: MatchmakeOptions): Promise<Placement>;
