// The host's voice across scene switches: how long the studio's sound drops out when a viewer switches
// scenes, in the real viewer (every scene's sound stays subscribed; the host plays whatever the stage
// shows) side by side in the same run with the naive way (play the stage scene's own sound: subscribe
// the new scene's microphone, unsubscribe the old one). On both engines in turn. The studio's sound
// carries a pilot tone (camera-sim's scenePilotTones); a page samples its played output every 10 ms.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scenePilotTones } from '@scenecast/camera-sim';
import { attributes } from '@scenecast/contract';
import { demoCameras, startStack } from '@scenecast/demo';
import { type EngineName, engineNames } from '@scenecast/engine';
import { launchChromium, serveLivekitClientPage, waitFor } from '@scenecast/testkit';
import { percentile } from '../percentile.js';

type Page = Awaited<ReturnType<Awaited<ReturnType<typeof launchChromium>>['newPage']>>;
const studioTone = scenePilotTones.studio!;
const switches = Number(process.env.BENCH_SWITCHES ?? 50);
/** How long each scene stays on the stage before the next switch. */
const dwellMs = 1500;
const scenes = ['studio', 'factory', 'farm'];

declare const LivekitClient: typeof import('livekit-client');
/** The naive page's state, kept on its window between evaluations. */
type NaiveWindow = Window & {
  naive: { room: import('livekit-client').Room; context: AudioContext; analyser: AnalyserNode };
};

/**
 * Starts sampling an analyser every 10 ms in the page: is the studio's pilot tone 20 dB over the median
 * of 300–3000 Hz (the voice and ambience around it)? Plain JavaScript: the page has no bundler helpers.
 */
const sampler = (analyserExpression: string, hz: number) => `{
  const analyser = ${analyserExpression};
  const bins = new Float32Array(analyser.frequencyBinCount);
  const hzPerBin = analyser.context.sampleRate / analyser.fftSize;
  window.toneSamples = [];
  setInterval(() => {
    analyser.getFloatFrequencyData(bins);
    const band = Array.from(bins.slice(Math.round(300 / hzPerBin), Math.round(3000 / hzPerBin))).sort((a, b) => a - b);
    const floor = band[Math.floor(band.length / 2)];
    const bin = Math.round(${hz} / hzPerBin);
    const level = Math.max(bins[bin - 1], bins[bin], bins[bin + 1]);
    window.toneSamples.push([performance.now(), level > -80 && level > floor + 20]);
  }, 10);
}`;

/** The longest stretch without the tone in each switch's window (click to next click), in ms. */
async function gaps(page: Page, clicks: number[]): Promise<number[]> {
  const samples = (await page.evaluate('window.toneSamples')) as [number, boolean][];
  return clicks.map((start, i) => {
    const end = clicks[i + 1] ?? start + dwellMs;
    let longest = 0;
    let silentSince: number | undefined;
    for (const [t, present] of samples) {
      if (t < start || t > end) continue;
      if (!present) silentSince ??= t;
      else if (silentSince !== undefined) {
        longest = Math.max(longest, t - silentSince);
        silentSince = undefined;
      }
    }
    if (silentSince !== undefined) longest = Math.max(longest, end - silentSince);
    return longest;
  });
}

interface Measured {
  scenecast: number[];
  naive: number[];
}

async function measure(engineName: EngineName): Promise<Measured> {
  // The demo show with small pictures: what is measured here is the sound.
  const stack = await startStack({
    engine: engineName,
    stateDir: mkdtempSync(join(tmpdir(), 'bench-audio-')),
    cameras: demoCameras.map((camera) => ({ ...camera, width: 640, height: 360, fps: 5 })),
  });
  const browser = await launchChromium();
  const plain = await serveLivekitClientPage();
  try {
    // scenecast's viewer
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(stack.showUrl);
    await waitFor(async () => (await page.locator('.badge.live').count()) === 3, {
      timeoutMs: 60_000,
      what: 'live scenes',
    });
    // Headless Chromium may play sound without a gesture; where it asks for one, tap.
    await page.getByTestId('mute').or(page.getByTestId('tap-for-sound')).waitFor({ state: 'visible' });
    if (await page.getByTestId('tap-for-sound').isVisible()) await page.getByTestId('tap-for-sound').click();
    await page.getByTestId('mute').waitFor({ state: 'visible' });
    await page.evaluate(sampler('window.scenecast.audioOutput', studioTone));
    await waitFor(async () => ((await page.evaluate('window.toneSamples.at(-1)?.[1]')) as boolean) === true, {
      what: 'the host heard in the viewer',
      timeoutMs: 30_000,
    });
    const clicks: number[] = [];
    for (let i = 0; i < switches; i++) {
      clicks.push((await page.evaluate('performance.now()')) as number);
      await page.click(`[data-scene="${scenes[(i + 1) % scenes.length]}"]`);
      await new Promise((resolve) => setTimeout(resolve, dwellMs));
    }
    const scenecast = await gaps(page, clicks);

    // The naive way: the stage scene's own sound, subscribed on demand in a plain livekit-client page.
    const naive = await browser.newPage();
    await naive.addInitScript({ content: 'window.__name = (f) => f;' });
    await naive.goto(plain.url);
    const { token } = await stack.brand.viewerToken('demo');
    await naive.evaluate(
      async ({ url, token }) => {
        const room = new LivekitClient.Room({ adaptiveStream: false });
        await room.connect(url, token, { autoSubscribe: false });
        const context = new AudioContext();
        await context.resume();
        const analyser = context.createAnalyser();
        analyser.fftSize = 2048;
        (window as unknown as NaiveWindow).naive = { room, context, analyser };
      },
      { url: stack.engineUrl, token },
    );
    await naive.evaluate(sampler('window.naive.analyser', studioTone));
    const naiveClicks: number[] = [];
    const stage = (scene: string) =>
      naive.evaluate(
        async ({ scene, sceneAttribute }) => {
          const { room, context, analyser } = (window as unknown as NaiveWindow).naive;
          const mic = (s: string) =>
            [...room.remoteParticipants.values()]
              .find((p) => p.attributes[sceneAttribute] === s)
              ?.getTrackPublication(LivekitClient.Track.Source.Microphone);
          for (const s of ['studio', 'factory', 'farm']) if (s !== scene) mic(s)?.setSubscribed(false);
          const publication = mic(scene);
          if (!publication) throw new Error(`no microphone for ${scene}`);
          publication.setSubscribed(true);
          while (!publication.track) await new Promise((r) => setTimeout(r, 5));
          // Chromium feeds WebRTC audio into Web Audio only while an element plays it too.
          const element = new Audio();
          element.muted = true;
          const stream = new MediaStream([publication.track.mediaStreamTrack]);
          element.srcObject = stream;
          void element.play();
          context.createMediaStreamSource(stream).connect(analyser);
        },
        { scene, sceneAttribute: attributes.scene },
      );
    await stage('studio');
    await waitFor(
      async () => ((await naive.evaluate('window.toneSamples.at(-1)?.[1]')) as boolean) === true,
      {
        what: 'the host heard in the naive page',
        timeoutMs: 30_000,
      },
    );
    for (let i = 0; i < switches; i++) {
      naiveClicks.push((await naive.evaluate('performance.now()')) as number);
      await stage(scenes[(i + 1) % scenes.length]!);
      await new Promise((resolve) => setTimeout(resolve, dwellMs));
    }
    return { scenecast, naive: await gaps(naive, naiveClicks) };
  } finally {
    await browser.close();
    await plain.close();
    await stack.close();
  }
}

export async function run(): Promise<void> {
  const results = new Map<EngineName, Measured>();
  for (const engine of engineNames) results.set(engine, await measure(engine));
  console.log(
    `${switches} switches (studio → factory → farm → …, ${dwellMs} ms on each), the studio's pilot tone sampled ` +
      'every 10 ms on the played output; per switch, the longest stretch without it until the next switch\n',
  );
  console.log(
    '| host voice gap per switch | embedded p95 ms | embedded max ms | livekit-server p95 ms | livekit-server max ms |\n| --- | ---: | ---: | ---: | ---: |',
  );
  const cell = (xs: number[]) => `${percentile(xs, 95).toFixed(0)} | ${Math.max(...xs).toFixed(0)}`;
  const [embedded, livekit] = engineNames.map((e) => results.get(e)!) as [Measured, Measured];
  console.log(
    `| scenecast (every scene's sound kept; the host always plays) | ${cell(embedded.scenecast)} | ${cell(livekit.scenecast)} |`,
  );
  console.log(
    `| naive (the stage scene's own sound, subscribed on switch) | ${cell(embedded.naive)} | ${cell(livekit.naive)} |`,
  );
  const interrupted = (xs: number[]) => xs.filter((gap) => gap > 100).length;
  console.log(
    `\nscenecast switches with a gap over 100 ms: embedded ${interrupted(embedded.scenecast)}/${switches}, ` +
      `livekit-server ${interrupted(livekit.scenecast)}/${switches}`,
  );
  if (process.env.BENCH_DEBUG) console.log(JSON.stringify(Object.fromEntries(results)));
}
