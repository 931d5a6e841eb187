// Browser viewers (--browsers M): M real Chromium pages running the real viewer app beside the simulated
// viewers, switching and zooming by clicking its buttons. Their own timings (window.scenecast, measured by
// the viewer with requestVideoFrameCallback) and their decoders' stats (getStats inbound-rtp: frames
// decoded, freezes, loss, bytes) join the report under `browsers`, one entry per browser.
//
// Network: each browser gets a profile of the run's mix (assigned as the simulated viewers' are) and the
// links of that profile, seeded per browser: its page may use only relay candidates, through a TURN relay
// (turn-server.ts) that it reaches through its own link proxy (link-proxy.ts). A browser on a profile with
// no knobs (`none`) connects directly. See README, "Browser viewers".
import { existsSync } from 'node:fs';
import type { NetworkProfile } from '@scenecast/load-client';
import { type Browser, chromium, type Page } from 'playwright-core';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { UsageError } from './errors.js';
import { knobsOf, LinkProxy } from './network/link-proxy.js';
import { routeTo, startTurnServer, type TurnServer } from './network/turn-server.js';
import type { BrowserResults, BrowserViewer, Report } from './report/report.js';
import { assignProfiles, type RunOptions, runLoad, targetOf } from './run.js';
import { networksOf, type Scenario } from './scenario.js';
import { preflight } from './target.js';
import { seedFor } from './viewer/simulated-viewer.js';

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

/**
 * Keeps every RTCPeerConnection the page makes, so its decoder stats can be read; with a relay, makes each
 * one use only that relay (whatever ICE servers the app was given), so all its media crosses the link.
 */
const wrapPeerConnections = (relay: RTCIceServer | null) => {
  const Native = window.RTCPeerConnection;
  const pcs: RTCPeerConnection[] = [];
  (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = pcs;
  const relayed = (config?: RTCConfiguration): RTCConfiguration | undefined =>
    relay ? { ...config, iceServers: [relay], iceTransportPolicy: 'relay' } : config;
  window.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(relayed(config));
      pcs.push(this);
    }
    override setConfiguration(config?: RTCConfiguration): void {
      super.setConfiguration(relayed(config));
    }
  };
};

/** The page's received video bytes (all its connections) and the stage picture's height, now. */
const sampleReception = async () => {
  let bytes = 0;
  for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
    const report = await pc.getStats().catch(() => undefined);
    report?.forEach((s: Record<string, unknown>) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') bytes += Number(s.bytesReceived ?? 0);
    });
  }
  const stage = document.querySelector<HTMLVideoElement>('[data-testid="stage-video"]');
  return { at: performance.now(), bytes, height: stage?.videoHeight ?? 0 };
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
  /** Once a second from the first picture on: received video bytes so far and the stage's height. */
  samples: Array<{ at: number; bytes: number; height: number }>;
  consoleErrors: string[];
}

const emptyStats = () => ({ freezes: 0, frozenMs: 0, framesDecoded: 0, packetsLost: 0, packetsReceived: 0 });

async function browserViewer(
  browser: Browser,
  showUrl: string,
  scenario: Scenario,
  relay: RTCIceServer | null,
  random: () => number,
  ended: Promise<void>,
): Promise<PageResult> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page: Page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  await page.addInitScript(wrapPeerConnections, relay);
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
  const samples: PageResult['samples'] = [];
  const sample = () =>
    page
      .evaluate(sampleReception)
      .then((s) => void samples.push(s))
      .catch(() => undefined);
  if (join !== undefined) await sample();
  const sampler = setInterval(() => {
    if (join !== undefined && !done) void sample();
  }, 1000);
  const { switchEvery, zoom } = scenario.behaviour;
  try {
    while (!done) {
      const wait = Math.max(100, switchEvery.meanMs + (random() * 2 - 1) * switchEvery.jitterMs);
      await Promise.race([new Promise((r) => setTimeout(r, wait)), ended]);
      if (done) break;
      if (random() < zoom.probability) {
        for (let i = 0; i < 5; i++) await page.click('[data-testid="zoom-in"]').catch(() => undefined);
        await Promise.race([new Promise((r) => setTimeout(r, zoom.dwell)), ended]);
        for (let i = 0; i < 6; i++) await page.click('[data-testid="zoom-out"]').catch(() => undefined);
      } else {
        const scenes = await page.$$eval('[data-scene]', (els) =>
          els.map((e) => e.getAttribute('data-scene')!),
        );
        const selected = await page.evaluate(() => window.scenecast?.selected);
        const others = scenes.filter((s) => s !== selected);
        const next = others[Math.floor(random() * others.length)];
        if (next) await page.click(`[data-scene="${next}"]`).catch(() => undefined);
      }
    }
  } finally {
    clearInterval(sampler);
  }
  if (join !== undefined) await sample();
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
  return { join, ...timings, stats, samples, consoleErrors };
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

/** A browser's own random choices (when to act, switch or zoom, which scene), seeded as its links are. */
function seededRandom(seed: number, viewer: number): () => number {
  const rng = xoroshiro128plus(seedFor(seed, viewer, 0));
  rng.jump?.();
  return () => uniformFloat64(rng);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)]! : null;
};

/** A browser's network: its profile, and the proxy that applies it (none when it has no knobs). */
interface BrowserNetwork extends Pick<BrowserViewer, 'profile' | 'knobs' | 'settings'> {
  proxy?: LinkProxy;
}

/** One browser's entry in the report: its network, its timings, and what it received. */
function viewerResult(page: PageResult, network: BrowserNetwork): BrowserViewer {
  const first = page.samples[0];
  const last = page.samples.at(-1);
  const seconds = first && last ? (last.at - first.at) / 1000 : 0;
  const ms = (values: Array<number | undefined>) =>
    values.flatMap((v) => (v === undefined ? [] : [Math.round(v)]));
  return {
    profile: network.profile,
    via: network.proxy ? 'turn-relay' : 'direct',
    knobs: network.knobs,
    settings: network.settings,
    link: network.proxy
      ? { down: { ...network.proxy.links.down.stats }, up: { ...network.proxy.links.up.stats } }
      : null,
    join_ms: page.join === undefined ? null : Math.round(page.join),
    switch_first_frame_ms: ms(page.switches.map((s) => s.firstFrameMs)),
    switch_sharp_ms: ms(page.switches.map((s) => s.sharpFrameMs)),
    zoom_2160_ms: ms(page.zooms),
    bitrate_kbps: seconds >= 1 ? Math.round(((last!.bytes - first!.bytes) * 8) / seconds / 1000) : null,
    stage_height_p50: median(page.samples.map((s) => s.height)),
    ...page.stats,
    frozenMs: Math.round(page.stats.frozenMs),
    consoleErrors: page.consoleErrors.slice(0, 20),
  };
}

/** Runs the load test, with the scenario's browser viewers alongside when it asks for any. */
export async function runWithBrowsers(scenario: Scenario, options: RunOptions): Promise<Report> {
  if (scenario.browsers === 0) return runLoad(scenario, options);
  if (!existsSync(chromiumPath))
    throw new UsageError(`browser viewers need Chromium at ${chromiumPath} (apt-get install chromium)`);
  // The browsers' profiles, as the simulated viewers' are given (the same mix, interleaved).
  const networks = networksOf(scenario) as Record<string, NetworkProfile>;
  const assigned = assignProfiles(scenario.browsers, scenario.profiles).map((profile) => {
    const { down, up, outage } = networks[profile]!;
    return { profile, knobs: knobsOf(networks[profile]!), settings: { down, up, outage } };
  });
  // The relay sends from the address that reaches the SFU; the preflight (which the run then reuses) says where.
  const checked = await preflight(targetOf(scenario));
  let turn: TurnServer | undefined;
  const proxies: LinkProxy[] = [];
  let browser: Browser | undefined;
  let end: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => {
    end = resolve;
  });
  let pages: Array<Promise<PageResult>> = [];
  try {
    if (assigned.some((a) => a.knobs.length > 0)) {
      try {
        turn = await startTurnServer(await routeTo(new URL(checked.livekitUrl).hostname));
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
    }
    const networksOfBrowsers = await Promise.all(
      assigned.map(
        async (network, index): Promise<BrowserNetwork> =>
          turn && network.knobs.length > 0
            ? {
                ...network,
                // Seeded as viewer number `viewers + index`: apart from every simulated viewer's links.
                proxy: await LinkProxy.open(
                  turn,
                  networks[network.profile]!,
                  scenario.seed,
                  scenario.viewers + index,
                ),
              }
            : network,
      ),
    );
    proxies.push(...networksOfBrowsers.flatMap((n) => (n.proxy ? [n.proxy] : [])));
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
    const showUrl = `${scenario.viewerUrl!.replace(/\/+$/, '')}/show/${encodeURIComponent(scenario.show ?? scenario.livekit?.room ?? '')}`;
    const opened = browser;
    pages = networksOfBrowsers.map((network, index) =>
      browserViewer(
        opened,
        showUrl,
        scenario,
        network.proxy && turn
          ? {
              urls: `turn:127.0.0.1:${network.proxy.port}?transport=udp`,
              username: turn.username,
              credential: turn.credential,
            }
          : null,
        seededRandom(scenario.seed, scenario.viewers + index),
        ended,
      ).catch(
        (error: Error): PageResult => ({
          switches: [],
          zooms: [],
          stats: emptyStats(),
          samples: [],
          consoleErrors: [`browser viewer failed: ${error.message.split('\n')[0]}`],
        }),
      ),
    );
    return await runLoad(scenario, {
      ...options,
      preflight: checked,
      beforeReport: async (): Promise<BrowserResults> => {
        end();
        const results = await Promise.all(pages);
        const viewers = results.map((page, i) => viewerResult(page, networksOfBrowsers[i]!));
        const sum = (pick: (v: BrowserViewer) => number) => viewers.reduce((total, v) => total + pick(v), 0);
        return {
          count: viewers.length,
          profile: [...new Set(viewers.map((v) => v.profile))].join(','),
          network: turn
            ? `TURN relay (coturn) behind a link proxy per browser: the profile's knobs, both ways`
            : 'none: the host network (profile none)',
          join_ms: viewers.flatMap((v) => (v.join_ms === null ? [] : [v.join_ms])),
          switch_first_frame_ms: viewers.flatMap((v) => v.switch_first_frame_ms),
          switch_sharp_ms: viewers.flatMap((v) => v.switch_sharp_ms),
          zoom_2160_ms: viewers.flatMap((v) => v.zoom_2160_ms),
          freezes: sum((v) => v.freezes),
          frozenMs: sum((v) => v.frozenMs),
          framesDecoded: sum((v) => v.framesDecoded),
          packetsLost: sum((v) => v.packetsLost),
          packetsReceived: sum((v) => v.packetsReceived),
          consoleErrors: viewers.flatMap((v) => v.consoleErrors).slice(0, 50),
          viewers,
        };
      },
    });
  } finally {
    end();
    await Promise.all(pages);
    await browser?.close();
    for (const proxy of proxies) proxy.close();
    await turn?.close();
  }
}
