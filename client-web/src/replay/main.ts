// The replay viewer: lists the server's recordings (GET /v1/replays) and watches one over its playback socket
// (/v1/replays/{id}/watch, server/internal/playback). The server re-runs the room's journal and sends the ServerFrames
// a spectator would get (a Welcome, a full snapshot, then deltas); this page decodes them with the SDK's SnapCodec and
// draws them through its Interpolator, on a clock that runs at the playback's speed and stops while it is paused, so
// that the interpolation sees snapshots at the room's own rate whatever the speed. Built on the SDK alone.
// window.tickwireReplay is a small read-only view for tests.
import { fromBinary } from "@bufbuild/protobuf";
import { EMPTY_WORLD, Interpolator, SnapCodec, pb, type World } from "../index";
import { KIND_PLAYER, PlayerField, arenaParams, type ArenaParams } from "../arena/arena";
import { draw, fitCanvas } from "../demo/render";

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const canvas = $<HTMLCanvasElement>("arena");
const ctx = canvas.getContext("2d")!;
const playBtn = $<HTMLButtonElement>("play");
const speedSel = $<HTMLSelectElement>("speed");
const seekBar = $<HTMLInputElement>("seek");
const KEY_STORE = "tickwire-replay-key";

/** A recording as GET /v1/replays lists it. */
interface Recording {
  id: string;
  room: string;
  mode: string;
  tick_rate: number;
  bytes: number;
  modified: string;
  files: string[];
  error?: string;
}

/** The playback's state messages (text frames). */
type StateMsg =
  | { type: "info"; id: string; room: string; mode: string; tick_rate: number; first_tick: number; last_tick: number; checkpoints: number[]; truncated?: string }
  | { type: "state"; tick: number; paused: boolean; speed: number; checked: number }
  | { type: "seeked"; tick: number }
  | { type: "end"; tick: number }
  | { type: "divergence"; tick: number; what: string; want: string; got: string; message: string }
  | { type: "error"; tick?: number; message: string };

function key(): string | null {
  return sessionStorage.getItem(KEY_STORE);
}

// --- the list ---
async function loadList(): Promise<void> {
  const headers: Record<string, string> = {};
  const k = key();
  if (k) headers["X-API-Key"] = k;
  const r = await fetch("/v1/replays", { headers });
  if (r.status === 401) {
    $("keyform").hidden = false;
    return;
  }
  if (!r.ok) {
    $("recordings").textContent = r.status === 404 ? "This server does not record (start it with -record DIR)." : `Error ${r.status}`;
    return;
  }
  $("keyform").hidden = true;
  const { recordings } = (await r.json()) as { recordings: Recording[] };
  if (recordings.length === 0) {
    $("recordings").textContent = "No recording yet.";
    return;
  }
  $("recordings").replaceChildren(
    ...recordings.map((rec) => {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.dataset["id"] = rec.id;
      b.disabled = !!rec.error;
      b.append(`${rec.mode} · ${rec.room}`, Object.assign(document.createElement("small"), {
        textContent: rec.error ?? `${new Date(rec.modified).toLocaleString()} · ${(rec.bytes / 1024).toFixed(1)} KB`,
      }));
      b.addEventListener("click", () => watch(rec.id));
      li.append(b);
      return li;
    }),
  );
}

$("keyform").addEventListener("submit", (e) => {
  e.preventDefault();
  sessionStorage.setItem(KEY_STORE, $<HTMLInputElement>("key").value);
  void loadList();
});

// --- the playback ---
/** Everything about the recording being watched; replaced when another is picked. */
interface Playback {
  readonly id: string;
  readonly ws: WebSocket;
  info?: Extract<StateMsg, { type: "info" }>;
  codec?: SnapCodec;
  interp?: Interpolator;
  params?: ArenaParams;
  world: World;
  paused: boolean;
  speed: number;
  checked: number;
  ended: boolean;
  divergence?: Extract<StateMsg, { type: "divergence" }>;
  error?: string;
  snapshots: number;
  hashChecks: number;
  hashMismatches: number;
  decodeErrors: number;
  // The playback clock (ms): real time × speed while playing; what the interpolator is given as "now".
  vnow: number;
  lastReal: number;
  // The render tick of the latest frame drawn.
  lastRt: number;
}

let pb_: Playback | undefined;
const feed: string[] = [];

function playbackNow(p: Playback): number {
  const now = performance.now();
  // At the end the clock runs on until the last snapshot is drawn, then stops with the playback.
  const running = !p.paused || (p.ended && p.lastRt < p.world.tick);
  if (running) p.vnow += (now - p.lastReal) * p.speed;
  p.lastReal = now;
  return p.vnow;
}

function watch(id: string): void {
  pb_?.ws.close(1000);
  for (const b of document.querySelectorAll<HTMLButtonElement>("#recordings button")) b.classList.toggle("current", b.dataset["id"] === id);
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1/replays/${encodeURIComponent(id)}/watch`);
  ws.binaryType = "arraybuffer";
  const p: Playback = {
    id, ws, world: EMPTY_WORLD, paused: false, speed: 1, checked: 0, ended: false, snapshots: 0, hashChecks: 0,
    hashMismatches: 0, decodeErrors: 0, vnow: 0, lastReal: performance.now(), lastRt: NaN,
  };
  pb_ = p;
  feed.length = 0;
  $("feed").replaceChildren();
  banner(undefined);
  ws.onopen = () => {
    const k = key();
    if (k) ws.send(JSON.stringify({ op: "auth", key: k }));
  };
  ws.onmessage = (ev) => {
    if (pb_ !== p) return;
    if (typeof ev.data === "string") onState(p, JSON.parse(ev.data) as StateMsg);
    else onFrame(p, fromBinary(pb.ServerFrameSchema, new Uint8Array(ev.data as ArrayBuffer)));
  };
  ws.onclose = (ev) => {
    if (pb_ !== p) return;
    setControls(false);
    if (!p.ended && !p.divergence && ev.code !== 1000) banner(`Playback closed (${ev.code}${ev.reason ? `: ${ev.reason}` : ""})`);
  };
}

function send(op: object): void {
  if (pb_?.ws.readyState === WebSocket.OPEN) pb_.ws.send(JSON.stringify(op));
}

function onState(p: Playback, m: StateMsg): void {
  switch (m.type) {
    case "info":
      p.info = m;
      seekBar.min = String(m.first_tick);
      seekBar.max = String(m.last_tick);
      setControls(true);
      if (m.truncated) banner(`The recording ends early: ${m.truncated}`);
      break;
    case "state":
      playbackNow(p); // the time so far ran at the previous speed
      p.paused = m.paused;
      p.speed = m.speed;
      p.checked = m.checked;
      playBtn.textContent = m.paused ? "Play" : "Pause";
      speedSel.value = String(m.speed);
      break;
    case "seeked":
      p.ended = false;
      p.world = EMPTY_WORLD;
      p.interp?.reset();
      banner(undefined);
      break;
    case "end":
      p.ended = true;
      break;
    case "divergence":
      p.divergence = m;
      banner(`The replay diverges from the recording at tick ${m.tick} (${m.what}): not drawn past it.`);
      break;
    case "error":
      p.error = m.message;
      banner(`Playback error: ${m.message}`);
      break;
  }
}

function onFrame(p: Playback, f: pb.ServerFrame): void {
  switch (f.msg.case) {
    case "welcome": {
      const w = f.msg.value;
      p.codec = new SnapCodec(w.kinds.map((k) => ({ id: k.id, name: k.name, fields: k.fields, data: k.data })));
      const rates = new Map<number, number[]>();
      const wraps = new Map<number, number[]>();
      const teleports = new Map<number, number[]>();
      for (const k of w.kinds) {
        rates.set(k.id, k.fields.map((fd) => fd.rateField - 1));
        wraps.set(k.id, k.fields.map((fd) => fd.wrap));
        teleports.set(k.id, k.fields.map((fd) => fd.teleport));
      }
      p.interp = new Interpolator({ tickRate: w.tickRate, snapshotRate: w.snapshotRate || w.tickRate, rates, wraps, teleports });
      p.params = w.mode.startsWith("arena") ? arenaParams(w.params) : undefined;
      if (!p.params) banner(`This viewer draws the arena; the recording is of mode ${w.mode}.`);
      break;
    }
    case "snapshot": {
      const s = f.msg.value;
      if (!p.codec || !p.interp) return;
      const base = s.baselineTick === 0 ? EMPTY_WORLD : p.world;
      if (base.tick !== s.baselineTick) {
        p.decodeErrors++;
        return;
      }
      try {
        p.world = p.codec.apply(base, s.tick, s.entities);
      } catch {
        p.decodeErrors++;
        return;
      }
      p.snapshots++;
      if (s.stateHash !== undefined) {
        p.hashChecks++;
        if (p.codec.hash(p.world) !== s.stateHash) p.hashMismatches++;
      }
      p.interp.push(p.world, playbackNow(p));
      break;
    }
    case "event": {
      const e = f.msg.value;
      let line: string | undefined;
      if (e.type === "kill") line = `P${e.args[0] ?? 0} ✕ P${e.playerId}`;
      else if (e.type === "player_joined") line = `${e.text || `P${e.playerId}`} joined (P${e.playerId})`;
      else if (e.type === "player_left") line = `P${e.playerId} left`;
      if (!line) return;
      feed.unshift(`${e.tick}: ${line}`);
      feed.length = Math.min(feed.length, 6);
      $("feed").replaceChildren(...feed.map((l) => Object.assign(document.createElement("div"), { textContent: l })));
      break;
    }
    case "matchResult": {
      const m = f.msg.value;
      feed.unshift(`match over (${m.reason}): ` + m.players.map((r) => `${r.rank}. ${r.name || "P" + r.playerId} ${r.score}`).join(", "));
      $("feed").replaceChildren(...feed.map((l) => Object.assign(document.createElement("div"), { textContent: l })));
      break;
    }
    default:
      break;
  }
}

function banner(text: string | undefined): void {
  const b = $("banner");
  b.hidden = !text;
  b.textContent = text ?? "";
}

function setControls(on: boolean): void {
  playBtn.disabled = speedSel.disabled = seekBar.disabled = !on;
}

playBtn.addEventListener("click", () => send({ op: pb_?.paused ? "play" : "pause" }));
speedSel.addEventListener("change", () => send({ op: "speed", speed: Number(speedSel.value) }));
let seeking = false;
seekBar.addEventListener("input", () => (seeking = true));
seekBar.addEventListener("change", () => {
  seeking = false;
  send({ op: "seek", tick: Number(seekBar.value) });
});

// --- drawing ---
let frames = 0;
let lastRender = { t: 0, tick: NaN, players: {} as Record<number, { x: number; y: number }> };
let lastPanel = 0;

function frame(now: number): void {
  requestAnimationFrame(frame);
  const p = pb_;
  if (!p?.interp || !p.params) return;
  const cam = fitCanvas(canvas, p.params);
  const rt = p.interp.renderTick(playbackNow(p));
  if (Number.isNaN(rt)) return;
  p.lastRt = rt;
  const entities = p.interp.sample(rt);
  draw(ctx, cam, p.params, { renderTick: rt, entities, local: undefined });
  frames++;
  const players: Record<number, { x: number; y: number }> = {};
  for (const e of entities) {
    if (e.kind === KIND_PLAYER) players[e.id] = { x: e.fields[PlayerField.X]! / p.params.scale, y: e.fields[PlayerField.Y]! / p.params.scale };
  }
  lastRender = { t: now, tick: rt, players };
  if (!seeking) seekBar.value = String(Math.round(rt));
  $("tick").textContent = `${Math.max(0, Math.floor(rt))} / ${p.info?.last_tick ?? "?"}`;
  if (now - lastPanel > 250) {
    lastPanel = now;
    renderInfo(p);
  }
}
requestAnimationFrame(frame);

function renderInfo(p: Playback): void {
  const rows: [string, string][] = [
    ["Room", p.info?.room ?? "–"],
    ["Mode", p.info?.mode ?? "–"],
    ["Ticks", p.info ? `${p.info.first_tick}–${p.info.last_tick}` : "–"],
    ["Snapshot tick", String(p.world.tick)],
    ["Speed", `${p.speed}×${p.paused ? " (paused)" : ""}`],
    ["Hashes checked", `${p.checked}${p.divergence ? `, diverged at ${p.divergence.tick}` : " ok"}`],
    ["Snapshot hashes", `${p.hashChecks}${p.hashMismatches ? `, ${p.hashMismatches} bad` : " ok"}`],
    ["Decode errors", String(p.decodeErrors)],
    ["Players", String(p.world.entities.filter((e) => e.kind === KIND_PLAYER).length)],
  ];
  $("info").replaceChildren(
    ...rows.flatMap(([k, v]) => [Object.assign(document.createElement("dt"), { textContent: k }), Object.assign(document.createElement("dd"), { textContent: v })]),
  );
}

// --- read-only view for tests and the console ---
declare global {
  interface Window {
    tickwireReplay: ReplayDebug;
  }
}

export interface ReplayDebug {
  /** The recording being watched, and its first and last ticks from the server. */
  readonly id: string | undefined;
  readonly firstTick: number;
  readonly lastTick: number;
  /** The tick of the latest snapshot decoded, and whether the playback reached the end. */
  readonly tick: number;
  readonly ended: boolean;
  readonly paused: boolean;
  readonly speed: number;
  /** Ticks whose world hash the server checked against the recording since the last seek. */
  readonly checked: number;
  readonly divergence: string | undefined;
  readonly error: string | undefined;
  /** Snapshots decoded, snapshot hashes checked and wrong, decode errors, frames drawn. */
  counts(): { snapshots: number; hashChecks: number; hashMismatches: number; decodeErrors: number; frames: number };
  /** The latest frame drawn: its time, render tick and player positions (world units). */
  rendered(): { t: number; tick: number; players: Record<number, { x: number; y: number }> };
}

window.tickwireReplay = Object.freeze({
  get id() {
    return pb_?.id;
  },
  get firstTick() {
    return pb_?.info?.first_tick ?? NaN;
  },
  get lastTick() {
    return pb_?.info?.last_tick ?? NaN;
  },
  get tick() {
    return pb_?.world.tick ?? 0;
  },
  get ended() {
    return pb_?.ended ?? false;
  },
  get paused() {
    return pb_?.paused ?? true;
  },
  get speed() {
    return pb_?.speed ?? 1;
  },
  get checked() {
    return pb_?.checked ?? 0;
  },
  get divergence() {
    return pb_?.divergence?.message;
  },
  get error() {
    return pb_?.error;
  },
  counts: () => ({
    snapshots: pb_?.snapshots ?? 0,
    hashChecks: pb_?.hashChecks ?? 0,
    hashMismatches: pb_?.hashMismatches ?? 0,
    decodeErrors: pb_?.decodeErrors ?? 0,
    frames,
  }),
  rendered: () => lastRender,
});

void loadList().then(() => {
  const id = new URLSearchParams(location.search).get("id");
  if (id) watch(id);
});
