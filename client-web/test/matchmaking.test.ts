// matchmake against a fake fetch that plays the matchmaker's HTTP API.
import { test } from "node:test";
import assert from "node:assert/strict";
import { matchmake, MatchmakingError, type Ticket } from "../src/sdk/matchmaking";

function ticket(status: Ticket["status"], extra: Partial<Ticket> = {}): Ticket {
  return { ticket_id: "t1", status, mode: "arena", players: [{ player: "ann" }], waited_ms: 0, ...extra };
}

function fakeFetch(answers: { status: number; body: unknown }[], calls: { url: string; method: string; body?: string }[]): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(input), method: init?.method ?? "GET", body: init?.body as string | undefined });
    init?.signal?.throwIfAborted();
    const a = answers.shift();
    if (!a) throw new Error("unexpected request");
    return new Response(JSON.stringify(a.body), { status: a.status, headers: { "Content-Type": "application/json" } });
  }) as typeof fetch;
}

test("submits, long-polls until placed, returns the address and join token", async () => {
  const calls: { url: string; method: string; body?: string }[] = [];
  const placed = ticket("placed", { room_id: "r9", address: "ws://h/ws", players: [{ player: "ann", join_token: "jt" }] });
  const p = await matchmake("http://h/", { mode: "arena", players: ["ann"] }, {
    fetch: fakeFetch([{ status: 201, body: ticket("queued") }, { status: 200, body: ticket("queued") }, { status: 200, body: placed }], calls),
    waitSeconds: 5,
  });
  assert.deepEqual({ roomId: p.roomId, address: p.address, joinToken: p.joinToken }, { roomId: "r9", address: "ws://h/ws", joinToken: "jt" });
  assert.deepEqual(calls.map((c) => `${c.method} ${c.url}`), [
    "POST http://h/v1/matchmaking/tickets",
    "GET http://h/v1/matchmaking/tickets/t1?wait=5s",
    "GET http://h/v1/matchmaking/tickets/t1?wait=5s",
  ]);
  assert.deepEqual(JSON.parse(calls[0]!.body!), { mode: "arena", players: ["ann"] });
});

test("an error response and an unplaced ticket reject with MatchmakingError", async () => {
  await assert.rejects(
    matchmake("http://h", { mode: "nope" }, { fetch: fakeFetch([{ status: 400, body: { error: "unknown_mode", message: "no mode nope" } }], []) }),
    (e: unknown) => e instanceof MatchmakingError && e.code === "unknown_mode",
  );
  await assert.rejects(
    matchmake("http://h", { mode: "arena" }, { fetch: fakeFetch([{ status: 201, body: ticket("timed_out") }], []) }),
    (e: unknown) => e instanceof MatchmakingError && e.code === "timed_out",
  );
});

test("aborting cancels the ticket on the server", async () => {
  const calls: { url: string; method: string }[] = [];
  const ac = new AbortController();
  const f = fakeFetch([{ status: 201, body: ticket("queued") }, { status: 200, body: ticket("canceled") }], calls);
  const aborting: typeof fetch = async (input, init) => {
    if (calls.length === 1) ac.abort(new Error("gave up"));
    return f(input, init);
  };
  await assert.rejects(matchmake("http://h", { mode: "arena" }, { fetch: aborting, signal: ac.signal }), /gave up/);
  assert.deepEqual(calls.map((c) => c.method), ["POST", "GET", "DELETE"]);
});

test("player tokens go in the ticket's body; a refused token rejects with its code", async () => {
  const calls: { url: string; method: string; body?: string }[] = [];
  const placed = ticket("placed", { room_id: "r1", address: "ws://h/ws", players: [{ player: "Ann", join_token: "jt" }] });
  await matchmake("http://h", { mode: "arena", player_tokens: ["eyJ.a.b"] }, { fetch: fakeFetch([{ status: 201, body: placed }], calls) });
  assert.deepEqual(JSON.parse(calls[0]!.body!), { mode: "arena", player_tokens: ["eyJ.a.b"] });
  assert.ok(!calls[0]!.url.includes("eyJ"));
  for (const code of ["unauthenticated", "player_token_expired"]) {
    await assert.rejects(
      matchmake("http://h", { mode: "arena", player_tokens: ["x"] }, { fetch: fakeFetch([{ status: 401, body: { error: code, message: "refused" } }], []) }),
      (e: unknown) => e instanceof MatchmakingError && e.code === code,
    );
  }
});
