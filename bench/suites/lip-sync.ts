// Lip-sync (#21): how far apart a viewer sees and hears the same instant of the studio. A publisher
// (@livekit/rtc-node, like camera-sim) sends a dark picture and silence, and every 2 s one instant in both:
// a white frame and a 40-ms 2 kHz beep, from one loop, so they leave together (the audio source's queue
// is 20 ms: the most the beep can trail the flash at the source). A plain livekit-client page in Chromium
// plays both as any viewer would and notes when the flash is displayed (requestVideoFrameCallback's
// expectedDisplayTime) and when the beep is played (a script processor on the played track, its output
// time mapped to the page clock with getOutputTimestamp). Offset = beep played − flash displayed, so a
// positive offset is sound late. On both engines in the same run, beside a baseline without any SFU (the
// same flash and beep made and received peer to peer in one page); the goal is within ±80 ms.
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

type Page = Awaited<ReturnType<Awaited<ReturnType<typeof launchChromium>>['newPage']>>;

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

/**
 * In the page: play a received picture and sound as a viewer would, noting when each flash is displayed and
 * each beep is played (page clock, ms). Shared by the engines' runs and the baseline.
 */
const installDetectors = () => {
  const w = window as unknown as {
    flashes: number[];
    beeps: number[];
    watchVideo(track: MediaStreamTrack): void;
    watchAudio(track: MediaStreamTrack): void;
  };
  w.flashes = [];
  w.beeps = [];
  const context = new AudioContext();
  void context.resume();
  w.watchVideo = (track) => {
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    video.srcObject = new MediaStream([track]);
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
  };
  w.watchAudio = (track) => {
    // Chromium feeds WebRTC audio into Web Audio only while an element plays it too.
    const element = document.createElement('audio');
    element.muted = true;
    element.autoplay = true;
    element.srcObject = new MediaStream([track]);
    const source = context.createMediaStreamSource(new MediaStream([track]));
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
  };
};

/** In the page: join the room and watch the studio's picture and sound. */
const watchRoom = async ({ url, token }: { url: string; token: string }) => {
  const w = window as unknown as {
    watchVideo(t: MediaStreamTrack): void;
    watchAudio(t: MediaStreamTrack): void;
  };
  const room = new LivekitClient.Room({ adaptiveStream: false });
  room.on(LivekitClient.RoomEvent.TrackSubscribed, (track: import('livekit-client').RemoteTrack) => {
    if (track.kind === 'video') w.watchVideo(track.mediaStreamTrack);
    else w.watchAudio(track.mediaStreamTrack);
  });
  await room.connect(url, token);
};

/**
 * The baseline, in the page and without any SFU: the same flash and beep made in the page (a canvas and an
 * oscillator, switched at the same moment), sent in one media stream over a peer connection to a second
 * one in the page, and watched the same way. What it shows is Chromium's own offset plus the measurement's.
 */
const loopback = async ({ everyMs, beepHz, beepMs }: { everyMs: number; beepHz: number; beepMs: number }) => {
  const w = window as unknown as {
    watchVideo(t: MediaStreamTrack): void;
    watchAudio(t: MediaStreamTrack): void;
  };
  const canvas = document.createElement('canvas');
  canvas.width = 320;
  canvas.height = 180;
  const g = canvas.getContext('2d')!;
  const paint = (colour: string) => {
    g.fillStyle = colour;
    g.fillRect(0, 0, canvas.width, canvas.height);
  };
  paint('#101010');
  const audio = new AudioContext();
  await audio.resume();
  const tone = audio.createOscillator();
  tone.frequency.value = beepHz;
  const gain = audio.createGain();
  gain.gain.value = 0;
  const out = audio.createMediaStreamDestination();
  tone.connect(gain).connect(out);
  tone.start();
  const stream = new MediaStream([
    ...canvas.captureStream(30).getVideoTracks(),
    ...out.stream.getAudioTracks(),
  ]);
  const sender = new RTCPeerConnection();
  const receiver = new RTCPeerConnection();
  sender.onicecandidate = (e) => e.candidate && void receiver.addIceCandidate(e.candidate);
  receiver.onicecandidate = (e) => e.candidate && void sender.addIceCandidate(e.candidate);
  receiver.ontrack = (e) => (e.track.kind === 'video' ? w.watchVideo(e.track) : w.watchAudio(e.track));
  for (const track of stream.getTracks()) sender.addTrack(track, stream);
  await sender.setLocalDescription();
  await receiver.setRemoteDescription(sender.localDescription!);
  await receiver.setLocalDescription();
  await sender.setRemoteDescription(receiver.localDescription!);
  setInterval(() => {
    paint('#f0f0f0');
    gain.gain.setValueAtTime(0.5, audio.currentTime);
    gain.gain.setValueAtTime(0, audio.currentTime + beepMs / 1000);
    setTimeout(() => paint('#101010'), 100);
  }, everyMs);
};

/** Offsets (beep played − flash displayed) of the page's events, after the first two (warm-up). */
async function offsets(page: Page, what: string): Promise<number[]> {
  const count = async () =>
    (await page.evaluate('Math.min(window.flashes.length, window.beeps.length)')) as number;
  await waitFor(async () => (await count()) >= events + 2, {
    what: `${events + 2} flashes and beeps`,
    timeoutMs: (events + 10) * eventEveryMs,
  }).catch(async (error: Error) => {
    const seen = (await page.evaluate('[window.flashes.length, window.beeps.length]')) as number[];
    throw new Error(`${error.message} (${what}: ${seen[0]} flashes, ${seen[1]} beeps)`);
  });
  const { flashes, beeps } = (await page.evaluate('({ flashes: window.flashes, beeps: window.beeps })')) as {
    flashes: number[];
    beeps: number[];
  };
  // Pair each beep with the flash nearest to it (they are 2 s apart, offsets far smaller).
  return beeps.slice(2).flatMap((beep) => {
    const flash = flashes.reduce((best, f) => (Math.abs(f - beep) < Math.abs(best - beep) ? f : best));
    return Math.abs(beep - flash) < eventEveryMs / 2 ? [beep - flash] : [];
  });
}

async function measureBaseline(): Promise<number[]> {
  const browser = await launchChromium();
  const plain = await serveLivekitClientPage();
  try {
    const page = await browser.newPage();
    await page.addInitScript({ content: 'window.__name = (f) => f;' });
    await page.goto(plain.url);
    await page.evaluate(installDetectors);
    await page.evaluate(loopback, { everyMs: eventEveryMs, beepHz, beepMs });
    return await offsets(page, 'baseline');
  } finally {
    await browser.close();
    await plain.close();
  }
}

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
    await page.evaluate(installDetectors);
    const token = await participantToken(roomName, 'viewer', { canPublish: false });
    await page.evaluate(watchRoom, { url: engine.url, token });
    return await offsets(page, engineName);
  } finally {
    await source?.stop().catch(() => undefined);
    await browser.close();
    await plain.close();
    await engine.close();
  }
}

export async function run(): Promise<void> {
  const results = new Map<string, number[]>();
  results.set('baseline: peer to peer in the page, no SFU', await measureBaseline());
  for (const engine of engineNames) results.set(engine, await measure(engine));
  console.log(
    `${events} flash-and-beep instants, 2 s apart (${width}x${height} at ${fps} fps, Opus), played in Chromium; ` +
      'offset = beep played − flash displayed (positive: sound late)\n',
  );
  console.log(
    '| path | instants | p50 ms | p5 ms | p95 ms | largest |offset| ms |\n| --- | ---: | ---: | ---: | ---: | ---: |',
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
