// The show's sound in real Chromium against the demo show (the engine, token service, cameras with their
// sound: the studio's espeak-ng voice needs `apt-get install -y espeak-ng`). A gesture unlocks sound, as
// in a desktop browser, and the test listens to the viewer's played output (the analyser just before the
// speakers) for each scene's pilot tone.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scenePilotTones } from '@scenecast/camera-sim';
import { attributes } from '@scenecast/contract';
import { demoCameras, type Stack, startStack } from '@scenecast/demo';
import { launchChromium, waitFor } from '@scenecast/testkit';
import { RoomServiceClient, TrackType } from 'livekit-server-sdk';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Headless Chromium lets every AudioContext run without a gesture, whatever --autoplay-policy says
// (probed: 'running' under document-user-activation-required too), and Playwright's own evaluations
// count as user activation. So each page gets the policy desktop Chromium enforces: an AudioContext
// stays suspended until a real (trusted) pointer or key event — the taps below, real input through CDP.
// Plain JavaScript, not a function: the test's transpiler would add helpers the page does not have.
const autoplayPolicy = `{
  let gesture = false;
  for (const type of ['pointerdown', 'keydown'])
    window.addEventListener(type, (e) => { if (e.isTrusted) gesture = true; }, true);
  const Native = window.AudioContext;
  window.AudioContext = class extends Native {
    constructor(options) {
      super(options);
      if (!gesture) void super.suspend();
    }
    resume() {
      return gesture ? super.resume() : Promise.resolve();
    }
  };
}`;

const artifacts = join(import.meta.dirname, '..', 'test-results');
mkdirSync(artifacts, { recursive: true });

let stack: Stack;
let viewerUrl: string;
let browser: Browser;

beforeAll(async () => {
  // The demo show, every camera small and at 5 fps: what is judged here is the sound.
  stack = await startStack({
    stateDir: mkdtempSync(join(tmpdir(), 'e2e-audio-')),
    cameras: demoCameras.map((camera) => ({ ...camera, width: 640, height: 360, fps: 5 })),
  });
  viewerUrl = stack.showUrl;
  // The feed's grant lets every scene publish its sound: the engine holds a camera and a microphone track
  // for each.
  const engine = new RoomServiceClient(stack.engineUrl.replace(/^ws/, 'http'), 'devkey', 'secret');
  await waitFor(
    async () => {
      const cameras = (await engine.listParticipants('demo')).filter((p) => p.attributes[attributes.scene]);
      return (
        cameras.length === 3 &&
        cameras.every((p) => p.tracks.some((t) => t.type === TrackType.AUDIO && !t.muted))
      );
    },
    { what: 'every scene publishing its sound' },
  );
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function openShow(): Promise<Page & { consoleErrors: string[] }> {
  const page = (await browser.newPage({ viewport: { width: 1280, height: 800 } })) as Page & {
    consoleErrors: string[];
  };
  page.consoleErrors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') page.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => page.consoleErrors.push(e.message));
  await page.addInitScript({ content: autoplayPolicy });
  await page.goto(viewerUrl);
  await waitFor(async () => (await page.locator('.badge.live').count()) === 3, {
    what: 'three live scenes',
    timeoutMs: 60_000,
  });
  return page;
}

type Heard = Record<string, boolean> & { peakDb: number };
/** The viewer exposes its played output here (apps/viewer/src/App.tsx). */
type ViewerWindow = Window & { scenecast: { audioOutput: AnalyserNode } };

/**
 * Which pilot tones the played output carries now: a tone is heard when its bin of the analyser's FFT
 * stands 20 dB over the median of 300–3000 Hz (the voice and ambience around it).
 */
function listen(page: Page): Promise<Heard> {
  return page.evaluate((tones) => {
    const analyser = (window as unknown as ViewerWindow).scenecast.audioOutput;
    const bins = new Float32Array(analyser.frequencyBinCount);
    analyser.getFloatFrequencyData(bins);
    const hzPerBin = analyser.context.sampleRate / analyser.fftSize;
    const band = [...bins.slice(Math.round(300 / hzPerBin), Math.round(3000 / hzPerBin))].sort(
      (a, b) => a - b,
    );
    const floor = band[Math.floor(band.length / 2)]!;
    const heard: Record<string, number | boolean> = { peakDb: Math.max(...bins) };
    for (const [scene, hz] of Object.entries(tones)) {
      const bin = Math.round(hz / hzPerBin);
      const level = Math.max(bins[bin - 1]!, bins[bin]!, bins[bin + 1]!);
      heard[scene] = level > -80 && level > floor + 20;
    }
    return heard as Heard;
  }, scenePilotTones);
}

const only = (heard: Heard, scenes: string[]) =>
  Object.keys(scenePilotTones).every((scene) => heard[scene] === scenes.includes(scene));

describe('the show sound in the viewer', () => {
  it('a viewer that never taps sees "Tap for sound", and no error', async () => {
    const page = await openShow();
    await page.getByTestId('tap-for-sound').waitFor({ state: 'visible' });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await page.getByTestId('tap-for-sound').isVisible()).toBe(true);
    await page.screenshot({ path: join(artifacts, 'audio-tap-for-sound.png') });
    expect(await page.getByTestId('mute').count()).toBe(0);
    // Nothing reaches the speakers before the tap.
    expect(
      await page.evaluate(() => (window as unknown as ViewerWindow).scenecast.audioOutput.context.state),
    ).toBe('suspended');
    expect(page.consoleErrors).toEqual([]);
    await page.close();
  });

  it('tap for sound: the host (speaking dot on), then the farm under the host without a gap; mute silences both', async () => {
    const page = await openShow();
    await page.getByTestId('tap-for-sound').click();
    await page.getByTestId('mute').waitFor({ state: 'visible' });

    // The studio is on the stage: its voice, nobody else's ambience.
    await waitFor(async () => only(await listen(page), ['studio']), {
      what: 'the studio tone alone',
      timeoutMs: 20_000,
    });
    // The engine's active-speaker updates light the host's dot while the studio's voice plays.
    await waitFor(
      async () => (await page.getByTestId('host-speaking').getAttribute('aria-label')) === 'Host speaking',
      {
        what: 'the host-speaking dot on',
        timeoutMs: 15_000,
      },
    );

    // Switch to the farm: the studio tone never drops, the farm's fades in.
    await page.click('[data-scene="farm"]');
    const switchedAt = Date.now();
    let farmAfterMs: number | undefined;
    while (Date.now() - switchedAt < 3000) {
      const heard = await listen(page);
      expect(heard.studio, `studio tone ${Date.now() - switchedAt} ms after the switch`).toBe(true);
      expect(heard.factory).toBe(false);
      if (heard.farm && farmAfterMs === undefined) farmAfterMs = Date.now() - switchedAt;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(farmAfterMs, 'the farm tone within 3 s of the switch').toBeDefined();
    expect(only(await listen(page), ['studio', 'farm'])).toBe(true);
    await page.screenshot({ path: join(artifacts, 'audio-controls.png') });

    // Mute: silence on the output.
    await page.getByTestId('mute').click();
    await waitFor(async () => (await listen(page)).peakDb < -120, { what: 'silence after mute' });
    expect(await page.getByTestId('mute').getAttribute('aria-pressed')).toBe('true');
    const muted = await listen(page);
    expect(muted.studio || muted.farm).toBe(false);

    // M unmutes from the keyboard; the volume slider moves with the arrow keys.
    await page.locator('body').press('m');
    await waitFor(async () => only(await listen(page), ['studio', 'farm']), { what: 'sound back after M' });
    await page.getByTestId('volume').focus();
    await page.keyboard.press('ArrowLeft');
    expect(await page.getByTestId('volume').inputValue()).toBe('95');

    // Back to the studio: the farm's ambience fades out, the host stays.
    await page.click('[data-scene="studio"]');
    await waitFor(async () => only(await listen(page), ['studio']), { what: 'the farm fading out' });
    expect(page.consoleErrors).toEqual([]);
    await page.close();
  });
});
