// The package's protocol version: the one the client offers in Hello, the newest the generated protocol code knows,
// the one proto/tickwire.proto states, and the package's major version (@tickwire/client 2.x speaks protocol 2).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { PROTOCOL_VERSION, TickwireClient } from "../src/index";
import { ProtocolVersion } from "../src/gen/tickwire_pb";
import { FakeScheduler, FakeSocket } from "./fakes";

const read = (rel: string) => readFileSync(new URL(rel, import.meta.url), "utf8");

test("PROTOCOL_VERSION is the newest version of the generated protocol code and of proto/tickwire.proto", () => {
  const known = Object.values(ProtocolVersion).filter((v): v is number => typeof v === "number");
  assert.equal(PROTOCOL_VERSION, Math.max(...known));
  assert.equal(ProtocolVersion[`PROTOCOL_VERSION_${PROTOCOL_VERSION}` as keyof typeof ProtocolVersion], PROTOCOL_VERSION);
  const proto = read("../../proto/tickwire.proto");
  assert.match(proto, new RegExp(`^// Tickwire wire protocol, version ${PROTOCOL_VERSION}\\.`, "m"));
  assert.match(proto, new RegExp(`\\bPROTOCOL_VERSION_${PROTOCOL_VERSION} = ${PROTOCOL_VERSION};`));
});

test("the package's major version is PROTOCOL_VERSION", () => {
  const pkg = JSON.parse(read("../package.json")) as { version: string };
  assert.equal(pkg.version.split(".")[0], String(PROTOCOL_VERSION), `package version ${pkg.version}`);
});

test("the client's Hello offers exactly PROTOCOL_VERSION", () => {
  let sock: FakeSocket | undefined;
  const client = new TickwireClient({ url: "ws://t/ws", join: { mode: "arena" }, scheduler: new FakeScheduler(), socket: (u) => (sock = new FakeSocket(u)) });
  client.connect();
  sock!.open();
  const hello = sock!.sent[0]!.msg;
  assert.equal(hello.case, "hello");
  const h = hello.value!;
  assert.deepEqual([h.protocolVersion, h.minProtocolVersion, h.maxProtocolVersion], [PROTOCOL_VERSION, PROTOCOL_VERSION, PROTOCOL_VERSION]);
  client.close();
});
