// The arena demo: quick play into an "arena" room on the server that serves this page, drawn on a canvas.
// WASD or arrows move, the mouse aims, a held button fires. window.tickwire is a small read-only view for tests.
import { TickwireClient, type ConnectionState, type RenderView } from "../sdk/client";
import { KIND_PLAYER, PlayerField, aimFromAngle, arenaParams, arenaPrediction, type ArenaParams } from "../arena/arena";
import { LocalShots } from "../arena/shots";
import { draw, fitCanvas, playerColor, type Camera } from "./render";

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const canvas = $<HTMLCanvasElement>("arena");
const ctx = canvas.getContext("2d")!;
const overlay = $<HTMLDivElement>("overlay");

const client = new TickwireClient({
  url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`,
  join: { mode: "arena" },
  prediction: (w) => arenaPrediction(w.params),
  teleportPerTick: 1000,
});

let params: ArenaParams | undefined;
// The local player's own projectiles, predicted from the inputs sent; other players' stay interpolated.
let shots: LocalShots | undefined;
let cam: Camera | undefined;
let lastView: RenderView | undefined;
let lastViewAt = 0;

// --- input ---
const keys = new Set<string>();
let mouse: { x: number; y: number } | undefined;
let firing = false;

function axis(neg: string[], pos: string[]): number {
  return (pos.some((k) => keys.has(k)) ? 1 : 0) - (neg.some((k) => keys.has(k)) ? 1 : 0);
}

const MOVE_KEYS = new Set(["KeyW", "KeyA", "KeyS", "KeyD", "ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"]);
addEventListener("keydown", (e) => {
  if (!MOVE_KEYS.has(e.code)) return;
  keys.add(e.code);
  e.preventDefault();
});
addEventListener("keyup", (e) => keys.delete(e.code));
addEventListener("blur", () => {
  keys.clear();
  firing = false;
});
canvas.addEventListener("mousemove", (e) => {
  const r = canvas.getBoundingClientRect();
  mouse = { x: e.clientX - r.left, y: e.clientY - r.top };
});
canvas.addEventListener("mousedown", (e) => {
  if (e.button === 0) firing = true;
});
addEventListener("mouseup", () => (firing = false));
canvas.addEventListener("contextmenu", (e) => e.preventDefault());

let aim = 0;
function updateInput(localX: number | undefined, localY: number | undefined): void {
  if (mouse && cam && localX !== undefined && localY !== undefined) {
    aim = aimFromAngle(Math.atan2(mouse.y - localY * cam.k, mouse.x - localX * cam.k));
  }
  client.setInput([axis(["KeyA", "ArrowLeft"], ["KeyD", "ArrowRight"]), axis(["KeyW", "ArrowUp"], ["KeyS", "ArrowDown"]), aim, firing ? 1 : 0]);
}

// --- connection state ---
function showOverlay(title: string, text: string, button?: string): void {
  $("overlay-title").textContent = title;
  const t = $("overlay-text");
  t.textContent = text;
  if (button) {
    const b = document.createElement("button");
    b.textContent = button;
    b.addEventListener("click", () => location.reload());
    t.append(document.createElement("br"), b);
  }
  overlay.hidden = false;
}

client.on("state", (s: ConnectionState) => {
  document.body.dataset["state"] = s.kind;
  switch (s.kind) {
    case "connecting":
      showOverlay("Connecting…", "");
      break;
    case "playing":
      overlay.hidden = true;
      break;
    case "reconnecting":
      showOverlay("Reconnecting…", `connection lost (${s.code}); attempt ${s.attempt}`);
      break;
    case "closed":
      if (!client.matchResult) showOverlay("Disconnected", `${s.reason || "connection closed"} (${s.code})`, "Play again");
      break;
    default:
      break;
  }
});
client.on("welcome", (w) => {
  params = arenaParams(w.params);
  if (!w.resumed || !shots) shots = new LocalShots(params, w.playerId, 1000 / Math.max(1, w.tickRate));
});
client.on("input", (i) => shots?.onInput(i.seq, i.values, i.local, i.atMs, i.tick));
client.on("snapshot", (s) => {
  const w = client.welcome;
  if (!shots || !w) return;
  shots.onSnapshot(s.world, s.lastInputSeq, performance.now(), client.stats().rttMs, 1000 / Math.max(1, w.snapshotRate || w.tickRate));
});
client.on("matchResult", (m) => {
  const lines = m.players.map((p) => `${p.rank}. ${p.name || "P" + p.playerId}: ${p.score}`).join("  ");
  showOverlay("Match over", `${m.reason.replace("_", " ")} — ${lines}`, "Play again");
});

// --- feed ---
const feed: string[] = [];
client.on("event", (ev) => {
  const me = ev.playerId === client.playerId;
  const who = (id: number) => (id === client.playerId ? "you" : `P${id}`);
  let line: string | undefined;
  if (ev.type === "kill") line = `${who(ev.args[0] ?? 0)} ✕ ${who(ev.playerId)}`;
  else if (ev.type === "player_joined") line = me ? "you joined" : `P${ev.playerId} joined`;
  else if (ev.type === "player_left") line = `P${ev.playerId} left`;
  else if (ev.type === "player_disconnected") line = `P${ev.playerId} lost connection`;
  else if (ev.type === "player_resumed") line = me ? "you reconnected" : `P${ev.playerId} reconnected`;
  if (!line) return;
  feed.unshift(line);
  feed.length = Math.min(feed.length, 5);
  $("feed").replaceChildren(...feed.map((l) => Object.assign(document.createElement("div"), { textContent: l })));
});

// --- panels ---
function renderScoreboard(): void {
  const players = client.world.entities.filter((e) => e.kind === KIND_PLAYER);
  players.sort((a, b) => b.fields[PlayerField.Score]! - a.fields[PlayerField.Score]! || a.id - b.id);
  $("scoreboard").replaceChildren(
    ...players.map((e) => {
      const li = document.createElement("li");
      if (e.id === client.playerId) li.className = "me";
      const dot = Object.assign(document.createElement("span"), { className: "dot" });
      dot.style.background = playerColor(e.id);
      li.append(
        dot,
        Object.assign(document.createElement("span"), { className: "name", textContent: e.id === client.playerId ? `P${e.id} (you)` : `P${e.id}` }),
        Object.assign(document.createElement("span"), { className: "hp", textContent: `${e.fields[PlayerField.HP]} hp` }),
        Object.assign(document.createElement("span"), { className: "score", textContent: String(e.fields[PlayerField.Score]) }),
      );
      return li;
    }),
  );
}

/**
 * A figure from the client's stats by name, or undefined when this build of the SDK does not report it (or not yet:
 * NaN): the panel shows what exists and a dash for the rest.
 */
function stat(s: object, name: string): number | undefined {
  const v = (s as Record<string, unknown>)[name];
  return typeof v === "number" && !Number.isNaN(v) ? v : undefined;
}

const dash = "–";
const ms = (v: number | undefined, digits = 0) => (v === undefined ? dash : `${v.toFixed(digits)} ms`);
const count = (v: number | undefined) => (v === undefined ? dash : String(v));

/** The figures the Network panel shows and window.tickwire.net() returns, by name. */
const NET_FIGURES = [
  "rttMs", "rttJitterMs", "snapshotJitterMs", "inputLeadMs", "inputLeadSmoothedMs", "targetLeadMs", "clockDilation",
  "clockResyncs", "interpolationDelayMs", "bufferDepth", "heldFrames", "extrapolatedFrames", "corrections",
  "correctionP95", "largestCorrection", "lateInputs", "missedTicks", "snapshotsPerSecond",
] as const;
type NetFigures = Partial<Record<(typeof NET_FIGURES)[number], number>>;

function netFigures(): NetFigures {
  const s = client.stats();
  const out: NetFigures = {};
  for (const k of NET_FIGURES) {
    const v = stat(s, k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function renderNet(): void {
  const s = client.stats();
  const n = netFigures();
  const scale = params?.scale ?? 16;
  const dil = n.clockDilation;
  const lead = n.inputLeadSmoothedMs ?? n.inputLeadMs;
  const rows: [string, string][] = [
    ["RTT", n.rttJitterMs === undefined ? ms(n.rttMs) : `${ms(n.rttMs)} ± ${n.rttJitterMs.toFixed(0)}`],
    ["Snapshot jitter", ms(n.snapshotJitterMs, 1)],
    ["Input lead", ms(lead, 1)],
    ["Target lead", ms(n.targetLeadMs, 1)],
    ["Dilation", dil === undefined ? dash : `${dil >= 0 ? "+" : ""}${(dil * 100).toFixed(1)}%`],
    ["Late inputs", n.missedTicks === undefined ? count(n.lateInputs) : `${count(n.lateInputs)} (${n.missedTicks} filled)`],
    ["Interp delay", ms(n.interpolationDelayMs)],
    ["Buffer", n.bufferDepth === undefined ? dash : `${n.bufferDepth} snapshot${n.bufferDepth === 1 ? "" : "s"}`],
    ["Held frames", count(n.heldFrames)],
    ["Extrapolated", count(n.extrapolatedFrames)],
    ["Corrections", `${s.corrections}${s.corrections ? ` (${n.correctionP95 === undefined ? `max ${(s.largestCorrection / scale).toFixed(1)}` : `p95 ${(n.correctionP95 / scale).toFixed(1)}`} u)` : ""}`],
    ["Snapshots", `${s.snapshotsPerSecond}/s`],
    ["Down / up", `${(s.bytesInPerSecond / 1024).toFixed(1)} / ${(s.bytesOutPerSecond / 1024).toFixed(1)} KB/s`],
    ["Respawns", String(s.teleports)],
    ["Unacked inputs", String(s.pendingInputs)],
    ["Hash checks", `${s.hashChecks}${s.hashMismatches ? `, ${s.hashMismatches} bad` : " ok"}`],
    ["Decode errors", String(s.decodeErrors)],
    ["Resumes", String(s.resumes)],
    ["Tick", String(s.tick)],
  ];
  $("net").replaceChildren(
    ...rows.flatMap(([k, v]) => [Object.assign(document.createElement("dt"), { textContent: k }), Object.assign(document.createElement("dd"), { textContent: v })]),
  );
}

// --- frame loop ---
let lastPanels = 0;
function frame(now: number): void {
  requestAnimationFrame(frame);
  if (!params) return;
  cam = fitCanvas(canvas, params);
  let view = client.view(now);
  if (shots) {
    const own = shots.sample(now);
    const claimed = shots.claimed;
    view = { ...view, entities: [...view.entities.filter((e) => !claimed.has(e.id)), ...own] };
  }
  lastView = view;
  lastViewAt = now;
  updateInput(view.local?.fields[PlayerField.X], view.local?.fields[PlayerField.Y]);
  draw(ctx, cam, params, view);
  if (now - lastPanels > 250) {
    lastPanels = now;
    renderScoreboard();
    renderNet();
  }
}
requestAnimationFrame(frame);

// --- read-only debug view for tests and the console ---
declare global {
  interface Window {
    tickwire: TickwireDebug;
  }
}

/** What tests may read (and the one action they may take: drop the socket to exercise resume). */
interface TickwireDebug {
  readonly state: ConnectionState["kind"];
  readonly playerId: number;
  readonly tick: number;
  /** Authoritative player positions (world units) by player id, from the latest snapshot. */
  players(): Record<number, { x: number; y: number; hp: number; score: number }>;
  /** The locally predicted position of this player (world units). */
  predicted(): { x: number; y: number } | undefined;
  /** Where each player was drawn in the latest frame (world units), and that frame's time. */
  rendered(): { t: number; players: Record<number, { x: number; y: number }> };
  stats(): ReturnType<TickwireClient["stats"]>;
  /** The Network panel's figures by name (those this build of the SDK reports). */
  net(): NetFigures;
  /** The own projectiles fired locally, handed over to the server's, and dropped as not fired by the server. */
  shots(): { fired: number; matched: number; unfired: number };
  /** Drops the socket as a network failure would; the client resumes. */
  drop(): void;
}

window.tickwire = Object.freeze({
  get state() {
    return client.state.kind;
  },
  get playerId() {
    return client.playerId;
  },
  get tick() {
    return client.world.tick;
  },
  players() {
    const scale = params?.scale ?? 16;
    const out: Record<number, { x: number; y: number; hp: number; score: number }> = {};
    for (const e of client.world.entities) {
      if (e.kind !== KIND_PLAYER) continue;
      out[e.id] = { x: e.fields[PlayerField.X]! / scale, y: e.fields[PlayerField.Y]! / scale, hp: e.fields[PlayerField.HP]!, score: e.fields[PlayerField.Score]! };
    }
    return out;
  },
  predicted() {
    const l = lastView?.local;
    const scale = params?.scale ?? 16;
    return l ? { x: l.fields[PlayerField.X]! / scale, y: l.fields[PlayerField.Y]! / scale } : undefined;
  },
  rendered() {
    const scale = params?.scale ?? 16;
    const players: Record<number, { x: number; y: number }> = {};
    const all = lastView ? [...lastView.entities, ...(lastView.local ? [lastView.local] : [])] : [];
    for (const e of all) {
      if (e.kind === KIND_PLAYER) players[e.id] = { x: e.fields[PlayerField.X]! / scale, y: e.fields[PlayerField.Y]! / scale };
    }
    return { t: lastViewAt, players };
  },
  stats: () => client.stats(),
  net: () => netFigures(),
  shots: () => ({ fired: shots?.fired ?? 0, matched: shots?.matched ?? 0, unfired: shots?.unfired ?? 0 }),
  drop: () => client.dropConnection(),
});

client.connect();
