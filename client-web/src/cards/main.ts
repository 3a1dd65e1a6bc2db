// The card game page (game/cards, Crazy Eights): quick play into a "cards" room on the server that serves this page,
// built on the SDK alone. The hand, the table and the seats come from the snapshots (each player's view holds its own
// hand and nobody else's); moves are game messages naming the turn they are for. window.tickwireCards is a small
// read-only view for tests.
import { TickwireClient, type ConnectionState, type Entity, type World, type pb } from "../index";

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

const SUITS = ["♣", "♦", "♥", "♠"];
const RANKS = ["", "A", "2", "3", "4", "5", "6", "7", "8", "9", "10", "J", "Q", "K"];
const EIGHT = 8;
const WHERE_HAND = 1;
const WHERE_PILE = 2;
const STATE_PLAYING = 1;

/** Kind ids and field indexes by name, from the Welcome: the page follows the server's schema. */
interface Schema {
  seat: number;
  table: number;
  card: number;
  field: (kind: number, name: string) => number;
}

function schemaOf(w: pb.Welcome): Schema {
  const byName = (n: string) => w.kinds.find((k) => k.name === n)?.id ?? -1;
  return {
    seat: byName("seat"),
    table: byName("table"),
    card: byName("card"),
    field: (kind, name) => w.kinds.find((k) => k.id === kind)?.fields.findIndex((f) => f.name === name) ?? -1,
  };
}

const client = new TickwireClient({
  url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`,
  join: { mode: "cards" },
  name: new URLSearchParams(location.search).get("name") ?? undefined,
});

let schema: Schema | undefined;

/** What the page shows, read from the latest world. */
interface TableView {
  state: number;
  turn: number;
  turnNo: number;
  suit: number;
  stock: number;
  top: number | undefined; // card number
  hand: number[]; // card numbers, ascending
  seats: { id: number; seat: number; cards: number; connected: boolean; name: string }[];
}

function cardOf(e: Entity): number {
  return e.id - (client.welcome?.params["card_base"] ?? 0);
}

function readWorld(w: World): TableView | undefined {
  const s = schema;
  if (!s) return undefined;
  const v: TableView = { state: 0, turn: 0, turnNo: 0, suit: 0, stock: 0, top: undefined, hand: [], seats: [] };
  const f = (e: Entity, name: string) => e.fields[s.field(e.kind, name)] ?? 0;
  const dec = new TextDecoder();
  for (const e of w.entities) {
    if (e.kind === s.table) {
      v.state = f(e, "state");
      v.turn = f(e, "turn");
      v.turnNo = f(e, "turn_no");
      v.suit = f(e, "suit");
      v.stock = f(e, "stock");
    } else if (e.kind === s.seat) {
      v.seats.push({ id: e.id, seat: f(e, "seat"), cards: f(e, "cards"), connected: f(e, "connected") === 1, name: e.data ? dec.decode(e.data) : "" });
    } else if (e.kind === s.card) {
      if (f(e, "where") === WHERE_PILE) v.top = cardOf(e);
      else if (f(e, "where") === WHERE_HAND && f(e, "owner") === client.playerId) v.hand.push(cardOf(e));
    }
  }
  v.seats.sort((a, b) => a.seat - b.seat);
  return v;
}

const suitOf = (c: number) => Math.floor(c / 13);
const rankOf = (c: number) => (c % 13) + 1;
const label = (c: number) => RANKS[rankOf(c)]! + SUITS[suitOf(c)]!;

function legal(c: number, v: TableView): boolean {
  if (v.top === undefined) return false;
  return rankOf(c) === EIGHT || suitOf(c) === v.suit || rankOf(c) === rankOf(v.top);
}

function myTurn(v: TableView | undefined): boolean {
  return v !== undefined && v.state === STATE_PLAYING && v.turn === client.playerId;
}

let view: TableView | undefined;
/** The turn a move was sent for: one move per turn (a second one would be refused as stale). */
let movedTurn = 0;
/** An eight waiting for its suit. */
let pendingEight: number | undefined;

function send(type: "play" | "draw", payload: string): void {
  try {
    client.sendMessage(type, payload);
    movedTurn = view?.turnNo ?? 0;
  } catch (e) {
    log(`could not send: ${(e as Error).message}`);
  }
  render();
}

function play(c: number): void {
  if (!view || !myTurn(view) || movedTurn === view.turnNo || !legal(c, view)) return;
  if (rankOf(c) === EIGHT) {
    pendingEight = c;
    render();
    return;
  }
  send("play", `${view.turnNo} ${c}`);
}

$("draw").addEventListener("click", () => {
  if (view && myTurn(view) && movedTurn !== view.turnNo) send("draw", `${view.turnNo}`);
});
for (const b of document.querySelectorAll<HTMLButtonElement>("#suits button")) {
  b.addEventListener("click", () => {
    const c = pendingEight;
    pendingEight = undefined;
    if (c !== undefined && view && myTurn(view) && movedTurn !== view.turnNo) send("play", `${view.turnNo} ${c} ${b.dataset["suit"]}`);
    else render();
  });
}
$("again").addEventListener("click", () => location.reload());

function cardElement(c: number, tag: "button" | "span"): HTMLElement {
  const el = document.createElement(tag);
  el.className = "card" + (suitOf(c) === 1 || suitOf(c) === 2 ? " red" : "");
  el.textContent = label(c);
  el.dataset["card"] = String(c);
  return el;
}

/** What the page last drew: snapshots arrive every tick, and most change nothing on the table. */
let drawnKey = "";

function render(): void {
  const v = view;
  const playing = client.state.kind === "playing";
  $("me").textContent = playing ? `· you are P${client.playerId}` : "";
  if (!v) return;
  const mine = myTurn(v) && movedTurn !== v.turnNo;
  // Rebuilding the buttons only when the table changed keeps them under the pointer between snapshots.
  const key = JSON.stringify([v, mine, pendingEight, client.matchResult?.reason, client.playerId]);
  if (key === drawnKey) return;
  drawnKey = key;
  let status: string;
  if (client.matchResult) status = "The hand is over.";
  else if (v.state !== STATE_PLAYING) status = `Waiting for players (${v.seats.length} seated)…`;
  else if (!v.seats.some((s) => s.id === client.playerId)) status = `You are watching: P${v.turn} to play.`;
  else if (mine) status = pendingEight !== undefined ? "Name the suit for your eight." : "Your turn: play a card or draw.";
  else if (myTurn(v)) status = "Sent…";
  else status = `Waiting for P${v.turn}…`;
  $("status").textContent = status;
  document.body.dataset["turn"] = mine ? "mine" : "other";

  $("seats").replaceChildren(
    ...v.seats.map((s) => {
      const li = document.createElement("li");
      li.className = [s.id === client.playerId ? "me" : "", s.id === v.turn && v.state === STATE_PLAYING ? "turn" : "", s.connected ? "" : "off"].join(" ").trim();
      li.dataset["player"] = String(s.id);
      const name = Object.assign(document.createElement("span"), { className: "name", textContent: `${s.name || "P" + s.id}${s.id === client.playerId ? " (you)" : ""}` });
      li.append(name, document.createTextNode(` · ${s.cards} card${s.cards === 1 ? "" : "s"}`));
      return li;
    }),
  );
  const pile = $("pile");
  pile.replaceChildren(...(v.top === undefined ? [] : [cardElement(v.top, "span")]));
  $("suit").textContent = v.top === undefined ? "" : `Suit to follow: ${SUITS[v.suit]}`;
  $("stock").textContent = v.state === STATE_PLAYING ? `${v.stock} in the stock` : "";
  ($("draw") as HTMLButtonElement).disabled = !mine || pendingEight !== undefined;
  $("hand").replaceChildren(
    ...v.hand.map((c) => {
      const b = cardElement(c, "button") as HTMLButtonElement;
      b.disabled = !mine || pendingEight !== undefined || !legal(c, v);
      b.addEventListener("click", () => play(c));
      return b;
    }),
  );
  $("suits").hidden = pendingEight === undefined || !mine;
}

// --- feed ---
const feed: string[] = [];
function log(line: string): void {
  feed.unshift(line);
  feed.length = Math.min(feed.length, 6);
  $("feed").replaceChildren(...feed.map((l) => Object.assign(document.createElement("div"), { textContent: l })));
}

const who = (id: number) => (id === client.playerId ? "you" : `P${id}`);
const REFUSALS = ["", "bad message", "no hand under way", "not your turn", "stale move", "card not in your hand", "card does not match"];

client.on("event", (ev: pb.Event) => {
  const a = ev.args;
  switch (ev.type) {
    case "played": {
      const c = a[0] ?? 0;
      log(`${who(ev.playerId)} played ${label(c)}${rankOf(c) === EIGHT ? `, naming ${SUITS[a[1] ?? 0]}` : ""} (${a[2]} left)`);
      break;
    }
    case "drew":
      log(`${who(ev.playerId)} drew${a[2] ? " (time ran out)" : ""} (${a[0]} cards)`);
      break;
    case "drawn":
      log(`you drew ${label(a[0] ?? 0)}`);
      break;
    case "move_refused":
      log(`move refused: ${REFUSALS[a[1] ?? 0] ?? a[1]}`);
      movedTurn = 0; // the turn is still ours: let the player try again
      render();
      break;
    case "player_joined":
      log(`${who(ev.playerId)} joined`);
      break;
    case "player_left":
      log(`P${ev.playerId} left`);
      break;
    default:
      break;
  }
});

client.on("welcome", (w) => {
  schema = schemaOf(w);
});
client.on("snapshot", (s) => {
  view = readWorld(s.world);
  if (pendingEight !== undefined && !view?.hand.includes(pendingEight)) pendingEight = undefined;
  render();
});
client.on("state", (s: ConnectionState) => {
  document.body.dataset["state"] = s.kind;
  if (s.kind === "reconnecting") $("status").textContent = `Reconnecting… (attempt ${s.attempt})`;
  else if (s.kind === "closed" && !client.matchResult) {
    $("overlay-title").textContent = "Disconnected";
    $("overlay-text").textContent = `${s.reason || "connection closed"} (${s.code})`;
    $("overlay").hidden = false;
  }
  render();
});
client.on("matchResult", (m) => {
  const lines = m.players.map((p) => `${p.rank}. ${p.name || "P" + p.playerId}: ${p.score}`).join("  ");
  const won = m.players.find((p) => p.playerId === client.playerId)?.rank === 1;
  $("overlay-title").textContent = won ? "You won the hand" : "Hand over";
  $("overlay-text").textContent = `${m.reason.replace("_", " ")} — ${lines}`;
  $("overlay").hidden = false;
  document.body.dataset["result"] = m.reason;
  render();
});

declare global {
  interface Window {
    tickwireCards: {
      readonly state: string;
      readonly playerId: number;
      /** The table as the page shows it (undefined before the first snapshot). */
      table(): { state: number; turn: number; turnNo: number; hand: number[]; top: number | undefined } | undefined;
      /** The match result's reason and standings, once the hand is over. */
      result(): { reason: string; players: { playerId: number; rank: number; score: number }[] } | undefined;
    };
  }
}

window.tickwireCards = {
  get state() {
    return client.state.kind;
  },
  get playerId() {
    return client.playerId;
  },
  table: () => (view ? { state: view.state, turn: view.turn, turnNo: view.turnNo, hand: [...view.hand], top: view.top } : undefined),
  result: () => {
    const m = client.matchResult;
    return m ? { reason: m.reason, players: m.players.map((p) => ({ playerId: p.playerId, rank: p.rank, score: p.score })) } : undefined;
  },
};

client.connect();
