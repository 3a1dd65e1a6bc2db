// Drawing the arena on a canvas: the whole world fitted to the canvas, players as circles with aim and hp, projectiles
// as dots in their owner's colour.
import { KIND_PLAYER, KIND_PROJECTILE, PlayerField, ProjectileField, angleFromAimField, type ArenaParams } from "../arena/arena";
import type { RenderView } from "../sdk/client";
import type { RenderEntity } from "../sdk/interpolation";

/** A stable, distinct colour per player id. */
export function playerColor(id: number, lightness = 60): string {
  return `hsl(${(id * 137.508) % 360}, 70%, ${lightness}%)`;
}

/** Maps world sub-units to canvas pixels. */
export interface Camera {
  /** Pixels per sub-unit. */
  readonly k: number;
  /** Canvas size in CSS pixels. */
  readonly size: number;
}

/** Fits the canvas to its container (square, device-pixel sharp) and returns the camera. */
export function fitCanvas(canvas: HTMLCanvasElement, p: ArenaParams): Camera {
  const parent = canvas.parentElement!;
  const size = Math.max(200, Math.floor(Math.min(parent.clientWidth, parent.clientHeight) - 24));
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(size * dpr)) {
    canvas.width = canvas.height = Math.round(size * dpr);
    canvas.style.width = canvas.style.height = `${size}px`;
  }
  return { k: size / (p.worldW * p.scale), size };
}

/** Draws one frame. */
export function draw(ctx: CanvasRenderingContext2D, cam: Camera, p: ArenaParams, view: RenderView): void {
  const dpr = window.devicePixelRatio || 1;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cam.size, cam.size);
  // Grid every 250 world units.
  ctx.strokeStyle = "#1a1f26";
  ctx.lineWidth = 1;
  ctx.beginPath();
  const step = 250 * p.scale * cam.k;
  for (let v = step; v < cam.size - 1; v += step) {
    ctx.moveTo(Math.round(v) + 0.5, 0);
    ctx.lineTo(Math.round(v) + 0.5, cam.size);
    ctx.moveTo(0, Math.round(v) + 0.5);
    ctx.lineTo(cam.size, Math.round(v) + 0.5);
  }
  ctx.stroke();

  for (const e of view.entities) if (e.kind === KIND_PROJECTILE) drawProjectile(ctx, cam, e);
  for (const e of view.entities) if (e.kind === KIND_PLAYER) drawPlayer(ctx, cam, p, e, false);
  if (view.local) drawPlayer(ctx, cam, p, view.local, true);
}

function drawProjectile(ctx: CanvasRenderingContext2D, cam: Camera, e: RenderEntity): void {
  const x = e.fields[ProjectileField.X]! * cam.k;
  const y = e.fields[ProjectileField.Y]! * cam.k;
  ctx.fillStyle = playerColor(e.fields[ProjectileField.Owner]!, 75);
  ctx.beginPath();
  ctx.arc(x, y, Math.max(2, cam.size / 260), 0, Math.PI * 2);
  ctx.fill();
}

function drawPlayer(ctx: CanvasRenderingContext2D, cam: Camera, p: ArenaParams, e: RenderEntity, local: boolean): void {
  const x = e.fields[PlayerField.X]! * cam.k;
  const y = e.fields[PlayerField.Y]! * cam.k;
  const r = Math.max(5, p.hitRadius * p.scale * cam.k);
  const a = angleFromAimField(e.fields[PlayerField.Aim]!, p);
  ctx.strokeStyle = playerColor(e.id, 80);
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(x + Math.cos(a) * r, y + Math.sin(a) * r);
  ctx.lineTo(x + Math.cos(a) * r * 1.9, y + Math.sin(a) * r * 1.9);
  ctx.stroke();
  ctx.fillStyle = playerColor(e.id);
  ctx.beginPath();
  ctx.arc(x, y, r, 0, Math.PI * 2);
  ctx.fill();
  if (local) {
    ctx.strokeStyle = "#ffffff";
    ctx.lineWidth = 2;
    ctx.stroke();
  }
  // Health bar.
  const hp = Math.max(0, Math.min(1, e.fields[PlayerField.HP]! / p.maxHp));
  const w = r * 2.2;
  ctx.fillStyle = "#2a3038";
  ctx.fillRect(x - w / 2, y - r - 8, w, 3);
  ctx.fillStyle = hp > 0.3 ? "#35d0a5" : "#e0604f";
  ctx.fillRect(x - w / 2, y - r - 8, w * hp, 3);
  ctx.fillStyle = "#d7dde5";
  ctx.font = "11px system-ui, sans-serif";
  ctx.textAlign = "center";
  ctx.fillText(local ? "you" : `P${e.id}`, x, y + r + 13);
}
