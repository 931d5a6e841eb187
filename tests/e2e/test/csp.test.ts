// The viewer and the console under their Content-Security-Policy (#20), in real Chromium, served as
// `npm start` serves them (vite preview with each app's vite.config.ts): the viewer works — scenes live, the
// stage playing, chat through the moderator — and the console — sign-in, a show's live feeds with the
// monitor's thumbnails, QR codes — without one violation, while script injected into either page is blocked.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoCameras, type Stack, startStack } from '@scenecast/demo';
import { launchChromium, waitFor } from '@scenecast/testkit';
import { securityHeaders } from '@scenecast/viewer/csp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

declare global {
  interface Window {
    violations: Array<{ directive: string; blocked: string; where: string }>;
    injected?: string;
  }
}

let stack: Stack;
let viewerUrl: string;
let browser: Browser;

beforeAll(async () => {
  // The demo show as `npm start` runs it (the moderator too), the cameras small: what is judged is the page.
  stack = await startStack({
    stateDir: mkdtempSync(join(tmpdir(), 'e2e-csp-')),
    cameras: demoCameras.map((camera) => ({ ...camera, width: 640, height: 360, fps: 10 })),
  });
  viewerUrl = stack.showUrl;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** A page that records every CSP violation (the listener is installed before any of the page's script). */
async function newPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.addInitScript(() => {
    window.violations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.violations.push({
        directive: e.effectiveDirective,
        blocked: e.blockedURI,
        where: `${e.sourceFile}:${e.lineNumber}:${e.columnNumber} ${e.sample}`,
      }),
    );
  });
  return page;
}

/** Serves a page's HTML with `inject` added to it, as a stored XSS would; `keepPolicy: false` drops the header. */
async function injectIntoPage(
  page: Page,
  inject: string,
  { keepPolicy = true, url = viewerUrl } = {},
): Promise<void> {
  await page.route(url, async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    if (!keepPolicy) delete headers['content-security-policy'];
    const html = (await response.text()).replace('<div id="root"></div>', `<div id="root"></div>${inject}`);
    await route.fulfill({ response, headers, body: html });
  });
}

const injection =
  `<script>window.injected = 'inline script ran'</script>` +
  `<img src="/nope.png" onerror="window.injected = 'event handler ran'">`;

describe('the viewer under its Content-Security-Policy', () => {
  it('is served with the policy from apps/viewer/csp.mjs, naming the page itself and the LiveKit URL only', async () => {
    const response = await fetch(viewerUrl);
    const expected = securityHeaders({ livekitUrl: stack.publicEngineUrl });
    for (const [name, value] of Object.entries(expected))
      expect(response.headers.get(name), name).toBe(value);
    const policy = expected['Content-Security-Policy']!;
    expect(policy).toContain("script-src 'self';");
    expect(policy).toContain("frame-ancestors 'none'");
    const engineHttp = stack.publicEngineUrl.replace(/^ws/, 'http');
    expect(policy).toContain(`connect-src 'self' ${stack.publicEngineUrl} ${engineHttp};`);
  });

  it('works under it: live scenes, the stage playing, chat through the moderator — and not one violation', async () => {
    const a = await newPage();
    const b = await newPage();
    for (const page of [a, b]) {
      await page.goto(viewerUrl);
      await waitFor(async () => (await page.locator('.badge.live').count()) === 3, {
        what: 'three live scenes',
        timeoutMs: 60_000,
      });
    }
    // The stage is playing: its video has a picture and its time moves on.
    const playing = () =>
      a.evaluate(() => {
        const video = document.querySelector<HTMLVideoElement>('[data-testid="stage-video"]');
        return video ? { width: video.videoWidth, time: video.currentTime } : undefined;
      });
    const first = await waitFor(async () => ((await playing())?.width ?? 0) > 0 && (await playing()), {
      what: 'a picture on the stage',
    });
    await waitFor(async () => (await playing())!.time > first.time + 0.5, { what: 'the stage playing on' });
    await waitFor(() => a.locator('[data-testid="chat-input"]:enabled').count(), { what: 'the chat open' });
    await a.fill('[data-testid="chat-input"]', 'Is the ham smoked?');
    await a.click('[data-testid="chat-send"]');
    await b.locator('.message', { hasText: 'Is the ham smoked?' }).waitFor({ timeout: 15_000 });
    await a.locator('.message.mine', { hasText: 'Is the ham smoked?' }).waitFor({ timeout: 15_000 });
    for (const page of [a, b])
      expect(JSON.stringify(await page.evaluate(() => window.violations))).toBe('[]');
    await a.close();
    await b.close();
  });

  it('blocks script injected into the page: an inline script and an event handler never run', async () => {
    // The control: without the policy, this very injection runs — so the test can fail.
    const open = await newPage();
    await injectIntoPage(open, injection, { keepPolicy: false });
    await open.goto(viewerUrl);
    await waitFor(() => open.evaluate(() => window.injected), {
      what: 'the injection running without the policy',
    });
    await open.close();

    const page = await newPage();
    await injectIntoPage(page, injection);
    await page.goto(viewerUrl);
    await waitFor(async () => (await page.evaluate(() => window.violations.length)) >= 2, {
      what: 'the two violations reported',
    });
    expect(await page.evaluate(() => window.injected)).toBeUndefined();
    const directives = (await page.evaluate(() => window.violations)).map((v) => v.directive).sort();
    expect(directives).toEqual(['script-src-attr', 'script-src-elem']);
    // And the page's own script still runs. (Not its media: Chromium's local-network checks treat a document
    // answered through Playwright's route as not from 127.0.0.1 and refuse its connections to the SFU.)
    await page.locator('.show h1', { hasText: 'Jinhua ham' }).waitFor();
    await page.close();
  });

  it('links evidence only to http(s) pages, whatever the API answers, in a tab that cannot reach back', async () => {
    // The API refuses such links now (token-service brand-content test); an older row, another API version
    // or a proxy may still hand the page one.
    const page = await newPage();
    await page.route('**/v1/shows/demo', async (route) => {
      const response = await route.fetch();
      const show = await response.json();
      const step = show.trace[0];
      const evidence = (id: string, name: string, url: string) => ({
        ...step,
        id,
        evidence: { name, number: id, url },
      });
      show.trace = [
        evidence('1', 'Script', 'javascript:window.injected = 1'),
        evidence('2', 'Document', 'data:text/html,<script>alert(1)</script>'),
        evidence('3', 'Certificate', 'https://example.org/cert'),
      ];
      await route.fulfill({ response, json: show });
    });
    await page.goto(viewerUrl);
    await page.locator('.trace-step').nth(2).waitFor();
    const links = await page
      .locator('.trace a')
      .evaluateAll((as) =>
        as.map((a) => [
          a.textContent,
          a.getAttribute('href'),
          a.getAttribute('rel'),
          a.getAttribute('target'),
        ]),
      );
    expect(links).toEqual([['Certificate 3', 'https://example.org/cert', 'noopener noreferrer', '_blank']]);
    // The others are shown as text.
    for (const text of ['Script 1', 'Document 2'])
      expect(await page.locator('.trace dd', { hasText: text }).count()).toBe(1);
    await page.close();
  });

  it('refuses markup written into the page by script (Trusted Types): a DOM XSS has nowhere to land', async () => {
    const page = await newPage();
    await page.goto(viewerUrl);
    await page.locator('.show').waitFor();
    const outcome = await page.evaluate(() => {
      try {
        document.body.insertAdjacentHTML('beforeend', '<img src="/nope.png" onerror="window.injected = 1">');
        return 'written';
      } catch (error) {
        return (error as Error).name;
      }
    });
    expect(outcome).toBe('TypeError');
    expect(await page.evaluate(() => window.violations.map((v) => v.directive))).toContain(
      'require-trusted-types-for',
    );
    await page.close();
  });
});

describe('the console under the same policy', () => {
  it('is served with it, naming the page itself and the LiveKit URL only', async () => {
    const response = await fetch(stack.consoleUrl);
    for (const [name, value] of Object.entries(securityHeaders({ livekitUrl: stack.publicEngineUrl })))
      expect(response.headers.get(name), name).toBe(value);
  });

  it("works under it: sign-in, the show's feeds live with the monitor's pictures, QR codes — not one violation", async () => {
    const page = await newPage();
    await page.goto(stack.consoleUrl);
    await page.fill('#brand-key', stack.seeded.brandKey);
    await page.click('button[type=submit]');
    await page.locator('[data-testid=brand-name]').waitFor();
    await page.goto(`${stack.consoleUrl}/shows/demo`);
    await waitFor(async () => (await page.locator('[data-testid=feed][data-live=true]').count()) === 3, {
      what: 'three live feeds',
      timeoutMs: 60_000,
    });
    // The console's own hidden participant shows each live feed's picture (its connection to the engine).
    await waitFor(
      () =>
        page.evaluate(() =>
          [...document.querySelectorAll<HTMLVideoElement>('[data-testid=feed] video')].some(
            (v) => v.videoWidth > 0,
          ),
        ),
      { what: "a feed's picture from the monitor", timeoutMs: 60_000 },
    );
    await waitFor(
      () =>
        page.evaluate(() =>
          [...document.querySelectorAll<HTMLImageElement>('img.qr')].some((i) => i.naturalWidth > 0),
        ),
      { what: 'a QR code drawn' },
    );
    expect(JSON.stringify(await page.evaluate(() => window.violations))).toBe('[]');
    await page.close();
  });

  it('blocks script injected into the console', async () => {
    const page = await newPage();
    await injectIntoPage(page, injection, { url: stack.consoleUrl });
    await page.goto(stack.consoleUrl);
    await waitFor(async () => (await page.evaluate(() => window.violations.length)) >= 2, {
      what: 'the two violations reported',
    });
    expect(await page.evaluate(() => window.injected)).toBeUndefined();
    await page.locator('#brand-key').waitFor(); // its own script still runs
    await page.close();
  });
});
