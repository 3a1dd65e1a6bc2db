/**
 * What the client needs from its environment, as small interfaces so that tests inject fakes: a WebSocket and a
 * clock with timers.
 *
 * @module
 */
/** The close event of a socket. */
export interface SocketCloseEvent {
    readonly code: number;
    readonly reason: string;
}
/** The message event of a socket; the client sets binaryType "arraybuffer", so data is an ArrayBuffer. */
export interface SocketMessageEvent {
    readonly data: unknown;
}
/** The subset of the browser's WebSocket the client uses. */
export interface SocketLike {
    binaryType: string;
    readonly readyState: number;
    onopen: ((ev: unknown) => void) | null;
    onmessage: ((ev: SocketMessageEvent) => void) | null;
    onclose: ((ev: SocketCloseEvent) => void) | null;
    onerror: ((ev: unknown) => void) | null;
    send(data: Uint8Array<ArrayBuffer>): void;
    close(code?: number, reason?: string): void;
}
/** Opens a socket to url. */
export type SocketFactory = (url: string) => SocketLike;
/** WebSocket.OPEN. */
export declare const SOCKET_OPEN = 1;
/** The browser's WebSocket (or the runtime's global one). */
export declare const browserSocket: SocketFactory;
/** An opaque timer handle. */
export type TimerHandle = unknown;
/** Time and timers: the real ones by default, a manual one in tests. */
export interface Scheduler {
    /** Monotonic milliseconds. */
    now(): number;
    setTimeout(fn: () => void, ms: number): TimerHandle;
    clearTimeout(h: TimerHandle): void;
    setInterval(fn: () => void, ms: number): TimerHandle;
    clearInterval(h: TimerHandle): void;
}
/** The runtime's clock and timers. */
export declare const realScheduler: Scheduler;
