// Browser viewers (--browsers M): M real Chromium pages running the real viewer app beside the simulated
// viewers, switching and zooming by clicking its buttons. Their own timings (window.scenecast, measured by
// the viewer with requestVideoFrameCallback) and their decoders' stats (getStats inbound-rtp: frames
// decoded, freezes, loss) join the report under `browsers`.
//
// Network: browser viewers run on the host's own network. None of the emulated profiles' knobs apply to
// them (see README, "Browser viewers").
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { BrowserResults, Report } from './report/report.js';
import { type RunOptions, runLoad } from './run.js';
import type { Scenario } from './scenario.js';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Debian's Chromium, headless, never throttled in the background (several pages play at once). */
const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--no-first-run',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
  '--autoplay-policy=no-user-gesture-required',
];

export const browserNetwork =
  'none: the host network (the emulated profiles apply to simulated viewers only)';

/** Keeps every RTCPeerConnection the page makes, so its decoder stats can be read. */
const recordPeerConnections = () => {
  const Native = window.RTCPeerConnection;
  const pcs: RTCPeerConnection[] = [];
  (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = pcs;
  window.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(config);
      pcs.push(this);
    }
  };
};

interface PageResult {
  join?: number;
  switches: Array<{ firstFrameMs?: number; sharpFrameMs?: number }>;
  zooms: number[];
  stats: {
    freezes: number;
    frozenMs: number;
    framesDecoded: number;
    packetsLost: number;
    packetsReceived: number;
  };
  consoleErrors: string[];
}

async function browserViewer(
  browser: Browser,
  showUrl: string,
  scenario: Scenario,
  ended: Promise<void>,
): Promise<PageResult> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page: Page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  await page.addInitScript(recordPeerConnections);
  const since = Date.now();
  await page.goto(showUrl);
  let join: number | undefined;
  try {
    await page.waitForFunction(
      () => (document.querySelector<HTMLVideoElement>('[data-testid="stage-video"]')?.videoWidth ?? 0) > 0,
      undefined,
      { timeout: 30_000, polling: 'raf' },
    );
    join = Date.now() - since;
  } catch {
    // no picture within 30 s: the join counts as missed
  }
  let done = false;
  void ended.then(() => {
    done = true;
  });
  const { switchEvery, zoom } = scenario.behaviour;
  while (!done) {
    const wait = Math.max(100, switchEvery.meanMs + (Math.random() * 2 - 1) * switchEvery.jitterMs);
    await Promise.race([new Promise((r) => setTimeout(r, wait)), ended]);
    if (done) break;
    if (Math.random() < zoom.probability) {
      for (let i = 0; i < 5; i++) await page.click('[data-testid="zoom-in"]').catch(() => undefined);
      await Promise.race([new Promise((r) => setTimeout(r, zoom.dwell)), ended]);
      for (let i = 0; i < 6; i++) await page.click('[data-testid="zoom-out"]').catch(() => undefined);
    } else {
      const scenes = await page.$$eval('[data-scene]', (els) =>
        els.map((e) => e.getAttribute('data-scene')!),
      );
      const selected = await page.evaluate(() => window.scenecast?.selected);
      const others = scenes.filter((s) => s !== selected);
      const next = others[Math.floor(Math.random() * others.length)];
      if (next) await page.click(`[data-scene="${next}"]`).catch(() => undefined);
    }
  }
  const timings = await page.evaluate(() => ({
    switches: window.scenecast?.switches ?? [],
    zooms: window.scenecast?.zooms ?? [],
  }));
  const stats = await page.evaluate(async () => {
    const total = { freezes: 0, frozenMs: 0, framesDecoded: 0, packetsLost: 0, packetsReceived: 0 };
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      const report = await pc.getStats().catch(() => undefined);
      report?.forEach((s: Record<string, unknown>) => {
        if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
        total.freezes += Number(s.freezeCount ?? 0);
        total.frozenMs += Number(s.totalFreezesDuration ?? 0) * 1000;
        total.framesDecoded += Number(s.framesDecoded ?? 0);
        total.packetsLost += Number(s.packetsLost ?? 0);
        total.packetsReceived += Number(s.packetsReceived ?? 0);
      });
    }
    return total;
  });
  await context.close();
  return { join, ...timings, stats, consoleErrors };
}

declare global {
  interface Window {
    scenecast?: {
      switches: Array<{ firstFrameMs?: number; sharpFrameMs?: number }>;
      zooms: number[];
      selected?: string;
    };
  }
}

/** Runs the load test, with the scenario's browser viewers alongside when it asks for any. */
export async function runWithBrowsers(scenario: Scenario, options: RunOptions): Promise<Report> {
  if (scenario.browsers === 0) return runLoad(scenario, options);
  if (!existsSync(chromiumPath))
    throw new Error(`browser viewers need Chromium at ${chromiumPath} (apt-get install chromium)`);
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
  let end: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => {
    end = resolve;
  });
  const showUrl = `${scenario.viewerUrl!.replace(/\/+$/, '')}/show/${encodeURIComponent(scenario.show ?? scenario.livekit?.room ?? '')}`;
  const pages = Array.from({ length: scenario.browsers }, () =>
    browserViewer(browser, showUrl, scenario, ended).catch(
      (error: Error): PageResult => ({
        switches: [],
        zooms: [],
        stats: { freezes: 0, frozenMs: 0, framesDecoded: 0, packetsLost: 0, packetsReceived: 0 },
        consoleErrors: [`browser viewer failed: ${error.message.split('\n')[0]}`],
      }),
    ),
  );
  const ms = (values: Array<number | undefined>) =>
    values.flatMap((v) => (v === undefined ? [] : [Math.round(v)]));
  try {
    return await runLoad(scenario, {
      ...options,
      beforeReport: async (): Promise<BrowserResults> => {
        end();
        const results = await Promise.all(pages);
        const sum = (pick: (p: PageResult) => number) =>
          Math.round(results.reduce((total, p) => total + pick(p), 0));
        return {
          count: results.length,
          profile: 'none',
          network: browserNetwork,
          join_ms: ms(results.map((p) => p.join)),
          switch_first_frame_ms: ms(results.flatMap((p) => p.switches.map((s) => s.firstFrameMs))),
          switch_sharp_ms: ms(results.flatMap((p) => p.switches.map((s) => s.sharpFrameMs))),
          zoom_2160_ms: ms(results.flatMap((p) => p.zooms)),
          freezes: sum((p) => p.stats.freezes),
          frozenMs: sum((p) => p.stats.frozenMs),
          framesDecoded: sum((p) => p.stats.framesDecoded),
          packetsLost: sum((p) => p.stats.packetsLost),
          packetsReceived: sum((p) => p.stats.packetsReceived),
          consoleErrors: results.flatMap((p) => p.consoleErrors).slice(0, 50),
        };
      },
    });
  } finally {
    end();
    await Promise.all(pages);
    await browser.close();
  }
}
