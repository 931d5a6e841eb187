// WHIP ingest (#13): from an encoder's POST of its offer to the first frame of its picture at a
// subscriber. The encoder is @eyevinn/whip-web-client in Chromium with a fake 640x360 camera (testkit's
// publishWhipFromChromium, which notes when the client begins its POST); the subscriber is
// @livekit/rtc-node, already in the room and decoding. Each run is a fresh room and a fresh encoder,
// straight to the engine's own /whip/v1; both engines in the same run.
import { Room, RoomEvent, TrackKind, VideoStream } from '@livekit/rtc-node';
import { type EngineName, engineNames, startEngine } from '@scenecast/engine';
import { participantToken, publishWhipFromChromium, waitFor } from '@scenecast/testkit';
import { percentile } from '../percentile.js';

const runs = Number(process.env.BENCH_RUNS ?? 20);

/** One ingest: POST → first decoded frame at the subscriber, in ms. */
async function once(engine: { url: string; httpUrl: string }, room: string): Promise<number> {
  const subscriber = new Room();
  let firstFrameAt: number | undefined;
  subscriber.on(RoomEvent.TrackSubscribed, async (track) => {
    if (track.kind !== TrackKind.KIND_VIDEO) return;
    const reader = new VideoStream(track).getReader();
    await reader.read();
    firstFrameAt = Date.now();
    reader.releaseLock();
  });
  await subscriber.connect(engine.url, await participantToken(room, 'subscriber', { canPublish: false }));
  const encoder = await publishWhipFromChromium({
    endpoint: `${engine.httpUrl}/whip/v1`,
    token: await participantToken(room, 'encoder', { canSubscribe: false }),
    width: 640,
    height: 360,
  });
  try {
    await waitFor(() => firstFrameAt !== undefined, {
      what: 'the first frame at the subscriber',
      timeoutMs: 30_000,
    });
    return firstFrameAt! - encoder.postedAt;
  } finally {
    await encoder.stop();
    await subscriber.disconnect();
  }
}

export async function run(): Promise<void> {
  const results = new Map<EngineName, number[]>();
  for (const name of engineNames) {
    const engine = await startEngine({ engine: name, name: `whip-${name}` });
    try {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) times.push(await once(engine, `whip-bench-${i}`));
      results.set(name, times);
    } finally {
      await engine.close();
    }
  }
  console.log(
    `${runs} ingests per engine: @eyevinn/whip-web-client in Chromium (640x360 fake camera) POSTs to the ` +
      "engine's /whip/v1; an rtc-node subscriber already in the room decodes the first frame\n",
  );
  console.log(
    '| WHIP POST → first frame at a subscriber | p50 ms | p95 ms | max ms |\n| --- | ---: | ---: | ---: |',
  );
  for (const [engine, times] of results)
    console.log(
      `| ${engine} | ${percentile(times, 50).toFixed(0)} | ${percentile(times, 95).toFixed(0)} | ${Math.max(...times).toFixed(0)} |`,
    );
  if (process.env.BENCH_DEBUG) console.log(JSON.stringify(Object.fromEntries(results)));
}
