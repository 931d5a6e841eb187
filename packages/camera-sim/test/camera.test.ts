// The cameras against the engine: what a subscriber receives from each scene, at the top and
// the lowest simulcast layer, and whether a camera outlives a restart of the engine.
import {
  type RemoteTrackPublication,
  type RemoteVideoTrack,
  Room,
  RoomEvent,
  TrackKind,
  VideoBufferType,
  type VideoFrame,
  VideoStream,
} from '@livekit/rtc-node';
import { type RunningEngine, startEngine } from '@scenecast/engine';
import { participantToken, setVideoQuality, waitFor } from '@scenecast/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCamera } from '../src/camera.js';
import { meanRgb, type Rect } from '../src/i420.js';
import { sceneLayout } from '../src/renderer.js';
import { sceneForColor } from '../src/scenes.js';

let engine: RunningEngine;
const cleanup: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  engine = await startEngine();
});
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
});
afterAll(async () => {
  await engine?.close();
});

function camera(
  scene: string,
  show: string,
  options: { width?: number; height?: number; fps?: number } = {},
) {
  return startCamera({
    scene,
    auth: { kind: 'keys', url: engine.url, apiKey: engine.apiKey, apiSecret: engine.apiSecret, show },
    width: options.width ?? 3840,
    height: options.height ?? 2160,
    fps: options.fps ?? 5,
    backoff: { initialMs: 200, maxMs: 1000 },
  }).then((running) => {
    cleanup.push(() => running.stop());
    return running;
  });
}

/** A subscriber that keeps the newest frame of the one camera it is told to watch. */
async function watch(show: string, identity: string) {
  const room = new Room();
  const seen = { latest: undefined as VideoFrame | undefined, frames: 0 };
  let publication: RemoteTrackPublication | undefined;
  room.on(RoomEvent.TrackSubscribed, async (track, pub, participant) => {
    if (track.kind !== TrackKind.KIND_VIDEO || participant.identity !== identity) return;
    publication = pub;
    for await (const event of new VideoStream(track as RemoteVideoTrack)) {
      seen.latest = event.frame;
      seen.frames++;
    }
  });
  await room.connect(engine.url, await participantToken(show, `viewer-${identity}`, { canPublish: false }));
  cleanup.push(() => room.disconnect());
  await waitFor(() => publication !== undefined, { what: `${identity}'s track`, timeoutMs: 20_000 });
  return { room, seen, publication: () => publication! };
}

/** The mean colour of the band's middle rows: the scene it names, if any. */
function bandScene(frame: VideoFrame): string | undefined {
  const picture = frame.convert(VideoBufferType.I420);
  const band = sceneLayout(frame.width, frame.height).band;
  const inner: Rect = {
    x: 0,
    y: Math.round(band.h * 0.2),
    w: frame.width,
    h: Math.max(1, Math.round(band.h * 0.6)),
  };
  return sceneForColor(meanRgb({ data: picture.data, width: frame.width, height: frame.height }, inner), 40);
}

/** Luma standard deviation over a rectangle: high where a fine grid is resolved, low where it blurs. */
function lumaSpread(frame: VideoFrame, rect: Rect): number {
  const { data, width } = frame.convert(VideoBufferType.I420);
  let sum = 0;
  let squares = 0;
  let n = 0;
  for (let y = rect.y; y < rect.y + rect.h; y++)
    for (let x = rect.x; x < rect.x + rect.w; x++) {
      const value = data[y * width + x]!;
      sum += value;
      squares += value * value;
      n++;
    }
  return Math.sqrt(squares / n - (sum / n) ** 2);
}

describe('scene cameras', () => {
  it.each(['studio', 'factory', 'farm'])(
    '%s: 3840x2160 with its band at the top layer, the same band at the lowest layer',
    async (scene) => {
      const show = `cameras-${scene}`;
      const running = await camera(scene, show);
      await running.live(20_000);
      const viewer = await watch(show, `camera-${scene}`);

      // Top layer: full 4K, the scene's own band, and the fine grid resolved.
      let top: VideoFrame | undefined;
      await waitFor(
        () => {
          const frame = viewer.seen.latest;
          if (frame?.width === 3840 && frame.height === 2160 && bandScene(frame) === scene) top = frame;
          return top !== undefined;
        },
        { what: `${scene} at 3840x2160 with its band`, timeoutMs: 30_000 },
      );

      // Its uplink as its WebRTC stack sees it: an estimate that carries the top layer, a loss share, and
      // next to no NACKs over loopback (werift's own NACK handler, one sequence space for three layers,
      // sent thousands and starved the camera's estimate).
      const uplink = await running.uplink();
      expect(uplink?.estimateBps).toBeGreaterThan(100_000);
      expect(uplink?.fractionLost).toBeGreaterThanOrEqual(0);
      expect(uplink?.fractionLost).toBeLessThanOrEqual(1);
      expect(uplink?.nacksReceived, 'NACKs for a publisher on loopback').toBeLessThan(50);

      // Lowest layer: the same band, at a fraction of the size.
      setVideoQuality(viewer.publication(), 'low');
      let low: VideoFrame | undefined;
      await waitFor(
        () => {
          const frame = viewer.seen.latest;
          if (frame && frame.width <= 640 && bandScene(frame) === scene) low = frame;
          return low !== undefined;
        },
        { what: `${scene} on the lowest layer with its band`, timeoutMs: 30_000 },
      );
      expect(low!.width / low!.height).toBeCloseTo(16 / 9, 1);

      // The fine grid is detail only 2160p carries: sharp lines at the top layer, a smear at the lowest.
      const gridTop = lumaSpread(top!, sceneLayout(top!.width, top!.height).grid);
      const gridLow = lumaSpread(low!, sceneLayout(low!.width, low!.height).grid);
      expect(gridTop).toBeGreaterThan(3 * gridLow);
    },
  );

  it('keeps publishing through a restart of the SFU, and stops cleanly', async () => {
    const show = 'cameras-restart';
    const running = await camera('farm', show, { width: 640, height: 360, fps: 10 });
    await running.live(20_000);
    const port = engine.port;

    await engine.close();
    await new Promise((resolve) => setTimeout(resolve, 2000)); // down for a moment, as in a redeploy
    engine = await startEngine({ port });

    // Either rtc-node recovers the session itself or the camera joins again: both count.
    await waitFor(
      () => running.stats.connected && running.stats.reconnects + running.stats.sdkReconnects > 0,
      {
        what: 'the camera back on the restarted engine',
        timeoutMs: 60_000,
      },
    );
    const viewer = await watch(show, 'camera-farm');
    const before = viewer.seen.frames;
    await waitFor(() => viewer.seen.frames > before + 10 && bandScene(viewer.seen.latest!) === 'farm', {
      what: 'frames from the camera after the restart',
      timeoutMs: 20_000,
    });

    // stop() unpublishes and leaves: the room empties and the participant is gone for everyone.
    await running.stop();
    await waitFor(() => !viewer.room.remoteParticipants.has('camera-farm'), {
      what: 'the camera leaving the room',
      timeoutMs: 10_000,
    });
    const framesAtStop = running.stats.framesSent;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(running.stats.framesSent).toBe(framesAtStop);
  });
});
