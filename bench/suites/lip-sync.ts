// Lip-sync (#21): how far apart a viewer sees and hears the same instant of the studio. Every 2 s one instant is
// in both the picture and the sound — a white frame and a 40-ms 2 kHz beep — over a dark picture and silence.
// Two publishers make it, each through both engines: @livekit/rtc-node built as camera-sim builds its camera,
// and Chromium itself (a canvas and an oscillator published with livekit-client, as a browser camera would).
// A plain livekit-client page in the same Chromium plays both as any viewer would and notes when the flash is
// displayed (requestVideoFrameCallback's expectedDisplayTime) and when the beep is played (a script processor
// on the played track, its output time mapped to the page clock with getOutputTimestamp). Offset = beep
// played − flash displayed, so a positive offset is sound late. Beside them a baseline without any SFU (the
// same Chromium-made flash and beep sent peer to peer within one page); the goal is within ±80 ms.
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
import { soundQueueMs } from '@scenecast/camera-sim';
import { type EngineName, engineNames, startEngine } from '@scenecast/engine';
import { launchChromium, participantToken, serveLivekitClientPage, waitFor } from '@scenecast/testkit';

type Browser = Awaited<ReturnType<typeof launchChromium>>;
type Page = Awaited<ReturnType<Browser['newPage']>>;

import { percentile } from '../percentile.js';

declare const LivekitClient: typeof import('livekit-client');

const events = Number(process.env.BENCH_EVENTS ?? 20);
const eventEveryMs = 2000;
/** Instants left out at the start (12 s), while the browser is still aligning the streams. */
const warmUpEvents = 6;
const rate = 48_000;
const audioQueueMs = Number(process.env.BENCH_AUDIO_QUEUE_MS ?? soundQueueMs);
const width = 320;
const height = 180;
const fps = 30;
const beepHz = 2000;
const beepMs = 40;
const roomName = 'lip-sync';

/**
 * Publishes the flash-and-beep source until stopped, built as camera-sim builds its camera: the sound from a
 * pump that hands rtc-node 10 ms at a time as its queue (camera-sim's `soundQueueMs`, or `BENCH_AUDIO_QUEUE_MS`)
 * drains, a beep while an instant is under 40 ms old; the picture from a timer at the frame rate, drawn as
 * the clock stood one queue ago (as camera-sim's clock), a flash while that instant is under 100 ms old.
 */
async function publishSource(url: string, token: string): Promise<{ stop(): Promise<void> }> {
  const room = new Room();
  await room.connect(url, token);
  const audio = new AudioSource(rate, 1, audioQueueMs);
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
  const start = performance.now();
  /** How long ago the latest instant was, `ms` from now. */
  const sinceInstant = (ms = 0) => (performance.now() + ms - start) % eventEveryMs;
  const capture = setInterval(() => {
    // The picture of the moment whose sound leaves now: the sound handed over waits in the queue (as camera-sim).
    // Three frames: one flashed frame can be skipped by a busy compositor; the first shown is the onset.
    const flash = sinceInstant(-audioQueueMs) < 3000 / fps;
    video.captureFrame(new VideoFrame(flash ? white : dark, width, height, VideoBufferType.RGBA));
  }, 1000 / fps);
  let stopped = false;
  const pumping = (async () => {
    const samples = rate / 100;
    let phase = 0;
    while (!stopped) {
      const data = new Int16Array(samples);
      for (let i = 0; i < samples; i++, phase++)
        if (sinceInstant((i * 1000) / rate) < beepMs)
          data[i] = Math.round(16_000 * Math.sin((2 * Math.PI * beepHz * phase) / rate));
      await audio.captureFrame(new AudioFrame(data, rate, 1, samples)).catch(() => undefined);
    }
  })();
  return {
    async stop() {
      stopped = true;
      clearInterval(capture);
      await pumping;
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
    receivers: RTCRtpReceiver[];
    watchVideo(track: MediaStreamTrack): void;
    watchAudio(track: MediaStreamTrack): void;
  };
  w.receivers = [];
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
    receivers: RTCRtpReceiver[];
  };
  const room = new LivekitClient.Room({ adaptiveStream: false });
  room.on(LivekitClient.RoomEvent.TrackSubscribed, (track: import('livekit-client').RemoteTrack) => {
    if (track.receiver) w.receivers.push(track.receiver);
    if (track.kind === 'video') w.watchVideo(track.mediaStreamTrack);
    else w.watchAudio(track.mediaStreamTrack);
  });
  await room.connect(url, token);
};

/**
 * In the page: the flash-and-beep source made by Chromium itself — a canvas and an oscillator, switched at the
 * same moment every `everyMs`, in one media stream. The baseline sends it peer to peer; the Chromium publisher
 * sends it through an SFU with livekit-client.
 */
const installFlashAndBeep = () => {
  const w = window as unknown as {
    flashAndBeep(o: { everyMs: number; beepHz: number; beepMs: number }): Promise<MediaStream>;
    /** When each flash and beep was made (wall clock, ms). */
    sourceEvents: number[];
  };
  w.sourceEvents = [];
  w.flashAndBeep = async ({ everyMs, beepHz, beepMs }) => {
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
    setInterval(() => {
      w.sourceEvents.push(performance.timeOrigin + performance.now());
      paint('#f0f0f0');
      gain.gain.setValueAtTime(0.5, audio.currentTime);
      gain.gain.setValueAtTime(0, audio.currentTime + beepMs / 1000);
      // 200 ms: a busy page's canvas capture can miss a shorter flash; its onset is what is measured.
      setTimeout(() => paint('#101010'), 200);
    }, everyMs);
    return new MediaStream([...canvas.captureStream(30).getVideoTracks(), ...out.stream.getAudioTracks()]);
  };
};

/**
 * The baseline, in the page and without any SFU: the flash and beep made in the page, sent in one media stream
 * over a peer connection to a second one in the page, and watched the same way. What it shows is Chromium's
 * own offset plus the measurement's.
 */
const loopback = async (options: { everyMs: number; beepHz: number; beepMs: number }) => {
  const w = window as unknown as {
    watchVideo(t: MediaStreamTrack): void;
    watchAudio(t: MediaStreamTrack): void;
    receivers: RTCRtpReceiver[];
    flashAndBeep(o: typeof options): Promise<MediaStream>;
  };
  const stream = await w.flashAndBeep(options);
  const sender = new RTCPeerConnection();
  const receiver = new RTCPeerConnection();
  sender.onicecandidate = (e) => e.candidate && void receiver.addIceCandidate(e.candidate);
  receiver.onicecandidate = (e) => e.candidate && void sender.addIceCandidate(e.candidate);
  receiver.ontrack = (e) => {
    w.receivers.push(e.receiver);
    if (e.track.kind === 'video') w.watchVideo(e.track);
    else w.watchAudio(e.track);
  };
  for (const track of stream.getTracks()) sender.addTrack(track, stream);
  await sender.setLocalDescription();
  await receiver.setRemoteDescription(sender.localDescription!);
  await receiver.setLocalDescription();
  await sender.setRemoteDescription(receiver.localDescription!);
};

/** In the page: publish the flash and beep through an SFU with livekit-client, as a browser camera would. */
const publishFromPage = async ({
  url,
  token,
  ...options
}: {
  url: string;
  token: string;
  everyMs: number;
  beepHz: number;
  beepMs: number;
}) => {
  const w = window as unknown as { flashAndBeep(o: typeof options): Promise<MediaStream> };
  const stream = await w.flashAndBeep(options);
  const room = new LivekitClient.Room();
  await room.connect(url, token);
  const [video] = stream.getVideoTracks();
  const [audio] = stream.getAudioTracks();
  await room.localParticipant.publishTrack(video!, {
    source: LivekitClient.Track.Source.Camera,
    simulcast: false,
  });
  await room.localParticipant.publishTrack(audio!, { source: LivekitClient.Track.Source.Microphone });
};

/**
 * In the page: where the receivers spend their delay (ms per frame, from getStats' inbound-rtp), which says
 * which stream Chromium held back to align the two.
 */
const receiverDelays = async () => {
  const w = window as unknown as { receivers: RTCRtpReceiver[] };
  const out: Record<string, number> = {};
  for (const receiver of w.receivers) {
    (await receiver.getStats()).forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      const per = (total: number | undefined, count: number | undefined) =>
        Math.round(((total ?? 0) / Math.max(1, count ?? 0)) * 1000);
      // The target includes what A/V sync adds; the minimum is what the stream alone would need.
      out[`${s.kind} jitter buffer`] = per(s.jitterBufferDelay, s.jitterBufferEmittedCount);
      out[`${s.kind} jitter target`] = per(s.jitterBufferTargetDelay, s.jitterBufferEmittedCount);
      out[`${s.kind} jitter minimum`] = per(s.jitterBufferMinimumDelay, s.jitterBufferEmittedCount);
      if (s.kind === 'audio')
        for (const counter of [
          'packetsReceived',
          'packetsLost',
          'packetsDiscarded',
          'fecPacketsReceived',
          'concealmentEvents',
          'insertedSamplesForDeceleration',
          'removedSamplesForAcceleration',
        ])
          out[`audio ${counter}`] = Number(s[counter] ?? 0);
    });
  }
  return out;
};

/**
 * Offsets (beep played − flash displayed) of the page's events, after the warm-up: a browser aligns the two
 * streams in steps over several seconds (each step at most 80 ms), and a viewer watches a show for longer.
 */
async function offsets(page: Page, what: string): Promise<number[]> {
  const count = async () =>
    (await page.evaluate('Math.min(window.flashes.length, window.beeps.length)')) as number;
  await waitFor(async () => (await count()) >= events + warmUpEvents, {
    what: `${events + warmUpEvents} flashes and beeps`,
    timeoutMs: (events + warmUpEvents + 10) * eventEveryMs,
  }).catch(async (error: Error) => {
    const seen = (await page.evaluate('[window.flashes.length, window.beeps.length]')) as number[];
    throw new Error(`${error.message} (${what}: ${seen[0]} flashes, ${seen[1]} beeps)`);
  });
  const { flashes, beeps } = (await page.evaluate('({ flashes: window.flashes, beeps: window.beeps })')) as {
    flashes: number[];
    beeps: number[];
  };
  // Pair each beep with the flash nearest to it (they are 2 s apart, offsets far smaller).
  return beeps.slice(warmUpEvents).flatMap((beep) => {
    const flash = flashes.reduce((best, f) => (Math.abs(f - beep) < Math.abs(best - beep) ? f : best));
    return Math.abs(beep - flash) < eventEveryMs / 2 ? [beep - flash] : [];
  });
}

/**
 * A Chromium publisher's flash and beep from when the page made them to when the viewer's page showed and
 * played them (median ms, after the warm-up): which of the two an SFU delays, where the offset says only by
 * how much they differ. Both pages run in one browser, on one wall clock.
 */
async function latencies(publisher: Page, viewer: Page): Promise<Record<string, number>> {
  const made = (await publisher.evaluate('window.sourceEvents')) as number[];
  const seen = (await viewer.evaluate(
    '({ origin: performance.timeOrigin, flashes: window.flashes, beeps: window.beeps })',
  )) as { origin: number; flashes: number[]; beeps: number[] };
  const median = (times: number[]) => {
    const after = times.slice(warmUpEvents).flatMap((t) => {
      const at = seen.origin + t;
      const source = made.filter((m) => m <= at).at(-1);
      return source === undefined || at - source > eventEveryMs / 2 ? [] : [at - source];
    });
    after.sort((a, b) => a - b);
    return Math.round(after[Math.floor(after.length / 2)] ?? Number.NaN);
  };
  return { 'video latency': median(seen.flashes), 'audio latency': median(seen.beeps) };
}

/** A page of the plain livekit-client page, with the detectors and the in-page source installed. */
async function openPage(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage();
  await page.addInitScript({ content: 'window.__name = (f) => f;' });
  await page.goto(url);
  await page.evaluate(installDetectors);
  await page.evaluate(installFlashAndBeep);
  return page;
}

type Source = 'rtc-node' | 'chromium';
interface Measured {
  offsets: number[];
  /** Per stream: the receiver's mean jitter-buffer delay, its target and minimum (ms), for BENCH_DEBUG. */
  delays: Record<string, number>;
  error?: string;
}

async function measureBaseline(browser: Browser, pageUrl: string): Promise<Measured> {
  const page = await openPage(browser, pageUrl);
  try {
    await page.evaluate(loopback, { everyMs: eventEveryMs, beepHz, beepMs });
    const measured = await offsets(page, 'baseline');
    return { offsets: measured, delays: await page.evaluate(receiverDelays) };
  } finally {
    await page.close();
  }
}

async function measure(
  browser: Browser,
  pageUrl: string,
  engineName: EngineName,
  source: Source,
): Promise<Measured> {
  const engine = await startEngine({ engine: engineName, name: `lip-sync-${engineName}` });
  let rtcNode: { stop(): Promise<void> } | undefined;
  const pages: Page[] = [];
  try {
    const studio = await participantToken(roomName, 'studio');
    if (source === 'rtc-node') rtcNode = await publishSource(engine.url, studio);
    else {
      const publisher = await openPage(browser, pageUrl);
      pages.push(publisher);
      await publisher.evaluate(publishFromPage, {
        url: engine.url,
        token: studio,
        everyMs: eventEveryMs,
        beepHz,
        beepMs,
      });
    }
    const page = await openPage(browser, pageUrl);
    pages.push(page);
    const token = await participantToken(roomName, 'viewer', { canPublish: false });
    await page.evaluate(watchRoom, { url: engine.url, token });
    const measured = await offsets(page, `${source} → ${engineName}`);
    const delays = await page.evaluate(receiverDelays);
    if (source === 'chromium') Object.assign(delays, await latencies(pages[0]!, page));
    return { offsets: measured, delays };
  } finally {
    await rtcNode?.stop().catch(() => undefined);
    for (const page of pages) await page.close().catch(() => undefined);
    await engine.close();
  }
}

const engineLabel: Record<EngineName, string> = {
  embedded: 'embedded SFU',
  livekit: 'livekit-server',
};

export async function run(): Promise<void> {
  const results = new Map<string, Measured>();
  // One Chromium for every path (the machine runs one at a time); each path gets fresh pages.
  const browser = await launchChromium();
  const plain = await serveLivekitClientPage();
  // A path that fails (a busy machine can starve a page) is reported as such; the others still count.
  const attempt = async (path: string, measuring: () => Promise<Measured>) => {
    results.set(
      path,
      await measuring().catch((error: Error) => ({ offsets: [], delays: {}, error: error.message })),
    );
  };
  try {
    await attempt('baseline: peer to peer in the page, no SFU', () => measureBaseline(browser, plain.url));
    for (const engine of engineNames)
      for (const source of ['chromium', 'rtc-node'] as const)
        await attempt(`${source} → ${engineLabel[engine]} → Chromium`, () =>
          measure(browser, plain.url, engine, source),
        );
  } finally {
    await browser.close();
    await plain.close();
  }
  console.log(
    `${events} flash-and-beep instants, 2 s apart (${width}x${height} at ${fps} fps, Opus), played in Chromium; ` +
      'offset = beep played − flash displayed (positive: sound late)\n',
  );
  console.log(
    '| path | instants | p50 ms | p5 ms | p95 ms | largest |offset| ms |\n| --- | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const [path, { offsets, error }] of results) {
    if (error) {
      console.log(`| ${path} | failed: ${error} | | | | |`);
      continue;
    }
    const largest = Math.max(...offsets.map(Math.abs));
    const ms = (x: number) => x.toFixed(0);
    console.log(
      `| ${path} | ${offsets.length} | ${ms(percentile(offsets, 50))} | ${ms(percentile(offsets, 5))} | ` +
        `${ms(percentile(offsets, 95))} | ${ms(largest)} |`,
    );
  }
  if (process.env.BENCH_DEBUG) console.log(JSON.stringify(Object.fromEntries(results), null, 1));
}
