import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import { GlyphStrip } from './glyphs.js';
import { I420, type Rect } from './i420.js';
import { lookFor, type SceneLook } from './scenes.js';

const even = (n: number) => Math.max(0, Math.round(n / 2) * 2);
const evenAtLeast2 = (n: number) => Math.max(2, even(n));

/** Where the identifying band sits: the top 12 % of the frame, full width, at every resolution. */
export function bandRect(width: number, height: number) {
  return { x: 0, y: 0, width, height: evenAtLeast2(height * 0.12) };
}

/** Clock and frame counter: `HH:MM:SS.mmm #0000000` (UTC), one glyph cell per character. */
export const clockLength = 21;

export function clockText(now: Date, frameNumber: number): string {
  return `${now.toISOString().slice(11, 23)} #${String(frameNumber % 10_000_000).padStart(7, '0')}`;
}

/** Line widths, in pixels at 2160p, of the resolution wedge's bar groups. */
export const wedgeLineWidths = [1, 2, 4, 8, 16];

/**
 * Where everything is, for a picture of this size. Positions are fractions of the frame and sizes scale
 * with it (1 unit = 1 px at 3840x2160), so every resolution shows the same picture; everything that is
 * blitted per frame is on even pixels (I420 chroma is 2x2).
 */
export function sceneLayout(width: number, height: number) {
  const u = Math.min(width / 3840, height / 2160);
  const band = bandRect(width, height);
  const laneY = even(height * 0.62);
  const laneH = evenAtLeast2(height * 0.15);
  const spriteSize = Math.min(evenAtLeast2(height * 0.12), laneH, even(width / 2));
  const cellW = evenAtLeast2(66 * u);
  const cellH = evenAtLeast2(110 * u);
  const pad = even(24 * u);
  const clockX = even(width * 0.04);
  const clockY = Math.min(even(height * 0.83), height - cellH - 2 * pad);
  const cardX = even(width * 0.58);
  const cardY = band.height + even(80 * u);
  const cardW = Math.min(even(1450 * u), width - cardX);
  const cardH = even(760 * u);
  return {
    u,
    band: { x: 0, y: 0, w: band.width, h: band.height } satisfies Rect,
    lane: { x: 0, y: laneY, w: width, h: laneH } satisfies Rect,
    sprite: { size: spriteSize, y: laneY + even((laneH - spriteSize) / 2), travel: width - spriteSize },
    clock: {
      x: clockX + pad,
      y: clockY + pad,
      cellW,
      cellH,
      panel: { x: clockX, y: clockY, w: cellW * clockLength + 2 * pad, h: cellH + 2 * pad },
    },
    card: { x: cardX, y: cardY, w: cardW, h: cardH } satisfies Rect,
    /** Fine print (batch code, certificate): 13 px glyphs at 2160p, a blur below it. */
    finePrint: {
      x: cardX + Math.round(40 * u),
      y: cardY + Math.round(112 * u),
      w: Math.round(1300 * u),
      h: Math.round(170 * u),
    },
    /** A 1 px grid, 6 px pitch at 2160p. */
    grid: {
      x: cardX + Math.round(40 * u),
      y: cardY + Math.round(330 * u),
      w: Math.round(600 * u),
      h: Math.round(380 * u),
      pitch: 6 * u,
    },
    /** Bar groups of 1, 2, 4, 8, 16 px lines at 2160p: which ones a layer still resolves shows its sharpness. */
    wedge: {
      x: cardX + Math.round(700 * u),
      y: cardY + Math.round(370 * u),
      groupW: 120 * u,
      gap: 22 * u,
      h: 260 * u,
    },
  };
}

export type SceneLayout = ReturnType<typeof sceneLayout>;

export interface RendererOptions {
  /** Printed under the scene name and on the label. */
  productName?: string;
  /** Frame rate the frames are shown at: motion speed is per second, not per frame. Default 15. */
  fps?: number;
}

/** Static backgrounds, per scene, size and product: rendered once, shared by every renderer. */
const backgrounds = new Map<string, I420>();

/**
 * Draws one scene's picture cheaply. The background — band, palette, scene name, label with fine print,
 * fine grid, resolution wedge — is rasterised once (per scene and resolution) with @napi-rs/canvas and
 * converted to I420 once. Each frame then only copies small blocks: the moving object's old rectangle
 * (restored from the background) and new one, and the clock/counter glyph cells that changed.
 */
export class SceneRenderer {
  readonly look: SceneLook;
  readonly layout: SceneLayout;
  readonly background: I420;
  /** The picture being drawn into; next() updates it in place and returns it. */
  readonly frame: I420;
  readonly fps: number;
  readonly productName: string;
  /** Number of the frame last drawn (the first frame is 1). */
  frameNumber = 0;
  /** Rectangles changed by the last next(). */
  dirty: Rect[] = [];
  private readonly glyphs: GlyphStrip;
  private readonly sprite: I420;
  private spriteX: number | undefined;
  private text: string | undefined;

  constructor(
    readonly sceneId: string,
    readonly width: number,
    readonly height: number,
    options: RendererOptions = {},
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width % 2 || height % 2)
      throw new Error(`width and height must be even integers (got ${width}x${height})`);
    if (width < 64 || height < 36) throw new Error(`picture too small (${width}x${height}); at least 64x36`);
    this.look = lookFor(sceneId);
    this.fps = options.fps ?? 15;
    this.productName = options.productName ?? 'Jinhua dry-cured ham';
    this.layout = sceneLayout(width, height);
    const key = `${sceneId}|${width}x${height}|${this.productName}`;
    let background = backgrounds.get(key);
    if (!background) {
      background = this.renderBackground();
      backgrounds.set(key, background);
    }
    this.background = background;
    this.glyphs = new GlyphStrip(this.layout.clock.cellW, this.layout.clock.cellH, '#ffffff', '#000000');
    this.sprite = this.renderSprite();
    this.frame = new I420(width, height);
    this.frame.data.set(background.data);
  }

  /** Where the moving object is in frame `n`: it crosses the lane and back every 8 seconds. */
  spritePosition(n: number): number {
    const { travel } = this.layout.sprite;
    const phase = ((n / this.fps) % 8) / 8;
    const along = phase < 0.5 ? phase * 2 : 2 - phase * 2;
    return Math.min(even(along * travel), travel - (travel % 2));
  }

  /** Advances one frame (clock, counter, moving object), drawing only what changed; returns the picture. */
  next(now = new Date()): I420 {
    this.frameNumber += 1;
    const { frame, background, layout } = this;
    const { size, y } = layout.sprite;
    this.dirty = [];
    const x = this.spritePosition(this.frameNumber);
    if (x !== this.spriteX) {
      const old = this.spriteX;
      if (old !== undefined) {
        // Restore only the part of the old block the new one does not cover.
        const uncovered =
          Math.abs(x - old) >= size
            ? { x: old, w: size }
            : x > old
              ? { x: old, w: x - old }
              : { x: x + size, w: old - x };
        frame.copyRect(background, uncovered.x, y, uncovered.w, size);
        this.dirty.push({ x: uncovered.x, y, w: uncovered.w, h: size });
      }
      frame.blit(this.sprite, 0, 0, x, y, size, size);
      this.dirty.push({ x, y, w: size, h: size });
      this.spriteX = x;
    }
    const text = clockText(now, this.frameNumber);
    const { clock } = layout;
    let first = -1;
    let last = -1;
    for (let i = 0; i < clockLength; i++) {
      if (this.text !== undefined && this.text[i] === text[i]) continue;
      this.glyphs.draw(frame, text[i]!, clock.x + i * clock.cellW, clock.y);
      if (first < 0) first = i;
      last = i;
    }
    if (first >= 0)
      this.dirty.push({
        x: clock.x + first * clock.cellW,
        y: clock.y,
        w: (last - first + 1) * clock.cellW,
        h: clock.cellH,
      });
    this.text = text;
    return frame;
  }

  /** Frame `frameNumber` at `now` drawn from scratch into a new picture (what next() must equal). */
  renderFull(frameNumber: number, now: Date): I420 {
    const picture = new I420(this.width, this.height);
    picture.data.set(this.background.data);
    const { sprite, clock } = this.layout;
    picture.blit(this.sprite, 0, 0, this.spritePosition(frameNumber), sprite.y, sprite.size, sprite.size);
    const text = clockText(now, frameNumber);
    for (let i = 0; i < clockLength; i++)
      this.glyphs.draw(picture, text[i]!, clock.x + i * clock.cellW, clock.y);
    return picture;
  }

  /** Reads the clock/counter text back out of a picture drawn by this renderer (exact pixels only). */
  readClock(picture: I420 = this.frame): string | undefined {
    const { clock } = this.layout;
    let text = '';
    for (let i = 0; i < clockLength; i++) {
      const ch = this.glyphs.read(picture, clock.x + i * clock.cellW, clock.y);
      if (ch === undefined) return undefined;
      text += ch;
    }
    return text;
  }

  private renderSprite(): I420 {
    const { size } = this.layout.sprite;
    const { look } = this;
    const canvas = createCanvas(size, size);
    const g = canvas.getContext('2d');
    g.fillStyle = look.lane;
    g.fillRect(0, 0, size, size);
    const m = size * 0.06;
    g.fillStyle = `rgb(${look.band.join(',')})`;
    g.strokeStyle = '#ffffff';
    g.lineWidth = Math.max(1, size * 0.03);
    g.beginPath();
    g.roundRect(m, m, size - 2 * m, size - 2 * m, size * 0.12);
    g.fill();
    g.stroke();
    g.fillStyle = '#ffffff';
    g.font = `bold ${Math.max(4, Math.round(size * 0.26))}px "DejaVu Sans", "Liberation Sans", sans-serif`;
    g.textAlign = 'center';
    g.textBaseline = 'middle';
    g.fillText(look.object, size / 2, size / 2);
    return I420.fromRgba(g.getImageData(0, 0, size, size).data, size, size);
  }

  private renderBackground(): I420 {
    const { width: w, height: h, look, layout } = this;
    const { u } = layout;
    const canvas = createCanvas(w, h);
    const g = canvas.getContext('2d');
    const sans = '"DejaVu Sans", "Liberation Sans", sans-serif';
    const mono = '"DejaVu Sans Mono", "Liberation Mono", monospace';
    const gradient = g.createLinearGradient(0, 0, w, h);
    gradient.addColorStop(0, look.background[0]);
    gradient.addColorStop(1, look.background[1]);
    g.fillStyle = gradient;
    g.fillRect(0, 0, w, h);
    drawMotif(g, look, w, h, layout);

    // The lane the object moves along: solid where the object passes, so a block copy restores it.
    const { lane } = layout;
    g.fillStyle = look.lane;
    g.fillRect(lane.x, lane.y, lane.w, lane.h);

    // The identifying band: one solid colour, nothing drawn over it.
    const { band } = layout;
    g.fillStyle = `rgb(${look.band.join(',')})`;
    g.fillRect(band.x, band.y, band.w, band.h);

    g.fillStyle = look.accent;
    g.font = `bold ${Math.round(250 * u)}px ${sans}`;
    g.fillText(look.name, w * 0.04, band.h + 290 * u);
    g.font = `${Math.round(90 * u)}px ${sans}`;
    g.fillText(look.caption, w * 0.04 + 8 * u, band.h + 420 * u);
    g.fillText(this.productName, w * 0.04 + 8 * u, band.h + 540 * u);

    // Clock panel (the glyph cells are drawn on it per frame) and its caption.
    const { panel } = layout.clock;
    g.fillStyle = '#000000';
    g.fillRect(panel.x, panel.y, panel.w, panel.h);
    g.fillStyle = '#ff3b3b';
    g.beginPath();
    g.arc(panel.x + 30 * u, panel.y - 50 * u, 18 * u, 0, Math.PI * 2);
    g.fill();
    g.fillStyle = '#ffffff';
    g.font = `bold ${Math.round(48 * u)}px ${sans}`;
    g.fillText(`LIVE  ${look.name}  UTC  FRAME`, panel.x + 60 * u, panel.y - 34 * u);

    this.drawLabel(g, sans, mono);

    return I420.fromRgba(g.getImageData(0, 0, w, h).data, w, h);
  }

  /** The trace label: fine print, a fine grid and a resolution wedge — legible only at 2160p. */
  private drawLabel(g: SKRSContext2D, sans: string, mono: string): void {
    const { look, layout, sceneId, width, height } = this;
    const { u, card, finePrint, grid, wedge } = layout;
    g.fillStyle = '#f3eee1';
    g.fillRect(card.x, card.y, card.w, card.h);
    g.fillStyle = '#1a1a1a';
    g.font = `bold ${Math.round(48 * u)}px ${sans}`;
    g.fillText('TRACE LABEL', card.x + 40 * u, card.y + 80 * u);

    let serial = 0;
    for (const ch of `${sceneId}${look.batch}`) serial = (serial * 33 + ch.charCodeAt(0)) >>> 0;
    const lines = [
      `PRODUCT  ${this.productName.toUpperCase()}`,
      `BATCH    ${look.batch}`,
      `CERT     ${look.certificate}`,
      `ORIGIN   ${look.origin}`,
      `PACKED   2026-11-25   NET 500 g   KEEP BELOW 18 C`,
      `SERIAL   SC-${serial.toString(16).toUpperCase().padStart(8, '0')}   SCENE ${sceneId}   ${width}x${height}`,
    ];
    g.font = `${13 * u}px ${mono}`;
    for (const [i, line] of lines.entries()) g.fillText(line, finePrint.x, finePrint.y + (13 + i * 22) * u);

    // Fine grid: 1 px lines every 6 px (at 2160p), a 2 px line every 30 px.
    g.fillStyle = '#ffffff';
    g.fillRect(grid.x, grid.y, grid.w, grid.h);
    g.fillStyle = '#202020';
    const cells = Math.floor(grid.w / grid.pitch);
    for (let i = 0; i <= cells; i++) {
      const thick = i % 5 === 0 ? 2 : 1;
      g.fillRect(grid.x + i * grid.pitch, grid.y, thick * u, grid.h);
    }
    for (let i = 0; i * grid.pitch <= grid.h; i++) {
      const thick = i % 5 === 0 ? 2 : 1;
      g.fillRect(grid.x, grid.y + i * grid.pitch, grid.w, thick * u);
    }

    // Resolution wedge: black/white bars of 1, 2, 4, 8, 16 px.
    g.font = `${Math.round(22 * u)}px ${sans}`;
    g.fillStyle = '#1a1a1a';
    g.fillText('LINE WIDTH, px at 2160p', wedge.x, wedge.y - 16 * u);
    for (const [i, lineWidth] of wedgeLineWidths.entries()) {
      const x0 = wedge.x + i * (wedge.groupW + wedge.gap);
      g.fillStyle = '#ffffff';
      g.fillRect(x0, wedge.y, wedge.groupW, wedge.h);
      g.fillStyle = '#000000';
      for (let x = 0; x + lineWidth <= 120; x += 2 * lineWidth)
        g.fillRect(x0 + x * u, wedge.y, lineWidth * u, wedge.h);
      g.fillStyle = '#1a1a1a';
      g.fillText(String(lineWidth), x0 + wedge.groupW / 2 - 6 * u, wedge.y + wedge.h + 30 * u);
    }
  }
}

/** Each scene's backdrop, below the band and behind the text. */
function drawMotif(g: SKRSContext2D, look: SceneLook, w: number, h: number, layout: SceneLayout): void {
  const { u, lane } = layout;
  switch (look.motif) {
    case 'studio': {
      for (const [cx, cy, r] of [
        [0.25, 0.3, 900],
        [0.7, 0.25, 1100],
      ] as const) {
        const light = g.createRadialGradient(w * cx, h * cy, 0, w * cx, h * cy, r * u);
        light.addColorStop(0, 'rgba(255, 220, 250, 0.35)');
        light.addColorStop(1, 'rgba(255, 220, 250, 0)');
        g.fillStyle = light;
        g.fillRect(0, 0, w, h);
      }
      g.fillStyle = '#5a3f4c'; // the table edge
      g.fillRect(0, lane.y + lane.h, w, 24 * u);
      break;
    }
    case 'factory': {
      g.fillStyle = 'rgba(200, 200, 190, 0.18)';
      for (let x = 0.05; x < 1; x += 0.11) g.fillRect(w * x, h * 0.12, 70 * u, lane.y - h * 0.12);
      // Conveyor rollers above and below the belt, and a hazard stripe along the floor.
      g.fillStyle = '#8a8a86';
      for (let x = 0; x < w; x += 160 * u) {
        g.fillRect(x, lane.y - 20 * u, 120 * u, 16 * u);
        g.fillRect(x, lane.y + lane.h + 4 * u, 120 * u, 16 * u);
      }
      const stripeY = h * 0.96;
      g.save();
      g.beginPath();
      g.rect(0, stripeY, w, h - stripeY);
      g.clip();
      for (let x = -h; x < w; x += 120 * u) {
        g.fillStyle = '#f2c200';
        g.beginPath();
        g.moveTo(x, h);
        g.lineTo(x + 60 * u, h);
        g.lineTo(x + 60 * u + (h - stripeY), stripeY);
        g.lineTo(x + (h - stripeY), stripeY);
        g.fill();
      }
      g.restore();
      break;
    }
    case 'farm': {
      g.fillStyle = '#ffd86b';
      g.beginPath();
      g.arc(w * 0.48, h * 0.47, 110 * u, 0, Math.PI * 2);
      g.fill();
      for (const [cx, color] of [
        [0.2, '#2e6b34'],
        [0.75, '#3b7d3e'],
      ] as const) {
        g.fillStyle = color;
        g.beginPath();
        g.ellipse(w * cx, lane.y, w * 0.4, h * 0.2, 0, Math.PI, 2 * Math.PI);
        g.fill();
      }
      g.fillStyle = '#24572a';
      g.fillRect(0, lane.y + lane.h, w, h - lane.y - lane.h);
      g.fillStyle = '#c9a36a'; // fence posts beside the path
      for (let x = 0; x < w; x += 220 * u) g.fillRect(x, lane.y - 70 * u, 18 * u, 70 * u);
      g.fillRect(0, lane.y - 56 * u, w, 10 * u);
      break;
    }
    case 'plain':
      break;
  }
}
