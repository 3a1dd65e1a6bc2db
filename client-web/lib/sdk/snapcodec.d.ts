/**
 * The snapshot entity codec: decodes (and, for tools and tests, encodes) `Snapshot.entities`, a compact delta of a
 * room's entities against a baseline world the client holds. It mirrors the Go package `proto/snapcodec`, whose
 * package documentation is the format's specification; golden vectors written by the Go codec pin the two together.
 *
 * The codec is generic: it knows nothing of any game and is built from the entity kinds of `Welcome.kinds`.
 * All arithmetic wraps modulo 2^32 as int32, exactly like Go's int32 (`| 0` and `Math.imul`).
 *
 * @module
 */
/** The most entities a decoded world, or one list of a body, may hold. */
export declare const MAX_ENTITIES = 65536;
/** The most fields an entity kind may have. */
export declare const MAX_FIELDS = 32;
/** The most bytes of an entity's byte string (a kind with `data`). */
export declare const MAX_DATA = 32;
/** One field of an entity kind, as `Welcome.kinds[].fields[]` describes it. */
export interface FieldDesc {
    readonly name: string;
    /** 1 + the index of the field holding this field's change per tick, or 0 for none. */
    readonly rateField: number;
}
/** One entity kind, as `Welcome.kinds[]` describes it (the generated `EntityKind` message fits this shape). */
export interface KindDesc {
    readonly id: number;
    readonly name: string;
    readonly fields: readonly FieldDesc[];
    /** Entities of the kind carry a small byte string (a name, a card id), sent when it changes. */
    readonly data?: boolean;
}
/** One entity at one tick. Entities are immutable: a decoder makes new ones and may share unchanged ones. */
export interface Entity {
    /** Entity id (uint32). */
    readonly id: number;
    /** Kind id (0..255). */
    readonly kind: number;
    /** The kind's fields in schema order (exactly as many as the kind has), int32 values. */
    readonly fields: Int32Array;
    /** The entity's byte string, for a kind with `data` (else undefined). */
    readonly data?: Uint8Array;
}
/** A room's entities at one tick, sorted by strictly ascending id. Tick 0 is the empty world. */
export interface World {
    readonly tick: number;
    readonly entities: readonly Entity[];
}
/** The empty world: the baseline of a full snapshot. */
export declare const EMPTY_WORLD: World;
/** A decoding failure: the snapshot is corrupt or does not fit the baseline; the world is unchanged. */
export declare class SnapDecodeError extends Error {
    constructor(message: string);
}
/** zigzag(v) for an int32, as a uint32. */
export declare function zigzag(v: number): number;
/** The int32 a zigzag-encoded uint32 stands for. */
export declare function unzigzag(u: number): number;
/**
 * A Codec decodes and encodes the entity bodies of one game schema. It is immutable after construction.
 */
export declare class SnapCodec {
    private readonly kinds;
    /** Builds a codec from the entity kinds of a Welcome; throws on a kind the engine could never send. */
    constructor(kinds: readonly KindDesc[]);
    /** Reports whether the kind's entities carry a byte string. */
    hasData(kind: number): boolean;
    /** Reports whether the schema has the kind. */
    knownKind(kind: number): boolean;
    /** The kind's name, or undefined for an unknown kind. */
    kindName(kind: number): string | undefined;
    /** The index of a kind's field by name, or -1. */
    fieldIndex(kind: number, name: string): number;
    /** The id of the kind with this name, or -1. */
    kindId(name: string): number;
    /**
     * Decodes `body`, a delta at `tick` against `base` (the empty world when tick 0), and returns the new world.
     * Throws SnapDecodeError on any malformed or inconsistent input; never returns a partial world.
     */
    apply(base: World, tick: number, body: Uint8Array): World;
    /** The baseline entity carried forward by its rates over dt ticks (shared when nothing moves). */
    private predict;
    /**
     * Encodes `cur` as a delta against `base` (the empty world when base.tick is 0), as the server does. Used by tests
     * and tools; entities must be sorted by ascending id and use only the schema's kinds.
     */
    encode(base: World, cur: World): Uint8Array;
    /** The 32-bit FNV-1a hash of a world, as Snapshot.state_hash carries it. */
    hash(w: World): number;
}
/**
 * Compares two worlds: calls onEnter for each entity of `cur` that `prev` lacks (or holds with another kind) and
 * onExit for each entity of `prev` that `cur` lacks (or holds with another kind), in ascending id order.
 */
export declare function diffWorlds(prev: World, cur: World, onEnter: (e: Entity) => void, onExit: (e: Entity) => void): void;
/** Finds an entity by id in a world (binary search), or undefined. */
export declare function findEntity(w: World, id: number): Entity | undefined;
