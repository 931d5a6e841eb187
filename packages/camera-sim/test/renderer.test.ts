import { describe, expect, it } from 'vitest';
import {
  bandRect,
  clockText,
  I420,
  lookFor,
  meanRgb,
  pictureToPng,
  type Rect,
  SceneRenderer,
  sceneColors,
  sceneForColor,
  sceneLayout,
} from '../src/index.js';

const scenes = ['studio', 'factory', 'farm'] as const;
const sizes = [
  [3840, 2160],
  [1280, 720],
  [320, 180],
] as const;

/** The Y plane of a picture, box-averaged down by an integer factor: what a lower simulcast layer sees. */
function downscaleLuma(picture: I420, factor: number): { luma: Float64Array; width: number; height: number } {
  const width = Math.floor(picture.width / factor);
  const height = Math.floor(picture.height / factor);
  const luma = new Float64Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let dy = 0; dy < factor; dy++)
        for (let dx = 0; dx < factor; dx++)
          sum += picture.data[(y * factor + dy) * picture.width + x * factor + dx]!;
      luma[y * width + x] = sum / (factor * factor);
    }
  return { luma, width, height };
}

/** Mean absolute difference between horizontal neighbours in a region: how much fine detail it carries. */
function detail(luma: ArrayLike<number>, stride: number, rect: Rect): number {
  let sum = 0;
  let n = 0;
  for (let y = rect.y; y < rect.y + rect.h; y++)
    for (let x = rect.x; x < rect.x + rect.w - 1; x++) {
      sum += Math.abs(luma[y * stride + x + 1]! - luma[y * stride + x]!);
      n++;
    }
  return sum / n;
}

const scaled = (rect: Rect, factor: number): Rect => ({
  x: Math.ceil(rect.x / factor),
  y: Math.ceil(rect.y / factor),
  w: Math.floor(rect.w / factor) - 1,
  h: Math.floor(rect.h / factor) - 1,
});

describe('scene band', () => {
  for (const [width, height] of sizes) {
    it(`is each scene's exact colour over the whole top 12 % at ${width}x${height}`, () => {
      for (const scene of scenes) {
        const renderer = new SceneRenderer(scene, width, height);
        const frame = renderer.next();
        const band = bandRect(width, height);
        expect(band.height).toBe(Math.round((height * 0.12) / 2) * 2);
        const expected = I420.yuv(...sceneColors[scene]!);
        // Every pixel of the band, in Y, U and V.
        let wrong = 0;
        for (let y = 0; y < band.height; y++)
          for (let x = 0; x < width; x++) {
            const [yy, u, v] = frame.yuvAt(x, y);
            if (yy !== expected[0] || u !== expected[1] || v !== expected[2]) wrong++;
          }
        expect(wrong).toBe(0);
        // Round-tripped to RGB it is the exported colour (within BT.601 rounding).
        const rgb = meanRgb(frame, { x: 0, y: 0, w: width, h: band.height });
        for (const [i, value] of rgb.entries())
          expect(Math.abs(value - sceneColors[scene]![i]!)).toBeLessThanOrEqual(2);
        expect(sceneForColor(rgb, 10)).toBe(scene);
        // And the row just below is no longer the band.
        expect(frame.yuvAt(width / 2, band.height)).not.toEqual(expected);
      }
    });
  }

  it('gives every scene a different, saturated band, far apart from each other', () => {
    const colors = Object.values(sceneColors);
    for (const [i, a] of colors.entries())
      for (const b of colors.slice(i + 1))
        expect(Math.max(...a.map((v, c) => Math.abs(v - b[c]!)))).toBeGreaterThan(100);
    for (const color of colors) expect(Math.max(...color) - Math.min(...color)).toBeGreaterThan(120);
  });

  it('gives a scene it does not know a stable colour of its own', () => {
    expect(lookFor('warehouse').band).toEqual(lookFor('warehouse').band);
    expect(lookFor('warehouse').band).not.toEqual(lookFor('orchard').band);
    const frame = new SceneRenderer('warehouse', 640, 360).next();
    expect(frame.yuvAt(10, 10)).toEqual(I420.yuv(...lookFor('warehouse').band));
  });

  it('rejects odd or tiny sizes', () => {
    expect(() => new SceneRenderer('farm', 641, 360)).toThrow(/even/);
    expect(() => new SceneRenderer('farm', 32, 18)).toThrow(/small/);
  });
});

describe('motion, clock and frame counter', () => {
  it('changes the counter and clock every frame, and they read back exactly', () => {
    const renderer = new SceneRenderer('factory', 1280, 720);
    const t0 = new Date('2026-11-25T10:00:00.000Z');
    renderer.next(t0);
    expect(renderer.readClock()).toBe('10:00:00.000 #0000001');
    const before = Uint8Array.from(renderer.frame.data);
    renderer.next(new Date(t0.getTime() + 66));
    expect(renderer.readClock()).toBe('10:00:00.066 #0000002');
    expect(renderer.frameNumber).toBe(2);
    const { clock } = renderer.layout;
    let changed = 0;
    for (let x = clock.x; x < clock.x + clock.cellW * 21; x++)
      for (let y = clock.y; y < clock.y + clock.cellH; y++)
        if (before[y * 1280 + x] !== renderer.frame.data[y * 1280 + x]) changed++;
    expect(changed).toBeGreaterThan(50);
  });

  it('moves the object along its lane, at a speed set per second rather than per frame', () => {
    const slow = new SceneRenderer('farm', 1280, 720, { fps: 5 });
    const fast = new SceneRenderer('farm', 1280, 720, { fps: 30 });
    expect(slow.spritePosition(5)).toBe(fast.spritePosition(30)); // both one second in
    const positions = new Set<number>();
    for (let n = 1; n <= 20; n++) positions.add(slow.spritePosition(n));
    expect(positions.size).toBe(20);
    const { travel } = slow.layout.sprite;
    for (let n = 0; n < 200; n++) {
      const x = slow.spritePosition(n);
      expect(x % 2).toBe(0);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(travel);
    }
  });

  it('redraws only small dirty rectangles (< 2.5 % of a 4K frame) and they cover every changed pixel', () => {
    const renderer = new SceneRenderer('studio', 3840, 2160);
    const t0 = Date.parse('2026-11-25T10:00:00.000Z');
    renderer.next(new Date(t0));
    for (let n = 1; n < 6; n++) {
      const before = Uint8Array.from(renderer.frame.data.subarray(0, 3840 * 2160));
      renderer.next(new Date(t0 + n * 67));
      const area = renderer.dirty.reduce((sum, r) => sum + r.w * r.h, 0);
      expect(area).toBeGreaterThan(0);
      expect(area / (3840 * 2160)).toBeLessThan(0.025);
      const inside = (x: number, y: number) =>
        renderer.dirty.some((r) => x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h);
      for (let i = 0; i < before.length; i++) {
        if (before[i] !== renderer.frame.data[i]) {
          const x = i % 3840;
          const y = Math.floor(i / 3840);
          if (!inside(x, y)) throw new Error(`pixel ${x},${y} changed outside the dirty rectangles`);
        }
      }
    }
  });

  for (const [width, height] of [
    [3840, 2160],
    [640, 360],
  ] as const) {
    it(`incremental frames equal a full re-render at ${width}x${height}`, () => {
      const incremental = new SceneRenderer('factory', width, height, { fps: 15 });
      const reference = new SceneRenderer('factory', width, height, { fps: 15 });
      const t0 = Date.parse('2026-11-25T23:59:58.900Z');
      const checks = width > 1000 ? [1, 2, 17, 60] : [1, 2, 3, 10, 31, 59, 60, 61, 119, 120, 121];
      for (let n = 1; n <= checks.at(-1)!; n++) {
        const now = new Date(t0 + n * 67);
        const frame = incremental.next(now);
        if (!checks.includes(n)) continue;
        const full = reference.renderFull(n, now);
        expect(Buffer.compare(Buffer.from(frame.data), Buffer.from(full.data)), `frame ${n}`).toBe(0);
      }
    });
  }
});

describe('fine detail', () => {
  const layout = sceneLayout(3840, 2160);
  const full = new SceneRenderer('studio', 3840, 2160).next();
  const wedgeGroup = (l: ReturnType<typeof sceneLayout>, i: number): Rect => ({
    x: Math.ceil(l.wedge.x + i * (l.wedge.groupW + l.wedge.gap)) + 1,
    y: Math.ceil(l.wedge.y) + 1,
    w: Math.floor(l.wedge.groupW) - 2,
    h: Math.floor(l.wedge.h) - 2,
  });
  /** Share of a region's pixels dark enough to be ink (glyph strokes, grid lines) on the light label. */
  const ink = (luma: ArrayLike<number>, stride: number, rect: Rect) => {
    let dark = 0;
    for (let y = rect.y; y < rect.y + rect.h; y++)
      for (let x = rect.x; x < rect.x + rect.w; x++) if (luma[y * stride + x]! < 90) dark++;
    return dark / (rect.w * rect.h);
  };

  it('resolves 1 px lines, the 1 px grid and the 13 px fine print at 2160p', () => {
    expect(detail(full.data, 3840, wedgeGroup(layout, 0))).toBeGreaterThan(150);
    expect(ink(full.data, 3840, layout.grid)).toBeGreaterThan(0.2);
    expect(ink(full.data, 3840, layout.finePrint)).toBeGreaterThan(0.004);
  });

  // rtc-node's layers for a 4K camera are 2160p, 360p and 180p; 1080p shows the first step down.
  for (const factor of [2, 6, 12]) {
    const [w, h] = [3840 / factor, 2160 / factor];
    it(`is gone at ${w}x${h}, both when the 4K picture is scaled down and when drawn at that size`, () => {
      const down = downscaleLuma(full, factor);
      const native = new SceneRenderer('studio', w, h).next();
      const small = sceneLayout(w, h);
      const pictures = [
        {
          what: 'scaled down',
          luma: down.luma,
          stride: down.width,
          rect: (r: Rect) => scaled(r, factor),
          l: layout,
        },
        { what: 'drawn small', luma: native.data, stride: w, rect: (r: Rect) => r, l: small },
      ];
      for (const { what, luma, stride, rect, l } of pictures) {
        // The 1 px bars average to grey.
        expect(detail(luma, stride, rect(wedgeGroup(l, 0))), what).toBeLessThan(12);
        // The fine print's strokes no longer reach ink darkness: it cannot be read.
        expect(ink(luma, stride, rect(l.finePrint)), what).toBeLessThan(0.001);
        if (factor >= 6) expect(ink(luma, stride, rect(l.grid)), what).toBe(0);
      }
      // While the big things stay: the 16 px bars still resolve at 360p.
      if (factor <= 6)
        expect(detail(down.luma, down.width, scaled(wedgeGroup(layout, 4), factor))).toBeGreaterThan(20);
    });
  }
});

describe('snapshot', () => {
  it('encodes a frame as PNG', () => {
    const png = pictureToPng(new SceneRenderer('farm', 320, 180).next());
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });

  it('formats the clock as HH:MM:SS.mmm and a 7-digit counter', () => {
    expect(clockText(new Date('2026-01-02T03:04:05.678Z'), 42)).toBe('03:04:05.678 #0000042');
  });
});
