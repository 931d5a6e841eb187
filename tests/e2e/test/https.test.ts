// `npm start -- --https` (issue #12): a phone on the LAN gets its camera only on a secure page. The viewer and
// the console are served over TLS at the machine's LAN address with the demo's self-signed certificate; the
// console's origin carries the engine's signalling too (wss://, its /rtc proxy), so an https page opens no
// mixed content. Debian Chromium, which accepts the certificate as a phone's user does (here by flag),
// publishes its camera through a publish link and a viewer on https watches it live.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { demoShow, lanAddress, type Stack, startStack } from '@scenecast/demo';
import { launchChromium, waitFor } from '@scenecast/testkit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stagePicture } from './stage.js';

const artifacts = join(import.meta.dirname, '..', 'test-results');
// The address a phone would use; a machine with only loopback still serves https there.
const host = lanAddress() ?? '127.0.0.1';

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  // No synthetic cameras: the one camera is the publish page's.
  stack = await startStack({
    stateDir: mkdtempSync(join(tmpdir(), 'https-e2e-')),
    host,
    https: true,
    cameras: [],
  });
  browser = await launchChromium(['--ignore-certificate-errors']);
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** The certificate a TLS client is shown at `url`'s host and port (not trusted: it is self-signed). */
function servedCertificate(url: string): Promise<PeerCertificate> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate());
      socket.end();
    });
    socket.once('error', reject);
  });
}

/** Everything a page logs that says the browser refused a connection: mixed content, the CSP. */
function refusals(page: Page): string[] {
  const seen: string[] = [];
  page.on('console', (message) => {
    if (/Mixed Content|Content Security Policy|ERR_CERT|WebSocket connection .* failed/i.test(message.text()))
      seen.push(message.text());
  });
  return seen;
}

describe('npm start -- --https', () => {
  it('serves the console and the viewer over TLS at the LAN address with the demo certificate', async () => {
    for (const url of [stack.consoleUrl, stack.viewerUrl]) {
      expect(url).toMatch(new RegExp(`^https://${host.replaceAll('.', '\\.')}:\\d+$`));
      const cert = await servedCertificate(url);
      expect(cert.subjectaltname).toContain(`IP Address:${host}`);
      expect(cert.subjectaltname).toContain('IP Address:127.0.0.1');
      expect(cert.subjectaltname).toContain('DNS:localhost');
      expect(cert.fingerprint256).toBe(stack.certificate?.fingerprint);
    }
    // The pages reach the engine on the console's origin, over wss.
    expect(stack.publicEngineUrl).toBe(stack.consoleUrl.replace(/^https/, 'wss'));
    // Signing in through the console's https origin gives a Secure session cookie.
    // (Its requests go from Node, not through Chromium: told to accept the certificate on their own.)
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const signIn = await context.request.post(`${stack.consoleUrl}/v1/session`, {
      data: { key: stack.seeded.brandKey },
    });
    expect(signIn.status()).toBe(201);
    expect(signIn.headers()['set-cookie']).toMatch(/; Secure/i);
    await context.close();
    const link = await stack.brand.publishLink(stack.seeded.feeds.farm!);
    expect(link.url).toMatch(new RegExp(`^${stack.consoleUrl}/publish#`));
  });

  it('publishes a camera from a publish link over https, and a viewer over https watches it live', async () => {
    const { url } = await stack.brand.publishLink(stack.seeded.feeds.farm!);
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const phone = await context.newPage();
    const phoneRefusals = refusals(phone);
    const response = await phone.goto(url);
    // The console's CSP names the wss origin its pages connect to.
    expect(response?.headers()['content-security-policy']).toContain(
      `connect-src 'self' ${stack.publicEngineUrl} ${stack.consoleUrl};`,
    );
    // The point of https: the page is a secure context, so the browser offers it the camera.
    expect(await phone.evaluate(() => window.isSecureContext)).toBe(true);
    const start = phone.locator('[data-testid=start-publishing]');
    await waitFor(() => start.isEnabled(), { what: 'the camera preview ready' });
    await start.click();
    await waitFor(async () => (await phone.textContent('[data-testid=publish-state]')) === 'Live', {
      what: 'the phone live over wss',
      timeoutMs: 60_000,
    });
    await waitFor(
      async () =>
        (await stack.brand.getShow(demoShow.id)).scenes.some((s) =>
          s.feeds.some((f) => f.id === stack.seeded.feeds.farm && f.live),
        ),
      { what: 'the farm feed live at the token service', timeoutMs: 30_000 },
    );

    const viewer = await context.newPage();
    const viewerRefusals = refusals(viewer);
    await viewer.setViewportSize({ width: 1280, height: 800 });
    await viewer.goto(stack.showUrl);
    await viewer.click('[data-scene="farm"]');
    // Chromium's fake camera, decoded on the viewer's stage: frames arrive over the https pages' wss and ICE.
    const picture = await waitFor(
      async () => {
        const p = await stagePicture(viewer);
        return p.width > 0 && p.height > 0 ? p : undefined;
      },
      { what: "the phone's picture on the viewer's stage", timeoutMs: 30_000 },
    );
    expect(picture.width).toBeGreaterThan(0);
    await phone.screenshot({ path: join(artifacts, 'https-publish.png') });
    await viewer.screenshot({ path: join(artifacts, 'https-viewer.png') });
    expect(phoneRefusals).toEqual([]);
    expect(viewerRefusals).toEqual([]);
    await context.close();
  });
});
