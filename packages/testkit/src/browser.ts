import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium (never a downloaded browser), with the flags this machine's closed network needs. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  // Background tabs must keep decoding: tests watch several pages at once.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
  '--autoplay-policy=no-user-gesture-required',
];

/** `launcher`: what to execute instead of Chromium itself (e.g. a namespace's wrapper that runs it). */
export async function launchChromium(extraArgs: string[] = [], launcher = chromiumPath): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium not found at ${chromiumPath}; npm test installs it (apt-get install chromium)`);
  }
  return chromium.launch({
    executablePath: launcher,
    args: [...chromiumArgs, ...extraArgs],
    headless: true,
  });
}

/**
 * Keeps every peer connection the page's scripts create, in `globalThis.__pcs`, so a test can read their
 * stats (apps keep theirs out of reach). Call before the page loads its app.
 */
export async function keepPeerConnections(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = globalThis as unknown as {
      RTCPeerConnection: new (...args: unknown[]) => object;
      __pcs: object[];
    };
    const Native = w.RTCPeerConnection;
    w.__pcs = [];
    w.RTCPeerConnection = class extends Native {
      constructor(...args: unknown[]) {
        super(...args);
        w.__pcs.push(this);
      }
    };
  });
}
