import { describe, expect, it } from 'vitest';
import { bandRect, I420, SceneRenderer, sceneColors } from '../src/index.js';

/** The picture's Y, U, V at one pixel. */
function yuvAt(frame: I420, x: number, y: number): [number, number, number] {
  const cw = frame.width / 2;
  const c = (y >> 1) * cw + (x >> 1);
  return [frame.data[y * frame.width + x]!, frame.data[frame.uOffset + c]!, frame.data[frame.vOffset + c]!];
}

describe('SceneRenderer', () => {
  for (const [width, height] of [
    [3840, 2160],
    [1280, 720],
    [320, 180],
  ] as const) {
    it(`paints each scene's exact band color at ${width}x${height}`, () => {
      for (const scene of ['studio', 'factory', 'farm']) {
        const renderer = new SceneRenderer(scene, width, height);
        const frame = renderer.next();
        const band = bandRect(width, height);
        const expected = I420.yuv(...sceneColors[scene]!);
        for (const [x, y] of [
          [band.width / 2, band.height / 2],
          [2, 2],
          [width - 4, band.height - 2],
        ]) {
          expect(yuvAt(frame, x! & ~1, y! & ~1)).toEqual(expected);
        }
      }
    });
  }

  it('gives every scene a different band', () => {
    const colors = Object.values(sceneColors).map((c) => c.join());
    expect(new Set(colors).size).toBe(colors.length);
  });

  it('moves: the clock/counter and the moving block change every frame, the band does not', () => {
    const renderer = new SceneRenderer('farm', 1280, 720);
    const first = Uint8Array.from(renderer.next(new Date('2026-01-01T00:00:00Z')).data);
    const second = renderer.next(new Date('2026-01-01T00:00:01Z')).data;
    let changed = 0;
    for (let i = 0; i < first.length; i++) if (first[i] !== second[i]) changed++;
    expect(changed).toBeGreaterThan(100);
    const bandBytes = bandRect(1280, 720).height * 1280;
    expect(
      Buffer.compare(Buffer.from(first.subarray(0, bandBytes)), Buffer.from(second.subarray(0, bandBytes))),
    ).toBe(0);
    expect(renderer.frameNumber).toBe(2);
  });

  it('restores the background under the moving block (incremental frames equal a fresh render)', () => {
    const incremental = new SceneRenderer('factory', 640, 360);
    const fresh = new SceneRenderer('factory', 640, 360);
    const at = new Date('2026-01-01T00:00:00Z');
    for (let i = 0; i < 20; i++) incremental.next(at);
    fresh.frameNumber = 20; // both draw frame 21
    const a = incremental.next(at).data;
    const b = fresh.next(at).data;
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
  });

  it('carries fine detail (the label and 2-px grid) that averages away at low resolution', () => {
    // Contrast in the label area: high at 4K (sharp glyphs and grid lines), absent when downscaled 12x.
    const renderer = new SceneRenderer('studio', 3840, 2160);
    const frame = renderer.next();
    const x0 = Math.round(3840 * 0.62) + 24;
    const y0 = Math.round(2160 * 0.2) + 210;
    let min = 255;
    let max = 0;
    for (let x = x0; x < x0 + 200; x++) {
      const y = frame.data[y0 * 3840 + x]!;
      min = Math.min(min, y);
      max = Math.max(max, y);
    }
    expect(max - min).toBeGreaterThan(100);
  });
});
