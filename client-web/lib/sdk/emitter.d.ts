/** A minimal typed event emitter. @module */
/** Listener of an event whose payload is T. */
export type Listener<T> = (payload: T) => void;
/** Emits events named by the keys of Events, each with its payload type. */
export declare class Emitter<Events extends object> {
    private readonly listeners;
    /** Adds a listener and returns a function that removes it. */
    on<K extends keyof Events>(type: K, fn: Listener<Events[K]>): () => void;
    /** Calls every listener of type with payload; a throwing listener does not stop the others. */
    protected emit<K extends keyof Events>(type: K, payload: Events[K]): void;
}
