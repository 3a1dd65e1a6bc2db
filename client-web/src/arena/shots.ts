/**
 * The local player's own projectiles, predicted. Snapshots show a projectile only after the server fired it and it
 * came back through the interpolation delay, well behind the predicted player. LocalShots fires one locally for each
 * sent input that the arena would fire for (fire set and the fire interval passed, counted in ticks: each input names its tick),
 * at the predicted position after that input's move with the arena's integer velocity, and moves it along its
 * straight line at render time. When the server's projectile appears (same owner and velocity, nearest to where the
 * shot should be at that snapshot) it takes over: the shot follows the server's line from then on, the difference
 * fading out, and the server entity is not drawn interpolated. A shot the server did not fire is dropped when a
 * snapshot has applied two more inputs without it, or when a snapshot two ticks past its input's tick has not applied
 * that input (it arrived late; counted in ticks, not time, as a page that stalled reads old snapshots late), or, for an
 * input without a tick, after the RTT and three snapshot intervals.
 *
 * @module
 */
import type { RenderEntity } from "../sdk/interpolation";
import type { World } from "../sdk/snapcodec";
import { InputIndex, KIND_PROJECTILE, PlayerField, ProjectileField, projectileVelocity, type ArenaParams } from "./arena";

/** Inputs after a shot's own input within which the server's projectile may still appear. */
export const SLACK_INPUTS = 2;

/** How long the difference between a shot and the server's line takes to fade out, in ms. */
export const HANDOVER_MS = 100;

interface Shot {
  readonly seq: number;
  /** The tick its input was addressed to; undefined when the caller did not say. */
  readonly tick: number | undefined;
  readonly sentMs: number;
  readonly vx: number;
  readonly vy: number;
  /** The shot is at (ax, ay) + (vx, vy) · (now - anchorMs) / tickMs, plus the fading offset. */
  ax: number;
  ay: number;
  anchorMs: number;
  offX: number;
  offY: number;
  offAt: number;
  /** The server's projectile id once matched, else 0. */
  serverId: number;
}

/** The local player's predicted projectiles. */
export class LocalShots {
  private shots: Shot[] = [];
  private nextFireTick = 0;
  private readonly claimedIds = new Set<number>();
  /** Shots fired locally, handed over to the server's projectile, and dropped because the server did not fire them. */
  fired = 0;
  matched = 0;
  unfired = 0;

  /** owner: the local player id; tickMs: the room's tick period. */
  constructor(
    private readonly p: ArenaParams,
    private readonly owner: number,
    private readonly tickMs: number,
  ) {}

  /** Server projectile ids drawn by sample() instead of interpolated. */
  get claimed(): ReadonlySet<number> {
    return this.claimedIds;
  }

  /** How many shots are held (drawn or waiting for the server's projectile to go). */
  get size(): number {
    return this.shots.length;
  }

  /**
   * Records an input for `tick` sent at atMs with the local player's predicted fields after it, and fires a shot when
   * the arena would: fire set and tick at least fireInterval ticks after the previous shot. Returns whether it fired.
   * Pass the input's tick (SentInput.tick): without it the seq stands for it, which holds while the client sends one
   * input per tick and skips none.
   */
  onInput(seq: number, values: readonly number[], local: readonly number[] | undefined, atMs: number, tick?: number): boolean {
    const at = tick ?? seq;
    if (!local || (values[InputIndex.Fire] ?? 0) === 0 || at < this.nextFireTick) return false;
    this.nextFireTick = at + this.p.fireInterval;
    this.fired++;
    const aim = Math.min(65535, Math.max(0, values[InputIndex.Aim] ?? 0));
    const v = projectileVelocity(aim, this.p.projectileSpeed);
    const x = local[PlayerField.X]!;
    const y = local[PlayerField.Y]!;
    this.shots.push({ seq, tick, sentMs: atMs, vx: v.vx, vy: v.vy, ax: x, ay: y, anchorMs: atMs, offX: 0, offY: 0, offAt: atMs, serverId: 0 });
    return true;
  }

  /**
   * Matches shots with the server's projectiles of a snapshot (lastInputSeq: the highest input it applied), drops the
   * ones the server did not fire and those whose projectile is gone. rttMs may be NaN; snapshotMs is the snapshot period.
   */
  onSnapshot(world: World, lastInputSeq: number, nowMs: number, rttMs: number, snapshotMs: number): void {
    const mine = world.entities.filter((e) => e.kind === KIND_PROJECTILE && e.fields[ProjectileField.Owner] === this.owner);
    const present = new Set(mine.map((e) => e.id));
    const tol = 2 * this.p.projectileSpeed + this.p.hitRadius * this.p.scale;
    const wait = (Number.isFinite(rttMs) ? rttMs : 250) + 3 * snapshotMs;
    const kept: Shot[] = [];
    for (const s of this.shots) {
      if (s.serverId !== 0) {
        if (present.has(s.serverId)) kept.push(s);
        else this.claimedIds.delete(s.serverId);
        continue;
      }
      if (s.seq <= lastInputSeq) {
        // The server applied this input at its tick and moved the projectile once in that tick, so it should be this
        // many steps from where it was fired (without the tick: at the snapshot's tick less the inputs applied since).
        const steps = s.tick !== undefined ? world.tick - s.tick + 1 : lastInputSeq - s.seq + 1;
        const ex = s.ax + s.vx * steps;
        const ey = s.ay + s.vy * steps;
        let best: (typeof mine)[number] | undefined;
        let bestD = tol;
        for (const e of mine) {
          if (this.claimedIds.has(e.id) || e.fields[ProjectileField.VX] !== s.vx || e.fields[ProjectileField.VY] !== s.vy) continue;
          const d = Math.hypot(e.fields[ProjectileField.X]! - ex, e.fields[ProjectileField.Y]! - ey);
          if (d <= bestD) {
            best = e;
            bestD = d;
          }
        }
        if (!best) {
          // Two inputs later still none: not fired (or already gone, or its input arrived late and the room fired from
          // a fill at another tick).
          if (s.seq + SLACK_INPUTS <= lastInputSeq) this.unfired++;
          else kept.push(s);
          continue;
        }
        const old = this.position(s, nowMs);
        s.ax = best.fields[ProjectileField.X]!;
        s.ay = best.fields[ProjectileField.Y]!;
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
      const dropped = s.tick !== undefined ? world.tick >= s.tick + SLACK_INPUTS : nowMs - s.sentMs > wait;
      if (dropped) this.unfired++;
      else kept.push(s);
    }
    this.shots = kept;
  }

  /** The shots to draw at nowMs, as projectile entities (id: the server's once matched, else 0). */
  sample(nowMs: number): RenderEntity[] {
    const out: RenderEntity[] = [];
    const w = this.p.worldW * this.p.scale;
    const h = this.p.worldH * this.p.scale;
    const life = this.p.projectileLifetime * this.tickMs;
    this.shots = this.shots.filter((s) => {
      const pos = this.position(s, nowMs);
      const gone = nowMs - s.sentMs >= life || pos.x < 0 || pos.x > w || pos.y < 0 || pos.y > h;
      // A matched shot is kept, not drawn, until its projectile leaves the snapshots, so that it is never drawn twice.
      if (gone) return s.serverId !== 0;
      out.push({ id: s.serverId, kind: KIND_PROJECTILE, fields: Float64Array.of(pos.x, pos.y, s.vx, s.vy, this.owner) });
      return true;
    });
    return out;
  }

  /** Forgets every shot and the fire interval (a new room or a fresh join). */
  reset(): void {
    this.shots = [];
    this.nextFireTick = 0;
    this.claimedIds.clear();
  }

  private position(s: Shot, nowMs: number): { x: number; y: number } {
    const k = (nowMs - s.anchorMs) / this.tickMs;
    const f = Math.max(0, 1 - (nowMs - s.offAt) / HANDOVER_MS);
    return { x: s.ax + s.vx * k + s.offX * f, y: s.ay + s.vy * k + s.offY * f };
  }
}
