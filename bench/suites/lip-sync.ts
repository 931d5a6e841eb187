// Lip-sync (#21): how far apart a viewer sees and hears the same instant of the studio. A publisher
// (@livekit/rtc-node, like camera-sim) sends a dark picture and silence, and every 2 s one instant in both:
// a white frame and a 40-ms 2 kHz beep, from one loop, so they leave together (the audio source's queue
// is 20 ms: the most the beep can trail the flash at the source). A plain livekit-client page in Chromium
// plays both as any viewer would and notes when the flash is displayed (requestVideoFrameCallback's
// expectedDisplayTime) and when the beep is played (a script processor on the played track, its output
// time mapped to the page clock with getOutputTimestamp). Offset = beep played − flash displayed, so a
// positive offset is sound late. On both engines in the same run; the goal is within ±80 ms.
import {
  AudioFrame,
  AudioSource,
  LocalAudioTrack,
  LocalVideoTrack,
  Room,
  TrackPublishOptions,
  TrackSource,
  VideoBufferType,
  VideoFrame,
  VideoSource,
} from '@livekit/rtc-node';
import { type EngineName, engineNames, startEngine } from '@scenecast/engine';
import { launchChromium, participantToken, serveLivekitClientPage, waitFor } from '@scenecast/testkit';
import { percentile } from '../percentile.js';

declare const LivekitClient: typeof import('livekit-client');

const events = Number(process.env.BENCH_EVENTS ?? 20);
const eventEveryMs = 2000;
const rate = 48_000;
const tickMs = 10;
const width = 320;
const height = 180;
const fps = 30;
const beepHz = 2000;
const beepMs = 40;
const roomName = 'lip-sync';

/** Publishes the flash-and-beep source until stopped. */
async function publishSource(url: string): Promise<{ stop(): Promise<void> }> {
  const room = new Room();
  await room.connect(url, await participantToken(roomName, 'studio'));
  const audio = new AudioSource(rate, 1, 20);
  const video = new VideoSource(width, height);
  const local = room.localParticipant!;
  await local.publishTrack(
    LocalAudioTrack.createAudioTrack('mic', audio),
    new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }),
  );
  await local.publishTrack(
    LocalVideoTrack.createVideoTrack('camera', video),
    new TrackPublishOptions({ source: TrackSource.SOURCE_CAMERA }),
  );
  const dark = new Uint8Array(width * height * 4).fill(16);
  const white = new Uint8Array(width * height * 4).fill(240);
  let stopped = false;
  const loop = (async () => {
    const samplesPerTick = (rate * tickMs) / 1000;
    const ticksPerEvent = eventEveryMs / tickMs;
    let nextFrameAt = 0;
    for (let tick = 0; !stopped; tick++) {
      const t = tick * tickMs;
      const sinceEvent = (tick % ticksPerEvent) * tickMs;
      const data = new Int16Array(samplesPerTick);
      if (sinceEvent < beepMs)
        for (let i = 0; i < samplesPerTick; i++)
          data[i] = Math.round(16_000 * Math.sin((2 * Math.PI * beepHz * (sinceEvent * 48 + i)) / rate));
      // Paced by the source's queue: this resolves once the previous 20 ms have gone out.
      await audio.captureFrame(new AudioFrame(data, rate, 1, samplesPerTick)).catch(() => undefined);
      if (t >= nextFrameAt) {
        nextFrameAt += 1000 / fps;
        // Three frames: one flashed frame can be skipped by a busy compositor; the first shown is the onset.
        const flash = sinceEvent < 3000 / fps;
        video.captureFrame(new VideoFrame(flash ? white : dark, width, height, VideoBufferType.RGBA));
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      await room.disconnect();
    },
  };
}

/** In the page: subscribe, play both, and note flashes displayed and beeps played (page clock, ms). */
const watch = async ({ url, token }: { url: string; token: string }) => {
  const w = window as unknown as { flashes: number[]; beeps: number[] };
  w.flashes = [];
  w.beeps = [];
  const room = new LivekitClient.Room({ adaptiveStream: false });
  const context = new AudioContext();
  await context.resume();
  room.on(LivekitClient.RoomEvent.TrackSubscribed, (track: import('livekit-client').RemoteTrack) => {
    if (track.kind === 'video') {
      const video = track.attach() as HTMLVideoElement;
      video.muted = true;
      document.body.append(video);
      const canvas = new OffscreenCanvas(16, 9);
      const g = canvas.getContext('2d', { willReadFrequently: true })!;
      let bright = false;
      const onFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
        g.drawImage(video, 0, 0, 16, 9);
        const pixels = g.getImageData(0, 0, 16, 9).data;
        let sum = 0;
        for (let i = 0; i < pixels.length; i += 4) sum += pixels[i]!;
        const isBright = sum / (pixels.length / 4) > 128;
        if (isBright && !bright) w.flashes.push(meta.expectedDisplayTime);
        bright = isBright;
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
    } else {
      // Chromium feeds WebRTC audio into Web Audio only while an element plays it too.
      const element = track.attach() as HTMLAudioElement;
      element.muted = true;
      const source = context.createMediaStreamSource(new MediaStream([track.mediaStreamTrack]));
      const processor = context.createScriptProcessor(256, 1, 1);
      let quietSamples = 0;
      processor.onaudioprocess = (event) => {
        const samples = event.inputBuffer.getChannelData(0);
        const stamp = context.getOutputTimestamp();
        for (let i = 0; i < samples.length; i++) {
          if (Math.abs(samples[i]!) > 0.15) {
            // A beep after at least half a second of quiet: its first loud sample, when it is played.
            if (quietSamples > context.sampleRate / 2) {
              const playedAt = event.playbackTime + i / context.sampleRate;
              w.beeps.push(stamp.performanceTime! + (playedAt - stamp.contextTime!) * 1000);
            }
            quietSamples = 0;
          } else quietSamples += 1;
        }
      };
      source.connect(processor);
      // A script processor runs only while connected to the output; it writes silence there.
      processor.connect(context.destination);
    }
  });
  await room.connect(url, token);
};

async function measure(engineName: EngineName): Promise<number[]> {
  const engine = await startEngine({ engine: engineName, name: `lip-sync-${engineName}` });
  const browser = await launchChromium();
  const plain = await serveLivekitClientPage();
  let source: { stop(): Promise<void> } | undefined;
  try {
    source = await publishSource(engine.url);
    const page = await browser.newPage();
    await page.addInitScript({ content: 'window.__name = (f) => f;' });
    await page.goto(plain.url);
    const token = await participantToken(roomName, 'viewer', { canPublish: false });
    await page.evaluate(watch, { url: engine.url, token });
    const count = async () =>
      (await page.evaluate('Math.min(window.flashes.length, window.beeps.length)')) as number;
    // The first two events warm up the jitter buffers and A/V sync; then `events` of them.
    await waitFor(async () => (await count()) >= events + 2, {
      what: `${events + 2} flashes and beeps`,
      timeoutMs: (events + 10) * eventEveryMs,
    }).catch(async (error: Error) => {
      const seen = await page.evaluate('`${window.flashes.length} flashes, ${window.beeps.length} beeps`');
      throw new Error(`${error.message} (${engineName}: ${seen})`);
    });
    const { flashes, beeps } = (await page.evaluate(
      '({ flashes: window.flashes, beeps: window.beeps })',
    )) as {
      flashes: number[];
      beeps: number[];
    };
    // Pair each beep with the flash nearest to it (they are 2 s apart, offsets far smaller).
    return beeps.slice(2).flatMap((beep) => {
      const flash = flashes.reduce((best, f) => (Math.abs(f - beep) < Math.abs(best - beep) ? f : best));
      return Math.abs(beep - flash) < eventEveryMs / 2 ? [beep - flash] : [];
    });
  } finally {
    await source?.stop().catch(() => undefined);
    await browser.close();
    await plain.close();
    await engine.close();
  }
}

export async function run(): Promise<void> {
  const results = new Map<EngineName, number[]>();
  for (const engine of engineNames) results.set(engine, await measure(engine));
  console.log(
    `${events} flash-and-beep instants, 2 s apart (${width}x${height} at ${fps} fps, Opus), played in Chromium; ` +
      'offset = beep played − flash displayed (positive: sound late)\n',
  );
  console.log(
    '| engine | instants | p50 ms | p5 ms | p95 ms | largest |offset| ms |\n| --- | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const [engine, offsets] of results) {
    const largest = Math.max(...offsets.map(Math.abs));
    const ms = (x: number) => x.toFixed(0);
    console.log(
      `| ${engine} | ${offsets.length} | ${ms(percentile(offsets, 50))} | ${ms(percentile(offsets, 5))} | ` +
        `${ms(percentile(offsets, 95))} | ${ms(largest)} |`,
    );
  }
  if (process.env.BENCH_DEBUG) console.log(JSON.stringify(Object.fromEntries(results)));
}
