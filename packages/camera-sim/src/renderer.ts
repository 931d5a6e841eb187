import { createCanvas } from '@napi-rs/canvas';
import { I420 } from './i420.js';
import { lookFor, type SceneLook } from './scenes.js';

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/** Where the identifying band sits: the top 12 % of the frame, full width, at every resolution. */
export function bandRect(width: number, height: number) {
  return { x: 0, y: 0, width, height: even(height * 0.12) };
}

/**
 * Draws one scene's picture cheaply: the static background (band, name, fine print, grid) is rendered
 * once; each frame only restores and redraws two small regions — the clock/counter and a moving block.
 */
export class SceneRenderer {
  readonly look: SceneLook;
  private readonly background: I420;
  readonly frame: I420;
  private readonly clock: { x: number; y: number; w: number; h: number };
  private readonly sprite: { y: number; size: number };
  private lastSpriteX: number | undefined;
  private readonly spriteColor: [number, number, number];
  frameNumber = 0;

  constructor(
    readonly sceneId: string,
    readonly width: number,
    readonly height: number,
    readonly productName = 'Jinhua dry-cured ham',
  ) {
    if (width % 2 || height % 2) throw new Error('width and height must be even');
    this.look = lookFor(sceneId);
    this.background = new I420(width, height);
    this.frame = new I420(width, height);
    const u = width / 3840; // layout unit: 1 at 4K
    this.clock = { x: even(width * 0.05), y: even(height * 0.8), w: even(1400 * u), h: even(130 * u) };
    this.sprite = { y: even(height * 0.62), size: even(height * 0.12) };
    this.spriteColor = I420.yuv(...this.look.band);
    this.renderBackground();
    this.frame.data.set(this.background.data);
  }

  private renderBackground(): void {
    const { width: w, height: h, look } = this;
    const u = w / 3840;
    const canvas = createCanvas(w, h);
    const g = canvas.getContext('2d');
    const gradient = g.createLinearGradient(0, 0, w, h);
    gradient.addColorStop(0, look.background[0]);
    gradient.addColorStop(1, look.background[1]);
    g.fillStyle = gradient;
    g.fillRect(0, 0, w, h);
    const band = bandRect(w, h);
    g.fillStyle = `rgb(${look.band.join(',')})`;
    g.fillRect(band.x, band.y, band.width, band.height);

    g.fillStyle = look.accent;
    g.font = `bold ${Math.round(300 * u)}px sans-serif`;
    g.fillText(look.name, 200 * u, band.height + 380 * u);
    g.font = `${Math.round(110 * u)}px sans-serif`;
    g.fillText(look.caption, 210 * u, band.height + 560 * u);
    g.fillText(this.productName, 210 * u, band.height + 700 * u);

    // Fine detail: a label and a 2-px grid that only the 2160p layer resolves.
    const labelX = w * 0.62;
    const labelY = h * 0.2;
    g.fillStyle = '#f4efe2';
    g.fillRect(labelX, labelY, 900 * u, 420 * u);
    g.fillStyle = '#1a1a1a';
    g.font = `${Math.max(1, Math.round(13 * u))}px monospace`;
    const lines = [
      `PRODUCT  ${this.productName.toUpperCase()}`,
      `BATCH    ${look.batch}`,
      `${look.certificate}`,
      `PACKED   2026-11-25  NET 500 g  KEEP < 18 °C`,
      `SCENE    ${this.sceneId}  ${w}x${h}`,
    ];
    for (const [i, line] of lines.entries()) g.fillText(line, labelX + 24 * u, labelY + (48 + i * 22) * u);
    g.strokeStyle = '#1a1a1a';
    g.lineWidth = Math.max(1, 2 * u);
    for (let x = 0; x <= 360; x += 8) {
      g.beginPath();
      g.moveTo(labelX + (24 + x) * u, labelY + 200 * u);
      g.lineTo(labelX + (24 + x) * u, labelY + 400 * u);
      g.stroke();
    }

    const rgba = g.getImageData(0, 0, w, h).data;
    this.background.writeRgba(rgba, 0, 0, w, h);
  }

  /** Advances one frame (clock, counter, moving block) and returns the picture. */
  next(now = new Date()): I420 {
    this.frameNumber += 1;
    const { frame, background, sprite } = this;
    // Moving block: restore where it was, draw where it is.
    if (this.lastSpriteX !== undefined)
      frame.copyRect(background, this.lastSpriteX, sprite.y, sprite.size, sprite.size);
    const travel = this.width - sprite.size;
    const phase = (this.frameNumber * 8) % (2 * travel);
    const x = even(phase < travel ? phase : 2 * travel - phase);
    frame.fillRect(Math.min(x, travel - (travel % 2)), sprite.y, sprite.size, sprite.size, this.spriteColor);
    this.lastSpriteX = Math.min(x, travel - (travel % 2));
    this.drawClock(now);
    return frame;
  }

  private drawClock(now: Date): void {
    const { x, y, w, h } = this.clock;
    const canvas = createCanvas(w, h);
    const g = canvas.getContext('2d');
    g.fillStyle = '#000000';
    g.fillRect(0, 0, w, h);
    g.fillStyle = '#ffffff';
    g.font = `bold ${Math.round(h * 0.7)}px monospace`;
    const time = now.toISOString().slice(11, 23);
    g.fillText(`${time}  #${String(this.frameNumber).padStart(6, '0')}`, h * 0.2, h * 0.78);
    this.frame.writeRgba(g.getImageData(0, 0, w, h).data, x, y, w, h);
  }
}
