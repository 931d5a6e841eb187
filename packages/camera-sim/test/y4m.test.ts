import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bandRect, meanRgb, sceneColors, sceneForColor, writeY4m } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'y4m-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeY4m', () => {
  it("writes a scene's frames as a YUV4MPEG2 clip a browser's file camera plays", async () => {
    const path = await writeY4m({
      scene: 'farm',
      width: 320,
      height: 180,
      frames: 3,
      fps: 10,
      path: join(dir, 'farm.y4m'),
    });
    const bytes = readFileSync(path);
    const header = 'YUV4MPEG2 W320 H180 F10:1 Ip A1:1 C420jpeg\n';
    expect(bytes.subarray(0, header.length).toString()).toBe(header);
    const frameBytes = 320 * 180 * 1.5;
    expect(bytes.length).toBe(header.length + 3 * ('FRAME\n'.length + frameBytes));
    // Every frame is the farm's picture: its band's colour.
    for (let i = 0; i < 3; i++) {
      const at = header.length + i * ('FRAME\n'.length + frameBytes);
      expect(bytes.subarray(at, at + 6).toString()).toBe('FRAME\n');
      const picture = { data: bytes.subarray(at + 6, at + 6 + frameBytes), width: 320, height: 180 };
      const band = bandRect(320, 180);
      const rgb = meanRgb(picture, { x: 0, y: 0, w: band.width, h: band.height });
      expect(sceneForColor(rgb), `frame ${i}: ${rgb} vs ${sceneColors.farm}`).toBe('farm');
    }
  });

  it('refuses a clip without frames', async () => {
    await expect(
      writeY4m({ scene: 'farm', width: 320, height: 180, frames: 0, fps: 10, path: join(dir, 'none.y4m') }),
    ).rejects.toThrow(/frames/);
  });
});
