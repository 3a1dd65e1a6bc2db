import "../chunks/chunk-WSFCRVEQ.js";

// src/arena/arena.ts
var KIND_PLAYER = 1;
var KIND_PROJECTILE = 2;
var PlayerField = { X: 0, Y: 1, VX: 2, VY: 3, Aim: 4, HP: 5, Score: 6, AimRate: 7 };
var ProjectileField = { X: 0, Y: 1, VX: 2, VY: 3, Owner: 4 };
var InputIndex = { DX: 0, DY: 1, Aim: 2, Fire: 3 };
function arenaParams(params) {
  const get = (k) => {
    const v = params[k];
    if (typeof v !== "number") throw new Error(`arena: Welcome.params lacks ${k}`);
    return v;
  };
  return {
    scale: get("scale"),
    worldW: get("world_w"),
    worldH: get("world_h"),
    speed: get("speed"),
    diag: get("diag"),
    projectileSpeed: get("projectile_speed"),
    projectileLifetime: get("projectile_lifetime"),
    hitRadius: get("hit_radius"),
    maxHp: get("max_hp"),
    fireInterval: get("fire_interval"),
    aimShift: get("aim_shift")
  };
}
function sign(v) {
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}
function aimTurn(prev, next, p) {
  const span = 1 << 16 - p.aimShift;
  let d = next - prev & span - 1;
  if (d >= span / 2) d -= span;
  return d;
}
function clamp(v, lo, hi) {
  return v < lo ? lo : v > hi ? hi : v;
}
function move(x, y, dx, dy, p) {
  const sx = sign(dx);
  const sy = sign(dy);
  const step = sx !== 0 && sy !== 0 ? p.diag : p.speed;
  const nx = clamp(x + Math.imul(sx, step) | 0, 0, Math.imul(p.worldW, p.scale));
  const ny = clamp(y + Math.imul(sy, step) | 0, 0, Math.imul(p.worldH, p.scale));
  return { x: nx, y: ny, vx: nx - x | 0, vy: ny - y | 0 };
}
var sinTable;
function sin(a) {
  if (!sinTable) {
    sinTable = new Int32Array(16385);
    for (let i2 = 0; i2 <= 16384; i2++) sinTable[i2] = Math.round(Math.sin(i2 * (2 * Math.PI / 65536)) * 65536);
  }
  const i = a & 16383;
  switch (a >> 14 & 3) {
    case 0:
      return sinTable[i];
    case 1:
      return sinTable[16384 - i];
    case 2:
      return -sinTable[i] | 0;
    // never -0
    default:
      return -sinTable[16384 - i] | 0;
  }
}
function cos(a) {
  return sin(a + 16384 & 65535);
}
function projectileVelocity(a, speed) {
  return { vx: Math.floor((speed * cos(a) + 32768) / 65536), vy: Math.floor((speed * sin(a) + 32768) / 65536) };
}
function aimFromAngle(rad) {
  const a = Math.round(rad / (2 * Math.PI) * 65536);
  return (a % 65536 + 65536) % 65536;
}
function angleFromAimField(aim, p) {
  return (aim << p.aimShift) / 65536 * 2 * Math.PI;
}
function arenaPrediction(params) {
  const p = arenaParams(params);
  return {
    kind: KIND_PLAYER,
    xField: PlayerField.X,
    yField: PlayerField.Y,
    snapDistance: 40 * p.scale,
    applyInput(fields, input) {
      const r = move(fields[PlayerField.X], fields[PlayerField.Y], input[InputIndex.DX] ?? 0, input[InputIndex.DY] ?? 0, p);
      fields[PlayerField.X] = r.x;
      fields[PlayerField.Y] = r.y;
      fields[PlayerField.VX] = r.vx;
      fields[PlayerField.VY] = r.vy;
      const aim = clamp(input[InputIndex.Aim] ?? 0, 0, 65535) >> p.aimShift;
      fields[PlayerField.AimRate] = aimTurn(fields[PlayerField.Aim], aim, p);
      fields[PlayerField.Aim] = aim;
    }
  };
}

// src/arena/shots.ts
var SLACK_INPUTS = 2;
var HANDOVER_MS = 100;
var LocalShots = class {
  /** owner: the local player id; tickMs: the room's tick period. */
  constructor(p, owner, tickMs) {
    this.p = p;
    this.owner = owner;
    this.tickMs = tickMs;
  }
  p;
  owner;
  tickMs;
  shots = [];
  nextFireTick = 0;
  claimedIds = /* @__PURE__ */ new Set();
  /** Shots fired locally, handed over to the server's projectile, and dropped because the server did not fire them. */
  fired = 0;
  matched = 0;
  unfired = 0;
  /** Server projectile ids drawn by sample() instead of interpolated. */
  get claimed() {
    return this.claimedIds;
  }
  /** How many shots are held (drawn or waiting for the server's projectile to go). */
  get size() {
    return this.shots.length;
  }
  /**
   * Records an input for `tick` sent at atMs with the local player's predicted fields after it, and fires a shot when
   * the arena would: fire set and tick at least fireInterval ticks after the previous shot. Returns whether it fired.
   * Pass the input's tick (SentInput.tick): without it the seq stands for it, which holds while the client sends one
   * input per tick and skips none.
   */
  onInput(seq, values, local, atMs, tick) {
    const at = tick ?? seq;
    if (!local || (values[InputIndex.Fire] ?? 0) === 0 || at < this.nextFireTick) return false;
    this.nextFireTick = at + this.p.fireInterval;
    this.fired++;
    const aim = Math.min(65535, Math.max(0, values[InputIndex.Aim] ?? 0));
    const v = projectileVelocity(aim, this.p.projectileSpeed);
    const x = local[PlayerField.X];
    const y = local[PlayerField.Y];
    this.shots.push({ seq, tick, sentMs: atMs, vx: v.vx, vy: v.vy, ax: x, ay: y, anchorMs: atMs, offX: 0, offY: 0, offAt: atMs, serverId: 0 });
    return true;
  }
  /**
   * Matches shots with the server's projectiles of a snapshot (lastInputSeq: the highest input it applied), drops the
   * ones the server did not fire and those whose projectile is gone. rttMs may be NaN; snapshotMs is the snapshot period.
   */
  onSnapshot(world, lastInputSeq, nowMs, rttMs, snapshotMs) {
    const mine = world.entities.filter((e) => e.kind === KIND_PROJECTILE && e.fields[ProjectileField.Owner] === this.owner);
    const present = new Set(mine.map((e) => e.id));
    const tol = 2 * this.p.projectileSpeed + this.p.hitRadius * this.p.scale;
    const wait = (Number.isFinite(rttMs) ? rttMs : 250) + 3 * snapshotMs;
    const kept = [];
    for (const s of this.shots) {
      if (s.serverId !== 0) {
        if (present.has(s.serverId)) kept.push(s);
        else this.claimedIds.delete(s.serverId);
        continue;
      }
      if (s.seq <= lastInputSeq) {
        const steps = s.tick !== void 0 ? world.tick - s.tick + 1 : lastInputSeq - s.seq + 1;
        const ex = s.ax + s.vx * steps;
        const ey = s.ay + s.vy * steps;
        let best;
        let bestD = tol;
        for (const e of mine) {
          if (this.claimedIds.has(e.id) || e.fields[ProjectileField.VX] !== s.vx || e.fields[ProjectileField.VY] !== s.vy) continue;
          const d = Math.hypot(e.fields[ProjectileField.X] - ex, e.fields[ProjectileField.Y] - ey);
          if (d <= bestD) {
            best = e;
            bestD = d;
          }
        }
        if (!best) {
          if (s.seq + SLACK_INPUTS <= lastInputSeq) this.unfired++;
          else kept.push(s);
          continue;
        }
        const old = this.position(s, nowMs);
        s.ax = best.fields[ProjectileField.X];
        s.ay = best.fields[ProjectileField.Y];
        s.anchorMs = s.sentMs + steps * this.tickMs;
        s.offX = s.offY = 0;
        const now = this.position(s, nowMs);
        s.offX = old.x - now.x;
        s.offY = old.y - now.y;
        s.offAt = nowMs;
        s.serverId = best.id;
        this.claimedIds.add(best.id);
        this.matched++;
        kept.push(s);
        continue;
      }
      const dropped = s.tick !== void 0 ? world.tick >= s.tick + SLACK_INPUTS : nowMs - s.sentMs > wait;
      if (dropped) this.unfired++;
      else kept.push(s);
    }
    this.shots = kept;
  }
  /** The shots to draw at nowMs, as projectile entities (id: the server's once matched, else 0). */
  sample(nowMs) {
    const out = [];
    const w = this.p.worldW * this.p.scale;
    const h = this.p.worldH * this.p.scale;
    const life = this.p.projectileLifetime * this.tickMs;
    this.shots = this.shots.filter((s) => {
      const pos = this.position(s, nowMs);
      const gone = nowMs - s.sentMs >= life || pos.x < 0 || pos.x > w || pos.y < 0 || pos.y > h;
      if (gone) return s.serverId !== 0;
      out.push({ id: s.serverId, kind: KIND_PROJECTILE, fields: Float64Array.of(pos.x, pos.y, s.vx, s.vy, this.owner) });
      return true;
    });
    return out;
  }
  /** Forgets every shot and the fire interval (a new room or a fresh join). */
  reset() {
    this.shots = [];
    this.nextFireTick = 0;
    this.claimedIds.clear();
  }
  position(s, nowMs) {
    const k = (nowMs - s.anchorMs) / this.tickMs;
    const f = Math.max(0, 1 - (nowMs - s.offAt) / HANDOVER_MS);
    return { x: s.ax + s.vx * k + s.offX * f, y: s.ay + s.vy * k + s.offY * f };
  }
};
export {
  HANDOVER_MS,
  InputIndex,
  KIND_PLAYER,
  KIND_PROJECTILE,
  LocalShots,
  PlayerField,
  ProjectileField,
  SLACK_INPUTS,
  aimFromAngle,
  aimTurn,
  angleFromAimField,
  arenaParams,
  arenaPrediction,
  cos,
  move,
  projectileVelocity,
  sin
};
