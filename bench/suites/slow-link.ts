// Slow link (#19): a viewer zoomed into the studio whose downlink is capped at 8, 5, 3, 2 and 1 Mbit/s in
// turn, then cut for 2 s — on the embedded SFU and on livekit-server in the same run. The viewer is the real
// viewer app in Debian Chromium inside its own network namespace; `tc tbf` on the host side of its veth pair
// is its downlink (300 ms queue). The studio camera sends 1280x720 at 10 fps with its top layer allowed
// 6 Mbit/s and fresh noise in a quarter of the picture, so its encoder spends that budget as a real camera
// does (4K is too much for a shared 2-core machine to render, encode and decode in real time, and the layers
// and steps are the same). Each cap: 8 s open, 20 s capped, then open until the top layer is back (20 s at
// most). Measured from every frame the stage presents (requestVideoFrameCallback).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack } from '@scenecast/demo';
import { type EngineName, engineNames } from '@scenecast/engine';
import {
  createNetNamespace,
  keepPeerConnections,
  launchChromium,
  netNamespaceUnavailable,
  recordStage,
  type StageStats,
  stageStats,
  stageSummary,
  stageTimeline,
  waitFor,
} from '@scenecast/testkit';
import type { Page } from 'playwright-core';

/** `BENCH_CAPS=` (empty) runs only the outage. */
const caps = (process.env.BENCH_CAPS ?? '8,5,3,2,1').split(',').filter(Boolean).map(Number);
/** `BENCH_ENGINES=embedded` measures one engine (to look into it; the table compares both). */
const engines = process.env.BENCH_ENGINES?.split(',') ?? engineNames;
const top = 720;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Audio packets received and lost so far, over all the page's connections (RFC 3550 counts), and the sound
 * the receivers had to make up (concealment that was not silence, ms): what a listener hears of the loss,
 * once RED's copies and Opus's own recovery have restored what they could.
 */
function audioCounts(page: Page): Promise<AudioCounts> {
  return page.evaluate(async () => {
    const w = globalThis as unknown as {
      __pcs: Array<{ getStats(): Promise<Map<string, Record<string, unknown>>> }>;
    };
    let lost = 0;
    let received = 0;
    let concealedMs = 0;
    for (const pc of w.__pcs)
      for (const report of (await pc.getStats()).values())
        if (report.type === 'inbound-rtp' && report.kind === 'audio') {
          lost += Number(report.packetsLost ?? 0);
          received += Number(report.packetsReceived ?? 0);
          const audible = Number(report.concealedSamples ?? 0) - Number(report.silentConcealedSamples ?? 0);
          concealedMs += (audible / 48_000) * 1000;
        }
    return { lost, received, concealedMs };
  });
}

interface AudioCounts {
  lost: number;
  received: number;
  concealedMs: number;
}

interface CapResult {
  /** The stage before the cap (8 s, open link): the machine's own frame rate and stutter. */
  open: StageStats;
  /** The 20 s under the cap. */
  capped: StageStats;
  /** From the cap to the last top-layer frame under it (0: none after the cap). */
  lastTopMs: number;
  /** From the link opening to the first top-layer frame again (undefined: not within 20 s). */
  backMs: number | undefined;
  /** Audio under the cap (all the viewer's audio tracks, from its inbound-rtp stats; see `audioCounts`). */
  audio: AudioCounts;
  /** Sound concealed in the 8 s before the cap (the open link's own, for comparison). */
  openConcealedMs: number;
}

interface Result {
  caps: Map<number, CapResult>;
  /** The 2-s outage: the stage from the cut to 10 s after it, and the first frame after the link returned. */
  outage: { stats: StageStats; resumeMs: number | undefined };
}

async function measure(engine: EngineName): Promise<Result> {
  const ns = await createNetNamespace();
  const stack = await startStack({
    engine,
    host: ns.hostIp,
    stateDir: mkdtempSync(join(tmpdir(), 'bench-slow-link-')),
    cameras: [
      {
        scene: 'studio',
        width: 1280,
        height: top,
        fps: 10,
        args: ['--bitrate', '6000000', '--noise', '0.25'],
      },
      { scene: 'factory', width: 640, height: 360, fps: 10 },
      { scene: 'farm', width: 640, height: 360, fps: 10 },
    ],
  });
  // Host candidates in the clear, not behind mDNS names: livekit-server cannot resolve those, and its ICE
  // then hangs on peer-reflexive discovery — in 4 of 5 runs its viewer never connected ("could not
  // establish pc connection"). The bench is about the cap, not about ICE.
  const browser = await launchChromium(['--disable-features=WebRtcHideLocalIpsWithMdns'], ns.chromiumPath);
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await keepPeerConnections(page);
    const said: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') said.push(m.text());
    });
    await page.goto(stack.showUrl);
    await waitFor(async () => (await page.locator('.badge.live').count()) === 3, {
      what: 'three live scenes',
      timeoutMs: 90_000,
    }).catch(async (error: Error) => {
      // What the page showed and said: the start-up failure has no other witness.
      const shot = join(tmpdir(), `bench-slow-link-${engine}-start.png`);
      await page.screenshot({ path: shot });
      const live = await page.locator('.badge.live').count();
      const connection = await page.evaluate(
        () => (window as unknown as { scenecast?: { connection?: string } }).scenecast?.connection,
      );
      throw new Error(
        `${engine}: ${error.message} (${live} live, connection ${connection}, screenshot ${shot}; the page said: ${said.join(' | ').slice(0, 2000)})`,
      );
    });
    await page.click('[data-scene="studio"]');
    // The viewer's own account (layer, quality, Mbit/s) for BENCH_DEBUG's per-second trace.
    if (process.env.BENCH_DEBUG) await page.click('.stats-toggle');
    for (let i = 0; i < 4; i++) await page.click('[data-testid="zoom-in"]');
    await recordStage(page);
    const now = async () => (await stageTimeline(page)).now;
    const topBack = async (since: number, timeoutMs: number) => {
      let back: number | undefined;
      await waitFor(
        async () => {
          const t = await stageTimeline(page);
          back = t.frames.find(([at, h]) => at > since && h === top)?.[0];
          return back !== undefined || t.now - since > timeoutMs;
        },
        { what: `${top}p, or ${timeoutMs} ms`, timeoutMs: timeoutMs + 20_000, intervalMs: 250 },
      );
      return back === undefined ? undefined : back - since;
    };
    if ((await topBack(await now(), 60_000)) === undefined)
      throw new Error(`${engine}: the stage never reached ${top}p`);

    const results = new Map<number, CapResult>();
    for (const cap of caps) {
      const audioOpen = await audioCounts(page);
      await sleep(8000);
      const capAt = await now();
      const audioBefore = await audioCounts(page);
      const cappedAt = new Date().toISOString(); // to read beside the engine's logs
      await ns.capDownlink(cap);
      // Each second's sound made up, for BENCH_DEBUG: when under the cap a listener hears the loss.
      const concealedPerSecond: number[] = [];
      for (let second = 0, last = audioBefore.concealedMs; second < 20; second++) {
        await sleep(1000);
        const { concealedMs } = await audioCounts(page);
        concealedPerSecond.push(Math.round(concealedMs - last));
        last = concealedMs;
      }
      const openAt = await now();
      const audioAfter = await audioCounts(page);
      await ns.capDownlink(undefined);
      const backMs = await topBack(openAt, 20_000);
      const t = await stageTimeline(page);
      const lastTop = t.frames.filter(([at, h]) => at > capAt && at < openAt && h === top).at(-1)?.[0];
      results.set(cap, {
        open: stageStats(t.frames, capAt - 8000, capAt),
        capped: stageStats(t.frames, capAt, openAt),
        lastTopMs: lastTop === undefined ? 0 : lastTop - capAt,
        backMs,
        audio: {
          lost: audioAfter.lost - audioBefore.lost,
          received: audioAfter.received - audioBefore.received,
          concealedMs: audioAfter.concealedMs - audioBefore.concealedMs,
        },
        openConcealedMs: audioBefore.concealedMs - audioOpen.concealedMs,
      });
      console.error(`[slow-link] ${engine} ${cap} Mbit/s: ${JSON.stringify(results.get(cap))}`);
      if (process.env.BENCH_DEBUG)
        console.error(
          `[slow-link] ${engine} ${cap} Mbit/s, per second from the cap at ${cappedAt}:\n${stageSummary(t, capAt, openAt + 5000)}\n` +
            `sound concealed per second (ms): ${concealedPerSecond.join(' ')}`,
        );
    }

    await sleep(8000);
    const cutAt = await now();
    const cutWall = new Date().toISOString();
    await ns.setOutage(true);
    await sleep(2000);
    const restoredAt = await now();
    await ns.setOutage(false);
    await sleep(8000);
    const t = await stageTimeline(page);
    const resumed = t.frames.find(([at]) => at > restoredAt)?.[0];
    if (process.env.BENCH_DEBUG)
      console.error(
        `[slow-link] ${engine} 2 s outage, per second from the cut at ${cutWall}:\n${stageSummary(t, cutAt, cutAt + 10_000)}`,
      );
    return {
      caps: results,
      outage: {
        stats: stageStats(t.frames, cutAt, cutAt + 10_000),
        resumeMs: resumed === undefined ? undefined : resumed - restoredAt,
      },
    };
  } finally {
    await browser.close();
    await stack.close();
    await ns.close();
  }
}

const ms = (x: number | undefined) => (x === undefined ? 'never' : (x / 1000).toFixed(1));
const shares = (s: StageStats) =>
  Object.entries(s.heightShare)
    .sort(([a], [b]) => Number(b) - Number(a))
    .filter(([, share]) => share >= 0.01)
    .map(([h, share]) => `${h}p ${(share * 100).toFixed(0)}%`)
    .join(', ') || '—';

export async function run(): Promise<void> {
  const unavailable = await netNamespaceUnavailable();
  if (unavailable) throw new Error(`slow-link needs network namespaces: ${unavailable}`);
  const results = new Map<EngineName, Result>();
  for (const engine of engines) {
    if (!(engineNames as readonly string[]).includes(engine))
      throw new Error(`BENCH_ENGINES: unknown engine ${engine} (${engineNames.join(', ')})`);
    results.set(engine as EngineName, await measure(engine as EngineName));
  }
  console.log(
    `A zoomed viewer (the viewer app in Chromium, its own network namespace) whose downlink is capped with tc tbf ` +
      `(300 ms queue) for 20 s at each rate after 8 s open; the studio sends ${top}p at 10 fps, top layer up to ` +
      '6 Mbit/s. fps and freezes (WebRTC: a gap over max(3 × mean, mean + 150 ms)) over the 20 s capped; ' +
      '"last top" = the last top-layer frame after the cap; "back" = the link open → the top layer again.\n',
  );
  console.log(
    '| cap | engine | fps open → capped | freezes | frozen s | longest s | layers while capped | last top s | back s | audio lost | sound concealed ms, open 8 s → capped 20 s |\n' +
      '| ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |',
  );
  for (const cap of caps)
    for (const [engine, result] of results) {
      const r = result.caps.get(cap)!;
      console.log(
        `| ${cap} Mbit/s | ${engine} | ${r.open.fps.toFixed(1)} → ${r.capped.fps.toFixed(1)} | ${r.capped.freezes} | ` +
          `${ms(r.capped.frozenMs)} | ${ms(r.capped.longestFreezeMs)} | ${shares(r.capped)} | ${ms(r.lastTopMs)} | ${ms(r.backMs)} | ${r.audio.lost} of ${r.audio.lost + r.audio.received} | ${r.openConcealedMs.toFixed(0)} → ${r.audio.concealedMs.toFixed(0)} |`,
      );
    }
  console.log(
    '\n| 2 s outage | engine | frozen s (10 s from the cut) | first frame after the link returned, s |',
  );
  console.log('| --- | --- | ---: | ---: |');
  for (const [engine, result] of results)
    console.log(`| | ${engine} | ${ms(result.outage.stats.frozenMs)} | ${ms(result.outage.resumeMs)} |`);
}
