// The TypeScript snapshot codec against golden vectors written by the Go codec (client-web/golden_test.go).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { SnapCodec, SnapDecodeError, findEntity, zigzag, unzigzag, type World, type Entity } from "../src/sdk/snapcodec";

interface GoldenEntity {
  id: number;
  kind: number;
  fields: number[];
  data?: string;
}
interface GoldenCase {
  name: string;
  base_tick: number;
  base: GoldenEntity[];
  tick: number;
  body: string;
  want?: GoldenEntity[];
  want_hash?: number;
  want_error?: boolean;
}
interface GoldenMutation {
  of: string;
  body: string;
  want_error?: boolean;
  want_hash?: number;
  want_count?: number;
}
interface GoldenFile {
  kinds: { id: number; name: string; fields: { name: string; rate_field: number }[]; data?: boolean }[];
  cases: GoldenCase[];
  mutations: GoldenMutation[];
}

const golden = JSON.parse(
  readFileSync(new URL("./testdata/snapcodec_golden.json", import.meta.url), "utf8"),
) as GoldenFile;
const codec = new SnapCodec(
  golden.kinds.map((k) => ({
    id: k.id,
    name: k.name,
    fields: k.fields.map((f) => ({ name: f.name, rateField: f.rate_field })),
    data: k.data === true,
  })),
);

function toWorld(tick: number, es: GoldenEntity[]): World {
  return {
    tick,
    entities: es.map((e) =>
      e.data === undefined
        ? { id: e.id, kind: e.kind, fields: Int32Array.from(e.fields) }
        : { id: e.id, kind: e.kind, fields: Int32Array.from(e.fields), data: hexBytes(e.data) },
    ),
  };
}
function plain(es: readonly Entity[]): GoldenEntity[] {
  return es.map((e) =>
    e.data === undefined
      ? { id: e.id, kind: e.kind, fields: Array.from(e.fields) }
      : { id: e.id, kind: e.kind, fields: Array.from(e.fields), data: Buffer.from(e.data).toString("hex") },
  );
}
function hexBytes(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
}

test("golden file covers what it must", () => {
  const names = golden.cases.map((c) => c.name);
  for (const n of [
    "full",
    "delta_one_tick",
    "delta_multi_tick_removed_and_new",
    "delta_kind_change",
    "wraparound_delta",
    "wide_full",
    "wide_delta",
    "wide_delta_data_only",
    "data_too_long",
  ]) {
    assert.ok(names.includes(n), n);
  }
  assert.ok(golden.cases.filter((c) => c.want_error).length >= 10);
});

for (const c of golden.cases) {
  test(`golden ${c.name}`, () => {
    const base = toWorld(c.base_tick, c.base);
    const body = hexBytes(c.body);
    if (c.want_error) {
      assert.throws(() => codec.apply(base, c.tick, body), SnapDecodeError);
      return;
    }
    const got = codec.apply(base, c.tick, body);
    assert.equal(got.tick, c.tick);
    assert.deepEqual(plain(got.entities), c.want ?? []);
    assert.equal(codec.hash(got), c.want_hash ?? 0);
    // The TypeScript encoder writes the very bytes the Go encoder wrote.
    assert.equal(Buffer.from(codec.encode(base, got)).toString("hex"), c.body);
  });
}

test("one-byte mutations: accepted and rejected exactly as by the Go decoder, with the same world", () => {
  assert.ok(golden.mutations.length > 100);
  let accepted = 0;
  for (const m of golden.mutations) {
    const c = golden.cases.find((x) => x.name === m.of)!;
    const base = toWorld(c.base_tick, c.base);
    let got: World | undefined;
    try {
      got = codec.apply(base, c.tick, hexBytes(m.body));
    } catch (err) {
      assert.ok(err instanceof SnapDecodeError, `${m.of} ${m.body}: ${String(err)}`);
    }
    if (m.want_error) {
      assert.equal(got, undefined, `${m.of} ${m.body}: Go rejects it`);
      continue;
    }
    assert.ok(got, `${m.of} ${m.body}: Go accepts it`);
    assert.equal(got.entities.length, m.want_count ?? 0, `${m.of} ${m.body}: entity count`);
    assert.equal(codec.hash(got), m.want_hash ?? 0, `${m.of} ${m.body}: hash`);
    accepted++;
  }
  assert.ok(accepted > 20, `${accepted} accepted mutations`);
});

test("zigzag round-trips int32 extremes", () => {
  for (const v of [0, 1, -1, 2147483647, -2147483648, 123456, -654321]) {
    assert.equal(unzigzag(zigzag(v)), v);
  }
  assert.equal(zigzag(-1), 1);
  assert.equal(zigzag(-2147483648), 0xffffffff);
});

test("every prefix of a valid body is rejected, never a crash", () => {
  for (const c of golden.cases) {
    if (c.want_error) continue;
    const base = toWorld(c.base_tick, c.base);
    const body = hexBytes(c.body);
    for (let n = 0; n < body.length; n++) {
      assert.throws(() => codec.apply(base, c.tick, body.subarray(0, n)), SnapDecodeError, `${c.name} prefix ${n}`);
    }
  }
});

test("findEntity finds by id", () => {
  const c = golden.cases.find((x) => x.name === "full")!;
  const w = codec.apply(toWorld(0, []), c.tick, hexBytes(c.body));
  for (const e of w.entities) assert.equal(findEntity(w, e.id), e);
  assert.equal(findEntity(w, 12345), undefined);
});
