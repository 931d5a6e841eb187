// Issue #13's second independent WHIP client: GStreamer's whipsink (gst-plugins-rs, built by
// scripts/gst-whipsink.mjs) publishes an H.264 (x264) and a VP8 test pattern through the token service's
// stream key to either engine; the engine lists the codec it got, and an rtc-node viewer of the show decodes
// the frames. Not in npm test (the plugin's first build takes about 10 minutes on 2 cores): the package's
// `test:gstreamer` script runs it. Without the plugin it builds it; if it cannot, it fails under CI=true and
// is skipped with the reason elsewhere.
import { type ChildProcess, spawn } from 'node:child_process';
import { Room } from '@livekit/rtc-node';
import type { Feed, ScenecastClient } from '@scenecast/contract';
import { devKeys, type RunningEngine, startEngine } from '@scenecast/engine';
import { countVideoFrames, type FrameCounter, skipWhen, waitFor } from '@scenecast/testkit';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWhipsink } from '../../../scripts/gst-whipsink.mjs';
import type { RunningTokenService } from '../src/index.js';
import { adminToken, apiClient, demoShow, sqlite, startTestService } from './helpers.js';

/** The plugin's folder, or why it is not here. */
const whipsink = ((): { dir?: string; missing?: string } => {
  try {
    return { dir: ensureWhipsink() };
  } catch (error) {
    return { missing: (error as Error).message };
  }
})();
const ci = process.env.CI === 'true';

/** What the encoder sends: the test pattern at 1280x720, 15 fps, a keyframe every 2 s. */
const encoders = {
  h264: [
    ...['x264enc', 'tune=zerolatency', 'speed-preset=ultrafast', 'key-int-max=30', 'bitrate=1500', '!'],
    ...['rtph264pay', 'config-interval=-1', '!'],
    'application/x-rtp,media=video,encoding-name=H264,payload=96,clock-rate=90000',
  ],
  vp8: [
    ...['vp8enc', 'deadline=1', 'keyframe-max-dist=30', 'target-bitrate=1500000', '!'],
    ...['rtpvp8pay', '!'],
    'application/x-rtp,media=video,encoding-name=VP8,payload=97,clock-rate=90000',
  ],
};

/** `gst-launch-1.0` with the pipeline docs/obs.md gives, its output kept for a failure's message. */
function launch(codec: keyof typeof encoders, endpoint: string, streamKey: string) {
  const args = [
    ...['videotestsrc', 'is-live=true', 'pattern=ball', '!'],
    ...['video/x-raw,width=1280,height=720,framerate=15/1', '!'],
    ...encoders[codec],
    ...['!', 'whipsink', `whip-endpoint=${endpoint}`, `auth-token=${streamKey}`],
  ];
  const child = spawn('gst-launch-1.0', args, {
    env: { ...process.env, GST_PLUGIN_PATH: whipsink.dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return { child, output: () => output };
}

/**
 * Stops the pipeline as Ctrl-C does: gst-launch takes it down, and whipsink sends its DELETE on the way (not
 * with `-e`: its webrtcbin never lets the end of stream through, so gst-launch would wait for ever).
 */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const killed = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killed);
}

describe('GStreamer’s whipsink through the stream key', skipWhen(ci ? undefined : whipsink.missing), () => {
  let engine: RunningEngine;
  let service: RunningTokenService;
  let brand: ScenecastClient;
  let roomService: RoomServiceClient;
  let feed: Feed;
  const rooms: Room[] = [];
  const running: ChildProcess[] = [];

  beforeAll(async () => {
    if (whipsink.missing)
      throw new Error(`GStreamer's whipsink is needed under CI=true: ${whipsink.missing}`);
    service = await startTestService(sqlite, { livekit: { url: '', ...devKeys } });
    engine = await startEngine({ webhookUrls: [`${service.url}/v1/livekit/webhook`] });
    service.setLivekitUrl(engine.url);
    roomService = new RoomServiceClient(engine.httpUrl, engine.apiKey, engine.apiSecret);
    const { apiKey } = await apiClient(service, adminToken).createBrand({ name: 'GStreamer encoders' });
    brand = apiClient(service, apiKey);
    await brand.createShow(demoShow);
    feed = await brand.addFeed('demo', {
      sceneId: 'factory',
      label: 'Curing line (GStreamer)',
      sourceKind: 'whip',
    });
  });

  afterAll(async () => {
    for (const child of running) await stop(child);
    for (const room of rooms) await room.disconnect().catch(() => undefined);
    await engine?.close();
    await service?.close();
  });

  /** A viewer of the show (the service's own viewer token) counting the frames it decodes from the feed. */
  async function watchFeed(): Promise<FrameCounter> {
    const grant = await apiClient(service).viewerToken('demo', {});
    const room = new Room();
    rooms.push(room);
    const counter = countVideoFrames(room, feed.identity);
    await room.connect(grant.url, grant.token, { autoSubscribe: true, dynacast: false });
    return counter;
  }

  const feedInRoom = async () =>
    (await roomService.listParticipants('demo')).find((p) => p.identity === feed.identity);

  for (const [codec, mime] of [
    ['h264', /^video\/h264$/i],
    ['vp8', /^video\/vp8$/i],
  ] as const) {
    it(`publishes ${codec === 'h264' ? 'H.264 (x264)' : 'VP8'} that the engine lists and a viewer decodes; stopping it deletes the session`, async () => {
      const { url, streamKey } = await brand.whipSettings(feed.id);
      const viewer = await watchFeed();
      const encoder = launch(codec, url, streamKey);
      running.push(encoder.child);
      const failed = (what: string) => `${what}; gst-launch said:\n${encoder.output().slice(-2000)}`;
      await waitFor(() => viewer.frames >= 30, {
        what: failed('30 frames at the viewer'),
        timeoutMs: 30_000,
      });
      expect(viewer.width).toBe(1280);
      const participant = await feedInRoom();
      const video = participant?.tracks.find((t) => /^video\//i.test(t.mimeType));
      console.info(
        `${engine.engine}: whipsink ${codec}: the engine lists ${video?.mimeType} in ${video?.layers.length} layer(s) ` +
          `(${video?.layers.map((l) => `${l.quality}:${l.width}x${l.height}`).join(', ')}); the viewer decoded ` +
          `${viewer.frames} frames ${viewer.width} wide`,
      );
      expect(video?.mimeType).toMatch(mime);
      // One encoding, no simulcast: one layer.
      expect(video?.layers.length).toBe(1);
      await stop(encoder.child);
      await waitFor(async () => !(await feedInRoom()), { what: failed('the encoder gone after its DELETE') });
    });
  }
});
