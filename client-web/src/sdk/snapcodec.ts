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
export const MAX_ENTITIES = 65536;
/** The most fields an entity kind may have. */
export const MAX_FIELDS = 32;
/** The most bytes of an entity's byte string (a kind with `data`). */
export const MAX_DATA = 32;

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
export const EMPTY_WORLD: World = Object.freeze({ tick: 0, entities: Object.freeze([]) as readonly Entity[] });

/** A decoding failure: the snapshot is corrupt or does not fit the baseline; the world is unchanged. */
export class SnapDecodeError extends Error {
  constructor(message: string) {
    super("snapcodec: corrupt snapshot: " + message);
    this.name = "SnapDecodeError";
  }
}

interface KindInfo {
  readonly id: number;
  readonly name: string;
  readonly nFields: number;
  /** rate[i] is the index of field i's rate field, or -1. */
  readonly rate: Int8Array;
  /** Entities carry a byte string, flagged by mask bit 1 + nFields. */
  readonly hasData: boolean;
  /** The highest valid mask: bit 0 plus one bit per field, plus the data bit (up to 2^34-1: not a bitwise int). */
  readonly maxMask: number;
  readonly fieldNames: readonly string[];
}

/** Varint reader over a body; every method throws SnapDecodeError on bad input. */
class Reader {
  off = 0;
  constructor(
    readonly b: Uint8Array,
    readonly end: number = b.length,
  ) {}

  uvarint(): number {
    let v = 0;
    for (let s = 0; s < 5; s++) {
      if (this.off >= this.end) throw new SnapDecodeError(`truncated at byte ${this.off}`);
      const c = this.b[this.off++]!;
      v += (c & 0x7f) * 2 ** (7 * s); // exact in a double up to 2^35
      if (c < 0x80) {
        if (v > 0xffffffff) throw new SnapDecodeError(`varint above 2^32-1 at byte ${this.off}`);
        return v;
      }
    }
    throw new SnapDecodeError(`varint longer than 5 bytes at byte ${this.off}`);
  }

  /** A mask: at most 5 bytes, its value may exceed 2^32-1 (the caller checks it against the kind's highest mask). */
  mask(): number {
    let v = 0;
    for (let s = 0; s < 5; s++) {
      if (this.off >= this.end) throw new SnapDecodeError(`truncated at byte ${this.off}`);
      const c = this.b[this.off++]!;
      v += (c & 0x7f) * 2 ** (7 * s);
      if (c < 0x80) return v;
    }
    throw new SnapDecodeError(`varint longer than 5 bytes at byte ${this.off}`);
  }

  /** A byte string: its length, then its bytes (a copy). */
  data(): Uint8Array {
    const n = this.uvarint();
    if (n > MAX_DATA) throw new SnapDecodeError(`${n} data bytes (max ${MAX_DATA})`);
    if (n > this.end - this.off) throw new SnapDecodeError(`truncated data at byte ${this.off}`);
    const d = this.b.slice(this.off, this.off + n);
    this.off += n;
    return d;
  }
}

/** Bit k of a mask that may exceed 32 bits. */
function bit(mask: number, k: number): boolean {
  return k < 31 ? ((mask >>> 0) & (1 << k)) !== 0 : Math.floor(mask / 2 ** k) % 2 === 1;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  const x = a ?? EMPTY_BYTES;
  const y = b ?? EMPTY_BYTES;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

const EMPTY_BYTES = new Uint8Array(0);

/** zigzag(v) for an int32, as a uint32. */
export function zigzag(v: number): number {
  return ((v << 1) ^ (v >> 31)) >>> 0;
}

/** The int32 a zigzag-encoded uint32 stands for. */
export function unzigzag(u: number): number {
  return (u >>> 1) ^ -(u & 1);
}

/** Appends a mask (up to 2^35-1, beyond bitwise range). */
function appendMask(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

function appendUvarint(out: number[], v: number): void {
  v >>>= 0;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
}

/**
 * A Codec decodes and encodes the entity bodies of one game schema. It is immutable after construction.
 */
export class SnapCodec {
  private readonly kinds: (KindInfo | undefined)[] = new Array<KindInfo | undefined>(256);

  /** Builds a codec from the entity kinds of a Welcome; throws on a kind the engine could never send. */
  constructor(kinds: readonly KindDesc[]) {
    for (const k of kinds) {
      if (!Number.isInteger(k.id) || k.id < 0 || k.id > 255) throw new Error(`snapcodec: kind id ${k.id} out of range`);
      if (this.kinds[k.id]) throw new Error(`snapcodec: duplicate kind id ${k.id}`);
      if (k.fields.length > MAX_FIELDS) throw new Error(`snapcodec: kind ${k.id} has ${k.fields.length} fields`);
      const rate = new Int8Array(k.fields.length).fill(-1);
      k.fields.forEach((f, i) => {
        if (f.rateField > k.fields.length) throw new Error(`snapcodec: kind ${k.id} field ${f.name}: bad rate field`);
        if (f.rateField > 0) rate[i] = f.rateField - 1;
      });
      const hasData = k.data === true;
      this.kinds[k.id] = {
        id: k.id,
        name: k.name,
        nFields: k.fields.length,
        rate,
        hasData,
        maxMask: 2 ** (1 + k.fields.length + (hasData ? 1 : 0)) - 1,
        fieldNames: k.fields.map((f) => f.name),
      };
    }
  }

  /** Reports whether the kind's entities carry a byte string. */
  hasData(kind: number): boolean {
    return this.kinds[kind]?.hasData ?? false;
  }

  /** Reports whether the schema has the kind. */
  knownKind(kind: number): boolean {
    return this.kinds[kind] !== undefined;
  }

  /** The kind's name, or undefined for an unknown kind. */
  kindName(kind: number): string | undefined {
    return this.kinds[kind]?.name;
  }

  /** The index of a kind's field by name, or -1. */
  fieldIndex(kind: number, name: string): number {
    return this.kinds[kind]?.fieldNames.indexOf(name) ?? -1;
  }

  /** The id of the kind with this name, or -1. */
  kindId(name: string): number {
    for (const k of this.kinds) if (k && k.name === name) return k.id;
    return -1;
  }

  /**
   * Decodes `body`, a delta at `tick` against `base` (the empty world when tick 0), and returns the new world.
   * Throws SnapDecodeError on any malformed or inconsistent input; never returns a partial world.
   */
  apply(base: World, tick: number, body: Uint8Array): World {
    const bents = base.tick !== 0 ? base.entities : EMPTY_WORLD.entities;
    const dt = base.tick !== 0 ? (tick - base.tick) | 0 : 0;
    const ents: Entity[] = [];
    const r = new Reader(body);

    const nRemoved = r.uvarint();
    if (nRemoved > bents.length) throw new SnapDecodeError(`${nRemoved} removed from a baseline of ${bents.length}`);
    const remStart = r.off;
    let prev = 0;
    for (let k = 0; k < nRemoved; k++) {
      const g = r.uvarint();
      if (k > 0 && g === 0) throw new SnapDecodeError("removed ids not ascending");
      prev += g;
      if (prev > 0xffffffff) throw new SnapDecodeError("removed id overflows");
    }
    const rem = new Reader(body, r.off);
    rem.off = remStart;
    let remLeft = nRemoved;
    let remID = 0;
    let hasRem = false;
    const nextRem = (): void => {
      hasRem = remLeft > 0;
      if (!hasRem) return;
      remID += rem.uvarint();
      remLeft--;
    };
    nextRem();

    let i = 0;
    const copyBaseBelow = (limit: number): void => {
      while (i < bents.length && bents[i]!.id < limit) {
        const b = bents[i]!;
        if (hasRem && remID < b.id) throw new SnapDecodeError(`removed id ${remID} not in baseline`);
        if (hasRem && remID === b.id) {
          nextRem();
        } else {
          if (ents.length >= MAX_ENTITIES) throw new SnapDecodeError(`more than ${MAX_ENTITIES} entities`);
          ents.push(this.predict(b, dt));
        }
        i++;
      }
    };

    const nChanged = r.uvarint();
    if (nChanged > MAX_ENTITIES) throw new SnapDecodeError(`${nChanged} changed entities`);
    if (nChanged * 2 > body.length - r.off) {
      throw new SnapDecodeError(`truncated: ${nChanged} entities in ${body.length - r.off} bytes`);
    }
    let id = 0;
    for (let k = 0; k < nChanged; k++) {
      const g = r.uvarint();
      if (k > 0 && g === 0) throw new SnapDecodeError("changed ids not ascending");
      id += g;
      if (id > 0xffffffff) throw new SnapDecodeError("changed id overflows");
      const mask = r.mask();
      copyBaseBelow(id);
      const inBase = i < bents.length && bents[i]!.id === id;
      const removed = inBase && hasRem && remID === id;
      let e: Entity;
      if (mask % 2 === 1) {
        const kind = r.uvarint();
        const ki = kind <= 255 ? this.kinds[kind] : undefined;
        if (!ki) throw new SnapDecodeError(`unknown kind ${kind} for id ${id}`);
        if (mask > ki.maxMask) throw new SnapDecodeError(`mask ${mask} beyond kind ${kind}'s fields`);
        if (inBase && !removed) throw new SnapDecodeError(`new id ${id} already in baseline`);
        const fields = new Int32Array(ki.nFields);
        for (let f = 0; f < ki.nFields; f++) {
          if (bit(mask, 1 + f)) fields[f] = unzigzag(r.uvarint());
        }
        if (ki.hasData) {
          e = { id, kind, fields, data: bit(mask, 1 + ki.nFields) ? r.data() : EMPTY_BYTES };
        } else {
          e = { id, kind, fields };
        }
      } else {
        if (!inBase || removed) throw new SnapDecodeError(`changed id ${id} not in baseline`);
        const b = bents[i]!;
        const ki = this.kinds[b.kind]!;
        if (mask > ki.maxMask) throw new SnapDecodeError(`mask ${mask} beyond kind ${b.kind}'s fields`);
        const fields = new Int32Array(ki.nFields);
        for (let f = 0; f < ki.nFields; f++) {
          let v = b.fields[f]!;
          const rt = ki.rate[f]!;
          if (rt >= 0) v = (v + Math.imul(b.fields[rt]!, dt)) | 0;
          if (bit(mask, 1 + f)) v = (v + unzigzag(r.uvarint())) | 0;
          fields[f] = v;
        }
        if (ki.hasData) {
          e = { id, kind: b.kind, fields, data: bit(mask, 1 + ki.nFields) ? r.data() : (b.data ?? EMPTY_BYTES) };
        } else {
          e = { id, kind: b.kind, fields };
        }
      }
      if (inBase) {
        if (removed) nextRem();
        i++;
      }
      if (ents.length >= MAX_ENTITIES) throw new SnapDecodeError(`more than ${MAX_ENTITIES} entities`);
      ents.push(e);
    }
    copyBaseBelow(2 ** 32);
    if (hasRem) throw new SnapDecodeError(`removed id ${remID} not in baseline`);
    if (r.off !== body.length) throw new SnapDecodeError(`${body.length - r.off} trailing bytes`);
    return { tick, entities: ents };
  }

  /** The baseline entity carried forward by its rates over dt ticks (shared when nothing moves). */
  private predict(b: Entity, dt: number): Entity {
    const ki = this.kinds[b.kind]!;
    let fields: Int32Array | undefined;
    for (let f = 0; f < ki.nFields; f++) {
      const rt = ki.rate[f]!;
      if (rt < 0) continue;
      const step = Math.imul(b.fields[rt]!, dt);
      if (step === 0) continue;
      fields ??= b.fields.slice();
      fields[f] = (b.fields[f]! + step) | 0;
    }
    if (!fields) return b;
    return b.data ? { id: b.id, kind: b.kind, fields, data: b.data } : { id: b.id, kind: b.kind, fields };
  }

  /**
   * Encodes `cur` as a delta against `base` (the empty world when base.tick is 0), as the server does. Used by tests
   * and tools; entities must be sorted by ascending id and use only the schema's kinds.
   */
  encode(base: World, cur: World): Uint8Array {
    const bents = base.tick !== 0 ? base.entities : EMPTY_WORLD.entities;
    const dt = base.tick !== 0 ? (cur.tick - base.tick) | 0 : 0;
    const cents = cur.entities;
    const out: number[] = [];
    const removed: number[] = [];
    let j = 0;
    for (const b of bents) {
      while (j < cents.length && cents[j]!.id < b.id) j++;
      if (j < cents.length && cents[j]!.id === b.id && cents[j]!.kind === b.kind) continue;
      removed.push(b.id);
    }
    appendUvarint(out, removed.length);
    let prev = 0;
    for (const id of removed) {
      appendUvarint(out, id - prev);
      prev = id;
    }
    const items: number[] = [];
    let n = 0;
    prev = 0;
    let i = 0;
    for (const e of cents) {
      while (i < bents.length && bents[i]!.id < e.id) i++;
      const ki = this.kinds[e.kind];
      if (!ki) throw new Error(`snapcodec: unknown kind ${e.kind}`);
      const b = bents[i];
      if (b && b.id === e.id && b.kind === e.kind) {
        const res: number[] = [];
        let mask = 0;
        for (let f = 0; f < ki.nFields; f++) {
          let pred = b.fields[f]!;
          const rt = ki.rate[f]!;
          if (rt >= 0) pred = (pred + Math.imul(b.fields[rt]!, dt)) | 0;
          const d = (e.fields[f]! - pred) | 0;
          if (d !== 0) {
            mask += 2 ** (1 + f);
            res.push(d);
          }
        }
        const dataChanged = ki.hasData && !sameBytes(e.data, b.data);
        if (dataChanged) mask += 2 ** (1 + ki.nFields);
        if (mask === 0) continue;
        appendUvarint(items, e.id - prev);
        appendMask(items, mask);
        for (const d of res) appendUvarint(items, zigzag(d));
        if (dataChanged) appendData(items, e.data);
      } else {
        let mask = 1;
        for (let f = 0; f < ki.nFields; f++) if (e.fields[f] !== 0) mask += 2 ** (1 + f);
        const hasData = ki.hasData && (e.data?.length ?? 0) > 0;
        if (hasData) mask += 2 ** (1 + ki.nFields);
        appendUvarint(items, e.id - prev);
        appendMask(items, mask);
        appendUvarint(items, e.kind);
        for (let f = 0; f < ki.nFields; f++) if (e.fields[f] !== 0) appendUvarint(items, zigzag(e.fields[f]!));
        if (hasData) appendData(items, e.data);
      }
      prev = e.id;
      n++;
    }
    appendUvarint(out, n);
    for (const b of items) out.push(b);
    return Uint8Array.from(out);
  }

  /** The 32-bit FNV-1a hash of a world, as Snapshot.state_hash carries it. */
  hash(w: World): number {
    const prime = 16777619;
    let h = 2166136261 | 0;
    const word = (v: number): void => {
      h = Math.imul(h ^ (v & 0xff), prime);
      h = Math.imul(h ^ ((v >>> 8) & 0xff), prime);
      h = Math.imul(h ^ ((v >>> 16) & 0xff), prime);
      h = Math.imul(h ^ (v >>> 24), prime);
    };
    for (const e of w.entities) {
      word(e.id);
      h = Math.imul(h ^ e.kind, prime);
      const ki = this.kinds[e.kind];
      const n = ki?.nFields ?? 0;
      for (let f = 0; f < n; f++) word(e.fields[f]!);
      if (ki?.hasData) {
        const d = e.data ?? EMPTY_BYTES;
        h = Math.imul(h ^ d.length, prime);
        for (const x of d) h = Math.imul(h ^ x, prime);
      }
    }
    return h >>> 0;
  }
}

function appendData(out: number[], d: Uint8Array | undefined): void {
  const x = d ?? EMPTY_BYTES;
  if (x.length > MAX_DATA) throw new Error(`snapcodec: ${x.length} data bytes (max ${MAX_DATA})`);
  out.push(x.length);
  for (const b of x) out.push(b);
}

/**
 * Compares two worlds: calls onEnter for each entity of `cur` that `prev` lacks (or holds with another kind) and
 * onExit for each entity of `prev` that `cur` lacks (or holds with another kind), in ascending id order.
 */
export function diffWorlds(
  prev: World,
  cur: World,
  onEnter: (e: Entity) => void,
  onExit: (e: Entity) => void,
): void {
  const a = prev.entities;
  const b = cur.entities;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x.id < y.id)) {
      onExit(x!);
      i++;
    } else if (x === undefined || y.id < x.id) {
      onEnter(y);
      j++;
    } else {
      if (x.kind !== y.kind) {
        onExit(x);
        onEnter(y);
      }
      i++;
      j++;
    }
  }
}

/** Finds an entity by id in a world (binary search), or undefined. */
export function findEntity(w: World, id: number): Entity | undefined {
  const es = w.entities;
  let lo = 0;
  let hi = es.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const m = es[mid]!;
    if (m.id === id) return m;
    if (m.id < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}
