// Acceptance for the brand console and the phone's publish page: real Debian Chromium (fake camera) against
// the real token service and engine that `npm start` runs, through the console's own pages and requests.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AudioStream, type RemoteAudioTrack, Room, RoomEvent, TrackKind } from '@livekit/rtc-node';
import { sceneColors, writeY4m } from '@scenecast/camera-sim';
import { attributes, csrfHeader } from '@scenecast/contract';
import { type Stack, startStack } from '@scenecast/demo';
import { launchChromium, participantToken, waitFor } from '@scenecast/testkit';
import axe from 'axe-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { near, stagePicture } from './stage.js';

const artifacts = join(import.meta.dirname, '..', 'test-results');
mkdirSync(artifacts, { recursive: true });

let stack: Stack;
let browser: Browser;
/** Brand A's console (the demo brand), and the show it creates. */
let console_: Page;
let showId: string;

beforeAll(async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'console-e2e-'));
  // No synthetic cameras: the only camera here is the phone page's. Its camera is a 4K camera: the farm's
  // picture from camera-sim as a clip Chromium loops (four frames, 50 MB), so what the viewer shows is
  // told apart from Chromium's own test pattern by the farm's band.
  const [, clip] = await Promise.all([
    startStack({ stateDir, cameras: [] }).then((s) => (stack = s)),
    writeY4m({
      scene: 'farm',
      width: 3840,
      height: 2160,
      frames: 4,
      fps: 5,
      path: join(stateDir, 'farm.y4m'),
    }),
  ]);
  browser = await launchChromium([`--use-file-for-fake-video-capture=${clip}`]);
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/**
 * axe-core's serious and critical findings on the page as it is now (WCAG 2 A/AA and best practice). Run
 * through the DevTools protocol, as the console's CSP would refuse an injected script tag.
 */
async function accessibilityProblems(page: Page): Promise<string[]> {
  await page.evaluate(axe.source);
  const violations = await page.evaluate(async () => {
    const { axe } = window as unknown as {
      axe: {
        run(): Promise<{
          violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[];
        }>;
      };
    };
    return (await axe.run()).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** A new browser profile (its own cookies), signed in to the console with a brand key. */
async function signedIn(key: string, name: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(stack.consoleUrl);
  await page.fill('#brand-key', key);
  await page.click('button[type=submit]');
  await page.waitForSelector(`[data-testid=brand-name]:text("${name}")`);
  return { context, page };
}

/** A phone-sized page (no cookies of the console) opening a publish link. */
async function phone(url: string): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  const page = await context.newPage();
  const log: string[] = [];
  page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  phoneLogs.set(page, log);
  await page.goto(url);
  return page;
}
/** Each phone page's console, for a failure's message. */
const phoneLogs = new WeakMap<Page, string[]>();

const feedRow = (page: Page, scene: string) => page.locator(`[data-testid=feed][data-scene="${scene}"]`);

/** A request the way the console's page makes it: same origin, the session cookie, the CSRF token it holds. */
async function consoleRequest(page: Page, method: string, path: string, body?: unknown, withCsrf = true) {
  return page.evaluate(
    async ({ method, path, body, withCsrf, csrfHeader }) => {
      const session = await (await fetch('/v1/session')).json();
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (withCsrf) headers[csrfHeader] = session.csrfToken;
      const r = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: r.status, body: await r.text() };
    },
    { method, path, body, withCsrf, csrfHeader },
  );
}

describe('brand console', () => {
  it('signs in, creates a show with three scenes and a trace record (validated next to the field)', async () => {
    ({ page: console_ } = await signedIn(stack.seeded.brandKey, 'Jinhua Heritage Foods'));
    // A wrong key first: a clear message, still signed out.
    const other = await browser.newContext();
    const wrong = await other.newPage();
    await wrong.goto(stack.consoleUrl);
    await wrong.fill('#brand-key', 'sck_br_nope.not-a-real-key-at-all');
    await wrong.click('button[type=submit]');
    await wrong.waitForSelector('.field-error:text("that brand key is not valid")');
    expect(await accessibilityProblems(wrong), 'the sign-in page, with its error').toEqual([]);
    await other.close();

    // The demo show is listed; a new one with the three scenes.
    await console_.waitForSelector('[data-testid=show][data-show=demo]');
    await console_.click('button:text("Create show")');
    await console_.waitForSelector('#new-title-error');
    await console_.fill('#new-title', 'Acorn-fed ham, live from the farm');
    await console_.fill('#new-product', 'Iberico ham, batch IB-77');
    await console_.click('button:text("Create show")');
    await console_.waitForURL(/\/shows\/show-/);
    showId = decodeURIComponent(new URL(console_.url()).pathname.split('/')[2]!);
    await waitFor(async () => (await console_.locator('[data-testid=feed]').count()) === 3, {
      what: 'a feed per scene',
    });
    for (const scene of ['studio', 'factory', 'farm'])
      expect(await feedRow(console_, scene).getAttribute('data-live')).toBe('false');

    // A trace record: a bad evidence link is refused beside its field, with the contract's message.
    await console_.fill('#new-trace-stage', 'farm');
    await console_.fill('#new-trace-batch', 'PIG-IB-77');
    await console_.fill('#new-trace-evidenceName', 'Acorn certificate');
    await console_.fill('#new-trace-evidenceUrl', 'javascript:alert(1)');
    await console_.click('button:text("Add record")');
    const urlError = console_.locator('#new-trace-evidenceUrl-error');
    await urlError.waitFor();
    expect(await urlError.textContent()).toMatch(/URL/i);
    // The viewer's own trace panel previews the record as typed, before it is saved; the refused link is
    // plain text there, as the viewer would show it.
    const preview = console_.locator('[data-testid=trace-preview] .trace');
    await waitFor(async () => ((await preview.textContent()) ?? '').includes('PIG-IB-77'), {
      what: 'the unsaved record in the trace preview',
    });
    expect(await preview.locator('.trace-step.stage-farm').count()).toBe(1);
    expect(await preview.locator('a').count()).toBe(0);
    expect((await stack.brand.listShows()).shows.find((s) => s.id === showId)!.trace).toEqual([]);
    await console_.fill('#new-trace-evidenceUrl', 'https://example.org/acorn/77');
    await console_.selectOption('#new-trace-scene', 'farm');
    await console_.click('button:text("Add record")');
    await waitFor(async () => (await console_.locator('[data-testid=trace-record]').count()) === 2, {
      what: 'the saved record and a new form',
    });
    await waitFor(
      async () => (await preview.locator('a[href="https://example.org/acorn/77"]').count()) === 1,
      {
        what: "the saved record's evidence link in the preview",
      },
    );
    await console_.screenshot({ path: join(artifacts, 'console-trace.png'), fullPage: true });
    expect(await accessibilityProblems(console_), 'the show editor').toEqual([]);
    const show = (await stack.brand.listShows()).shows.find((s) => s.id === showId)!;
    expect(show.scenes.map((s) => s.id)).toEqual(['studio', 'factory', 'farm']);
    expect(show.trace).toMatchObject([
      {
        stage: 'farm',
        batch: 'PIG-IB-77',
        sceneId: 'farm',
        evidence: { url: 'https://example.org/acorn/77' },
      },
    ]);
  });

  it('publishes a feed from a phone by its publish link; the console shows it live with its resolution', async () => {
    const farm = feedRow(console_, 'farm');
    await farm.locator('button:text("Publish from a device")').click();
    const link = farm.locator('[data-testid=publish-link]');
    await link.waitFor();
    const url = (await link.getAttribute('href'))!;
    expect(url).toMatch(new RegExp(`^${stack.consoleUrl}/publish#`));
    // The QR code beside it encodes the same link (rendered as an image).
    expect(await farm.locator('img.qr').count()).toBe(1);

    const phonePage = await phone(url);
    const start = phonePage.locator('[data-testid=start-publishing]');
    await waitFor(() => start.isEnabled(), { what: 'the camera preview ready' });
    expect(await accessibilityProblems(phonePage), 'the publish page').toEqual([]);
    await start.click();
    await waitFor(async () => (await phonePage.textContent('[data-testid=publish-state]')) === 'Live', {
      what: 'the phone live',
      // Encoding a 4K capture in software is slow to start on a loaded 2-core machine.
      timeoutMs: 60_000,
    }).catch(async (error: Error) => {
      throw new Error(
        `${error.message}; the phone's console: ${phoneLogs.get(phonePage)?.slice(-10).join(' | ')}; ` +
          `its page: ${await phonePage.textContent('main').catch(() => '?')}`,
      );
    });

    await waitFor(async () => (await farm.getAttribute('data-live')) === 'true', {
      what: 'the farm feed live in the console',
      timeoutMs: 30_000,
    });
    const quality = (await farm.locator('[data-testid=feed-quality]').textContent()) ?? '';
    const [, width, height] = /(\d+)×(\d+)/.exec(quality) ?? [];
    const capture = await phonePage.evaluate(() => {
      const v = document.querySelector('video')!;
      return { width: v.videoWidth, height: v.videoHeight };
    });
    // The phone's 4K camera is captured, published and reported at its size.
    expect(capture).toEqual({ width: 3840, height: 2160 });
    expect({ width: Number(width), height: Number(height) }).toEqual(capture);
    // What the phone says it sends is real sender stats.
    await waitFor(
      async () =>
        /Sending \d+×\d+ at \d+ fps/.test((await phonePage.textContent('[data-testid=sent]')) ?? ''),
      {
        what: 'the sent resolution on the phone',
      },
    );
    expect(await feedRow(console_, 'studio').getAttribute('data-live')).toBe('false');
    // The console's own hidden subscriber receives the feed: real frames per second, not a claim.
    const received = await waitFor(
      async () => {
        const text = (await farm.locator('[data-testid=feed-received]').textContent()) ?? '';
        const match = /received (\d+)×(\d+) .* (\d+) fps · (\d+) kbps/.exec(text);
        return match && Number(match[3]) > 0 && Number(match[4]) > 0 ? match.slice(1).map(Number) : undefined;
      },
      { what: "the console's receive stats of the farm feed", timeoutMs: 30_000 },
    );
    expect(received[0]).toBeGreaterThan(0);
    expect(received[0]).toBeLessThanOrEqual(capture.width);

    await console_.screenshot({ path: join(artifacts, 'console.png'), fullPage: true });
    await phonePage.screenshot({ path: join(artifacts, 'publish.png') });

    // A viewer of the show sees the farm and zooms to the phone's full 3840-wide picture: the farm's band,
    // so the picture is the phone's clip, not Chromium's pattern.
    const viewer = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await viewer.goto(`${stack.viewerUrl}/show/${encodeURIComponent(showId)}`);
    await viewer.click('[data-scene="farm"]');
    await waitFor(async () => near((await stagePicture(viewer)).band, sceneColors.farm!), {
      what: "the phone's farm picture on the viewer's stage",
      timeoutMs: 30_000,
    });
    for (let i = 0; i < 5; i++) await viewer.click('[data-testid="zoom-in"]');
    const zoomedTo4k = () =>
      waitFor(
        async () => {
          const picture = await stagePicture(viewer);
          return picture.width === 3840 && picture.height === 2160 && near(picture.band, sceneColors.farm!);
        },
        { what: "the phone's 3840x2160 farm picture on the zoomed stage", timeoutMs: 60_000 },
      );
    const failure = async (error: Error) =>
      new Error(
        `${error.message}; the stage shows ${JSON.stringify(await stagePicture(viewer))}; ` +
          `the phone says: ${await phonePage.textContent('[data-testid=sent]')}`,
      );
    // Known weakness (about 1 run in 9 on the embedded SFU since the transport-cc fixes of 2026-11-29): the
    // phone's bandwidth estimate can stay below what its 4K layer needs (~3.5 Mbit/s) for a minute. A second
    // try — the phone stops and starts again, as its user would — is allowed once, and says so in the log.
    await zoomedTo4k().catch(async (error: Error) => {
      const first = await failure(error);
      console.warn(`4K not on the zoomed stage at the first try; publishing again. ${first.message}`);
      await phonePage.click('button:text("Stop")');
      await waitFor(async () => (await farm.getAttribute('data-live')) === 'false', {
        what: 'the farm feed offline after stop',
        timeoutMs: 30_000,
      });
      await start.click();
      await zoomedTo4k().catch(async (again: Error) => {
        throw new Error(`${(await failure(again)).message} (second try; first: ${first.message})`);
      });
    });
    await viewer.screenshot({ path: join(artifacts, 'console-viewer-zoomed.png') });
    await viewer.close();

    // Stop: the feed goes offline in the console.
    await phonePage.click('button:text("Stop")');
    await waitFor(async () => (await farm.getAttribute('data-live')) === 'false', {
      what: 'the farm feed offline after stop',
      timeoutMs: 30_000,
    });

    // Live again, then its key rotated from the console: the engine disconnects the phone (RoomService
    // RemoveParticipant), which says so, and its link stops working.
    await start.click();
    await waitFor(async () => (await farm.getAttribute('data-live')) === 'true', {
      what: 'the farm feed live again',
      timeoutMs: 60_000,
    });
    await farm.locator('button:text("Rotate key and disconnect")').click();
    await phonePage.waitForSelector('[data-testid=publish-error] h1:text("Publishing was revoked")', {
      timeout: 30_000,
    });
    expect(await phonePage.textContent('[data-testid=publish-error] p')).toMatch(/rotated its key/);
    await phonePage.screenshot({ path: join(artifacts, 'publish-rotated.png') });
    await waitFor(async () => (await farm.getAttribute('data-live')) === 'false', {
      what: 'the farm feed offline after revoking',
      timeoutMs: 30_000,
    });
    const reopened = await phone(url);
    await reopened.waitForSelector('[data-testid=publish-error] h1:text("This publish link is not valid")');
    await reopened.context().close();
    await phonePage.context().close();
  });

  it('gives an OBS / encoder feed its WHIP settings: the server URL and a stream key, shown once', async () => {
    await console_
      .locator('[data-testid=scene][data-scene=factory] button:text("Add an OBS / encoder feed")')
      .click();
    const encoder = console_.locator('[data-testid=feed][data-scene=factory]', {
      has: console_.locator('[data-testid=whip-settings]'),
    });
    await encoder.locator('button:text("OBS / encoder settings")').click();
    const url = await encoder.locator('[data-testid=whip-url]').inputValue();
    const key = await encoder.locator('[data-testid=whip-key]').inputValue();
    expect(url).toBe(`${stack.tokenService.url}/v1/whip`);
    expect(key).toMatch(/^[\w-]{40,}$/);
    await expect(encoder.locator('.whip-recommended').textContent()).resolves.toMatch(/Keyframe interval1 s/);
    await console_.screenshot({ path: join(artifacts, 'console-whip.png'), fullPage: true });
    // The key shown is the one the service takes (a malformed offer reaches the engine: 400, not 401) …
    const post = (bearer: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/sdp', authorization: `Bearer ${bearer}` },
        body: 'v=0\r\nnot an offer',
      }).then((r) => r.status);
    expect(await post(key)).toBe(400);
    // … until a new one replaces it.
    await encoder.locator('button:text("New stream key")').click();
    await waitFor(async () => (await encoder.locator('[data-testid=whip-key]').inputValue()) !== key, {
      what: 'a new stream key',
    });
    expect(await post(key)).toBe(401);
  });

  it("sends the studio phone's microphone: a subscriber hears it, the mute button silences it", async () => {
    const studio = feedRow(console_, 'studio');
    await studio.locator('button:text("Publish from a device")').click();
    const link = studio.locator('[data-testid=publish-link]');
    await link.waitFor();
    const phonePage = await phone((await link.getAttribute('href'))!);
    const start = phonePage.locator('[data-testid=start-publishing]');
    await waitFor(() => start.isEnabled(), { what: 'the camera and microphone ready' });
    // The level meter moves with Chromium's fake microphone (a beep each second).
    const meter = phonePage.locator('[data-testid=mic-level]');
    await waitFor(async () => (await meter.evaluate((m: HTMLMeterElement) => m.value)) > 5, {
      what: "the phone's microphone level above 5 %",
    });
    expect(await accessibilityProblems(phonePage), "the studio's publish page, its microphone").toEqual([]);

    // A subscriber in the show's room, listening to the studio's sound as 48 kHz mono, 10 ms per frame.
    const ear = new Room();
    /** The RMS of each frame received, from 0 to 1. */
    const heard: number[] = [];
    ear.on(RoomEvent.TrackSubscribed, async (track, _publication, participant) => {
      if (track.kind !== TrackKind.KIND_AUDIO || participant.attributes[attributes.scene] !== 'studio')
        return;
      for await (const frame of new AudioStream(track as RemoteAudioTrack, 48_000, 1)) {
        let sum = 0;
        for (const sample of frame.data) sum += (sample / 32768) ** 2;
        heard.push(Math.sqrt(sum / frame.data.length));
      }
    });
    await ear.connect(stack.engineUrl, await participantToken(showId, 'ear', { canPublish: false }));
    try {
      await start.click();
      await waitFor(async () => (await studio.getAttribute('data-live')) === 'true', {
        what: 'the studio feed live in the console',
        timeoutMs: 60_000,
      });
      // Three seconds of sound: the beeps come through echo cancellation and noise suppression.
      await waitFor(() => heard.length >= 300, { what: '3 s of the studio phone sound', timeoutMs: 30_000 });
      const loud = (frames: number[]) => frames.filter((rms) => rms > 0.01).length;
      expect(loud(heard.slice(-300)), 'frames with the beep in the last 3 s').toBeGreaterThan(5);

      // Muted: what still arrives is silence (or nothing at all, with DTX).
      await phonePage.click('[data-testid=mute-microphone]');
      expect(await phonePage.getAttribute('[data-testid=mute-microphone]', 'aria-pressed')).toBe('true');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const mutedFrom = heard.length;
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(loud(heard.slice(mutedFrom)), 'frames with sound while muted').toBe(0);
      // Unmuted: the beep again.
      await phonePage.click('[data-testid=mute-microphone]');
      const unmutedFrom = heard.length;
      await waitFor(() => loud(heard.slice(unmutedFrom)) > 5, {
        what: 'the beep again after unmuting',
        timeoutMs: 15_000,
      });
      await phonePage.screenshot({ path: join(artifacts, 'publish-studio.png') });
    } finally {
      await ear.disconnect();
    }
    await phonePage.click('button:text("Stop")');
    await waitFor(async () => (await studio.getAttribute('data-live')) === 'false', {
      what: 'the studio feed offline after stop',
      timeoutMs: 30_000,
    });
    await phonePage.context().close();
  });

  it("keeps a second brand out of it all, through the console's own requests", async () => {
    const other = await stack.tokenService.store.createBrand('Other Brand');
    const { context, page } = await signedIn(other.apiKey, 'Other Brand');
    await page.waitForSelector('text=No shows yet');
    // Opening the show's console page: not found, nothing of it shown.
    await page.goto(`${stack.consoleUrl}/shows/${encodeURIComponent(showId)}`);
    await page.waitForSelector('h1:text("Show not found")');
    expect(await page.locator('[data-testid=feed]').count()).toBe(0);

    const show = (await stack.brand.listShows()).shows.find((s) => s.id === showId)!;
    const before = JSON.stringify(show);
    const feedId = show.scenes[0]!.feeds[0]!.id;
    const traceId = show.trace[0]!.id;
    const attempts: Array<[string, string, unknown?]> = [
      ['PATCH', `/v1/shows/${showId}`, { title: 'Taken over' }],
      ['DELETE', `/v1/shows/${showId}`],
      ['POST', `/v1/shows/${showId}/scenes`, { kind: 'custom', label: 'Intruder' }],
      ['PATCH', `/v1/shows/${showId}/scenes/farm`, { label: 'Ours' }],
      ['DELETE', `/v1/shows/${showId}/scenes/farm`],
      ['PUT', `/v1/shows/${showId}/trace/${traceId}`, { stage: 'forged' }],
      ['DELETE', `/v1/shows/${showId}/trace/${traceId}`],
      ['POST', `/v1/feeds/${feedId}/publish-link`, {}],
      ['POST', `/v1/feeds/${feedId}/token`, {}],
      ['DELETE', `/v1/feeds/${feedId}`],
    ];
    for (const [method, path, body] of attempts) {
      const answer = await consoleRequest(page, method, path, body);
      expect(answer.status, `${method} ${path}: ${answer.body}`).toBe(404);
    }
    const listed = await consoleRequest(page, 'GET', '/v1/shows');
    expect(JSON.parse(listed.body).shows).toEqual([]);
    // Brand A's own session without the CSRF token cannot write either.
    const forged = await consoleRequest(console_, 'PATCH', `/v1/shows/${showId}`, { title: 'x' }, false);
    expect(forged.status).toBe(403);
    expect(JSON.stringify((await stack.brand.listShows()).shows.find((s) => s.id === showId))).toBe(before);
    await context.close();
  });

  it('shows a clear page for an expired or invalid publish link', async () => {
    const show = (await stack.brand.listShows()).shows.find((s) => s.id === showId)!;
    const link = await stack.brand.publishLink(show.scenes[1]!.feeds[0]!.id, { expiresInSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const expired = await phone(link.url);
    await expired.waitForSelector('[data-testid=publish-error] h1:text("This publish link has expired")');
    expect(await expired.locator('[data-testid=start-publishing]').count()).toBe(0);
    await expired.screenshot({ path: join(artifacts, 'publish-expired.png') });
    expect(await accessibilityProblems(expired), 'the expired-link page').toEqual([]);
    await expired.goto(`${stack.consoleUrl}/publish#not-a-real-code`);
    await expired.reload();
    await expired.waitForSelector('[data-testid=publish-error] h1:text("This publish link is not valid")');
    await expired.context().close();
  });
});
