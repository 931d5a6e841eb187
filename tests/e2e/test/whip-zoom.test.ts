// Issue #13, end to end: an encoder publishes a scene of the demo show over WHIP and a viewer zooms into it at
// 3840x2160. The encoder is @eyevinn/whip-web-client with Chromium's fake 3840x2160 camera (simulcast: three
// layers on the embedded SFU, one on livekit-server: see below), posting to the token service's WHIP URL with
// the feed's stream key; the viewer is the built viewer app. Both are pages of one Chromium (this machine runs
// one at a time). Both engines.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attributes } from '@scenecast/contract';
import { demoCameras, type Stack, startStack } from '@scenecast/demo';
import { devKeys, selectedEngine } from '@scenecast/engine';
import {
  launchChromium,
  type OutboundLayer,
  publishWhipFromChromium,
  type WhipPublisher,
  waitFor,
} from '@scenecast/testkit';
import { RoomServiceClient } from 'livekit-server-sdk';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stagePicture } from './stage.js';

const artifacts = join(import.meta.dirname, '..', 'test-results');
mkdirSync(artifacts, { recursive: true });

let stack: Stack;
let browser: Browser;
let publisher: WhipPublisher | undefined;

beforeAll(async () => {
  // The factory scene is the encoder's: its synthetic camera stays off. The other two small and slow, so the
  // machine's cores go to the 4K encoder and the 4K decoder.
  stack = await startStack({
    stateDir: mkdtempSync(join(tmpdir(), 'e2e-whip-')),
    cameras: demoCameras
      .filter((camera) => camera.scene !== 'factory')
      .map((camera) => ({ ...camera, width: 640, height: 360, fps: 10 })),
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await publisher?.stop();
  await browser?.close();
  await stack?.close();
});

/** The encoder's layers as it sends them now, e.g. `q 960x540 15 fps (none), …`. */
async function sent(encoder: WhipPublisher): Promise<string> {
  const layers: OutboundLayer[] = await encoder.outboundVideo();
  return layers
    .map(
      (l) =>
        `${l.rid ?? '-'} ${l.width ?? 0}x${l.height ?? 0} ${Math.round(l.framesPerSecond ?? 0)} fps ` +
        `(${l.qualityLimitationReason}, target ${Math.round((l.targetBitrate ?? 0) / 1000)} kbps)`,
    )
    .join(', ');
}

// livekit-server (v1.13.5) takes a WHIP simulcast offer's three rids but refuses the second and third as a
// "duplicate layer" (its log) and forwards only the first, so its viewers never get more than a quarter of the
// picture (apps/sfu/README, compatibility): there the encoder sends its one 4K layer.
const simulcast = selectedEngine() === 'embedded';

describe('a WHIP encoder’s 4K scene in the viewer', () => {
  it(`publishes 3840x2160${simulcast ? ' with simulcast' : ''} through the stream key; the zoomed viewer shows 2160 rows`, async () => {
    const feed = await stack.brand.addFeed('demo', {
      sceneId: 'factory',
      label: 'Curing line (OBS)',
      sourceKind: 'whip',
    });
    const { url, streamKey } = await stack.brand.whipSettings(feed.id);
    publisher = await publishWhipFromChromium({
      browser,
      endpoint: url,
      token: streamKey,
      simulcast,
      // An encoder's bitrate setting: the top layer then needs about 2 Mbps of the browser's send estimate
      // rather than the 6 its defaults ask, which a busy 2-core machine's loopback keeps reaching.
      layerKbps: [100, 300, 1500],
      // A 4K encoder keeps its size and drops frames when short of CPU, as OBS does.
      degradationPreference: 'maintain-resolution',
      width: 3840,
      height: 2160,
      frameRate: 5,
    });

    // The engine sees the encoder as the factory scene's camera, in three layers up to 3840x2160.
    const roomService = new RoomServiceClient(
      stack.engineUrl.replace(/^ws/, 'http'),
      devKeys.apiKey,
      devKeys.apiSecret,
    );
    // (livekit-server lists the track once its media arrives.)
    const encoder = await waitFor(
      async () => {
        const participants = await roomService.listParticipants('demo');
        const found = participants.find((p) => p.identity === feed.identity);
        return found?.tracks.some((t) => t.layers.length > 0) && found;
      },
      { what: 'the encoder’s video track at the engine' },
    );
    expect(encoder.attributes[attributes.scene]).toBe('factory');
    const layers = encoder.tracks.find((t) => t.layers.length > 0)?.layers ?? [];
    console.info(
      `${stack.engine}: the encoder's video layers ${layers.map((l) => `${l.width}x${l.height}`).join(', ')}`,
    );
    expect(layers.length).toBe(simulcast ? 3 : 1);

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(stack.showUrl);
    await waitFor(async () => (await page.locator('.badge.live').count()) === 3, {
      what: 'three live scenes, the encoder’s among them',
      timeoutMs: 60_000,
    });
    await page.click('[data-scene="factory"]');
    await waitFor(async () => (await stagePicture(page)).height > 0, {
      what: 'the encoder’s picture on the stage',
      timeoutMs: 30_000,
    });
    await page.click('.stats-toggle');
    for (let i = 0; i < 5; i++) await page.click('[data-testid="zoom-in"]');
    // The encoder's top layer comes once its send estimate allows it (4K VP8 in software on a busy machine).
    const picture = await waitFor(
      async () => {
        const stage = await stagePicture(page);
        if (stage.height === 2160) return stage;
        throw new Error(
          `the stage at ${stage.width}x${stage.height}, the encoder sending ${await sent(publisher!)}`,
        );
      },
      { what: '2160 rows on the zoomed stage', timeoutMs: 120_000, intervalMs: 500 },
    );
    console.info(`${stack.engine}: the encoder sends ${await sent(publisher)}`);
    expect([picture.width, picture.height]).toEqual([3840, 2160]);
    // The viewer's own stats (inbound-rtp) agree, and the stage measured how long the zoom took where it asked.
    await waitFor(
      async () => (await page.locator('[data-stat="resolution"]').textContent()) === '3840×2160',
      { what: 'the stats panel at 3840×2160' },
    );
    const zooms = await page.evaluate(() => window.scenecast?.zooms ?? []);
    console.info(
      `${stack.engine}: zoom to full resolution took ${zooms.map(Math.round).join(', ') || '–'} ms`,
    );
    await page.screenshot({ path: join(artifacts, `whip-zoomed-${stack.engine}.png`) });
    expect(errors).toEqual([]);
    await page.close();
  });
});
