// Acceptance for the brand console and the phone's publish page: real Debian Chromium (fake camera) against
// the real token service and engine that `npm start` runs, through the console's own pages and requests.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csrfHeader } from '@scenecast/contract';
import { type Stack, startStack } from '@scenecast/demo';
import { launchChromium, waitFor } from '@scenecast/testkit';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const artifacts = join(import.meta.dirname, '..', 'test-results');
mkdirSync(artifacts, { recursive: true });

let stack: Stack;
let browser: Browser;
/** Brand A's console (the demo brand), and the show it creates. */
let console_: Page;
let showId: string;

beforeAll(async () => {
  // No synthetic cameras: the only camera here is the phone page's.
  stack = await startStack({ stateDir: mkdtempSync(join(tmpdir(), 'console-e2e-')), cameras: [] });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

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
    expect((await stack.brand.listShows()).shows.find((s) => s.id === showId)!.trace).toEqual([]);
    await console_.fill('#new-trace-evidenceUrl', 'https://example.org/acorn/77');
    await console_.selectOption('#new-trace-scene', 'farm');
    await console_.click('button:text("Add record")');
    await waitFor(async () => (await console_.locator('[data-testid=trace-record]').count()) === 2, {
      what: 'the saved record and a new form',
    });
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

    // Stop: the feed goes offline in the console.
    await phonePage.click('button:text("Stop")');
    await waitFor(async () => (await farm.getAttribute('data-live')) === 'false', {
      what: 'the farm feed offline after stop',
      timeoutMs: 30_000,
    });

    // Live again, then revoked from the console: the engine disconnects the phone, its link stops working.
    await start.click();
    await waitFor(async () => (await farm.getAttribute('data-live')) === 'true', {
      what: 'the farm feed live again',
      timeoutMs: 60_000,
    });
    await farm.locator('button:text("Revoke links and disconnect")').click();
    await phonePage.waitForSelector('[data-testid=publish-error] h1:text("Publishing was revoked")', {
      timeout: 30_000,
    });
    await waitFor(async () => (await farm.getAttribute('data-live')) === 'false', {
      what: 'the farm feed offline after revoking',
      timeoutMs: 30_000,
    });
    const reopened = await phone(url);
    await reopened.waitForSelector('[data-testid=publish-error] h1:text("This publish link is not valid")');
    await reopened.context().close();
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
    await expired.goto(`${stack.consoleUrl}/publish#not-a-real-code`);
    await expired.reload();
    await expired.waitForSelector('[data-testid=publish-error] h1:text("This publish link is not valid")');
    await expired.context().close();
  });
});
