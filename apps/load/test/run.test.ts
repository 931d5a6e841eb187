// scenecast-load end to end: the CLI (as QA runs it) against the demo show on startStack() — the real engine
// (SCENECAST_ENGINE: the embedded SFU or livekit-server), the real token service, real synthetic cameras as
// processes of their own and the real viewer app — no mocks. Small numbers, for a 2-core machine: 20
// viewers for 30 s.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Stack, startStack } from '@scenecast/demo';
import { launchChromium, skipWhen } from '@scenecast/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { turnserverPath } from '../src/network/turn-server.js';
import type { Report } from '../src/report/report.js';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'dist', 'cli.js');
const artifacts = join(here, '..', 'test-results');
const work = mkdtempSync(join(tmpdir(), 'load-test-'));

let stack: Stack;

// Browser viewers' profiles need coturn; under CI=true its absence is not skipped: the run fails saying so.
const noRelay =
  process.env.CI !== 'true' && !existsSync(turnserverPath)
    ? `coturn's turnserver is not installed at ${turnserverPath} (apt-get install coturn)`
    : undefined;

/**
 * Runs the CLI; resolves with its exit code and output. `interruptWhen` sends Ctrl-C (SIGINT) once the
 * progress lines (stderr) match it; `env` adds to its environment.
 */
function load(args: string[], interruptWhen?: RegExp, env?: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    let interrupted = false;
    if (interruptWhen)
      child.stderr.on('data', () => {
        if (!interrupted && interruptWhen.test(stderr)) {
          interrupted = true;
          child.kill('SIGINT');
        }
      });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const readReport = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  // One generator asks for every viewer's token: the per-client limit is for the public, not for QA.
  process.env.VIEWER_TOKEN_RATE_LIMIT = '10000';
  // The studio's top layer (1280x720 at 2.5 Mbit/s, noise keeping it at that rate) does not fit 4g-poor's
  // 1.5 Mbit/s; its middle layer (360p) does. The other scenes are small, to spare the machine; no sound.
  stack = await startStack({
    stateDir: join(work, 'stack'),
    cameras: [
      {
        scene: 'studio',
        width: 1280,
        height: 720,
        fps: 10,
        args: ['--bitrate', '2500000', '--noise', '0.08'],
      },
      { scene: 'factory', width: 640, height: 360, fps: 10 },
      { scene: 'farm', width: 640, height: 360, fps: 10 },
    ].map((c) => ({ ...c, args: [...(c.args ?? []), '--no-audio', '--stats', '0'] })),
  });
});

afterAll(async () => {
  await stack?.close();
});

const target = () => ['--show', 'demo', '--token-service', stack.tokenService.url];

describe('scenecast-load run', () => {
  const mixed = join(work, 'mixed');

  it('20 viewers for 30 s on 5g and 4g-poor pass sensible thresholds; 4g-poor loses more and watches lower layers', async () => {
    const { code, stdout, stderr } = await load([
      'run',
      ...target(),
      ...['--viewers', '20', '--ramp', '4/s', '--duration', '30s', '--profile', '5g=50%,4g-poor=50%'],
      ...['--switch-every', '4s±1s', '--zoom-probability', '0.35', '--zoom-dwell', '3s', '--seed', '7'],
      // Chat at 6 a minute each (2 a second for the show: under the moderator's 10): none may be refused.
      ...['--chat', '6/min', '--threshold', 'chat_refused==0', '--threshold', 'chat_ms.p95<10000'],
      // Sensible for a shared 2-core machine that also runs the engine, three cameras and other work: see
      // README. (Exact limits are tested by the impossible thresholds below.)
      ...['--threshold', 'join_ms.p95<30000', '--threshold', 'switch_first_frame_ms.p95<5000'],
      ...['--threshold', 'disconnects<3', '--threshold', 'loss_ratio{profile:5g}<0.05'],
      ...['--threshold', 'join_failures<2', '--out', mixed],
    ]);
    const report = readReport(mixed);
    const { '5g': fast, '4g-poor': poor } = report.profiles;
    console.log(
      JSON.stringify(
        {
          verdict: report.verdict,
          thresholds: report.thresholds,
          fast: { ...fast, raw: undefined },
          poor: { ...poor, raw: undefined },
          generator: report.generator,
        },
        null,
        1,
      ),
    );
    expect(stderr).not.toMatch(/internal error/);
    // The verdict is pass (exit 0): every threshold passes. Or, when this shared machine starved the generator
    // itself, invalid (exit 4) for that reason alone: its numbers are then not the target's, and the tool says
    // so instead of judging them; the profiles' comparison below holds either way.
    if (report.verdict === 'invalid') {
      expect(code).toBe(4);
      for (const reason of report.invalidReasons)
        expect(reason).toMatch(/worker \d|the generator's own sockets/);
    } else {
      expect(code, stdout + stderr).toBe(0);
      expect(report.thresholds.filter((t) => !t.pass)).toEqual([]);
    }
    expect(report.schemaVersion).toBe(1);
    expect(report.metrics.viewers).toBe(20);
    expect(fast!.viewers).toBe(10);
    expect(poor!.viewers).toBe(10);
    // (A few joins may still be pending at the end on a starved machine: they count as missed.)
    expect(report.metrics.join_ms.count).toBeGreaterThanOrEqual(15);
    expect(report.metrics.switch_first_frame_ms.count).toBeGreaterThan(20);
    expect(report.metrics.zoom_2160_ms.count + report.metrics.zoom_2160_ms.missed).toBeGreaterThan(5);
    // The network profiles show: more loss, and a lower stage, on the poor link.
    expect(poor!.network_loss_ratio!).toBeGreaterThan(fast!.network_loss_ratio!);
    expect(poor!.network_loss_ratio!).toBeGreaterThan(0.01);
    expect(poor!.loss_ratio!).toBeGreaterThanOrEqual(fast!.loss_ratio!);
    expect(poor!.nacks).toBeGreaterThan(fast!.nacks);
    // The mean height on stage over every sample, not one layer's share: the studio's 720p share is a few
    // per cent on both links (viewers spend most of the run on other scenes or zoomed), so either can be larger.
    expect(poor!.stage_height_mean!).toBeLessThan(fast!.stage_height_mean!);
    expect(report.raw.viewers).toHaveLength(20);
    expect(report.raw.series.length).toBeGreaterThan(20);
    expect(report.generator.workers).toBeGreaterThan(0);
    // The SFU's RSS was sampled over the run (the embedded SFU's /metrics; LiveKit's needs --sfu-metrics).
    if ((process.env.SCENECAST_ENGINE ?? 'embedded') === 'embedded') {
      expect(report.sfu!.samples.length).toBeGreaterThan(10);
      expect(report.sfu!.samples.every((s) => s.rssBytes > 10e6)).toBe(true);
      expect(report.metrics.rss_growth_pct).not.toBeNull();
    } else expect(report.sfu?.error).toMatch(/metrics/);
    // Chat went through the moderator as the viewer app's does, and other viewers saw it.
    const chat = report.metrics;
    expect(chat.chat_sent).toBeGreaterThan(15);
    expect(chat.chat_refused).toBe(0);
    expect(chat.chat_muted).toBe(0);
    // (Each message is seen by up to 19 others; a starved machine's moderator may relay some after 10 s.)
    expect(chat.chat_ms.missed).toBeLessThan(chat.chat_sent / 2);
    expect(chat.chat_ms.count).toBeGreaterThan(chat.chat_sent);
    expect(chat.chat_ms.p50!).toBeGreaterThan(0);
  });

  it('a chat flood (3 messages a second each) is refused and muted by the moderator, and counted', async () => {
    const out = join(work, 'flood');
    const { code, stdout } = await load([
      'run',
      ...target(),
      ...['--viewers', '3', '--ramp', '3/s', '--duration', '12s', '--chat', '3/s'],
      ...['--threshold', 'chat_refused==0', '--out', out],
    ]);
    const report = readReport(out);
    if (report.verdict === 'invalid') expect(code).toBe(4);
    else expect(code, stdout).toBe(1);
    expect(stdout).toMatch(/failed thresholds: chat_refused==0\n/);
    expect(report.metrics.chat_sent).toBeGreaterThan(30);
    expect(report.metrics.chat_refused).toBeGreaterThan(0);
    // Five refusals for flooding within 30 s mute a sender (apps/moderator's defaults).
    expect(report.metrics.chat_muted).toBeGreaterThan(0);
  });

  it('report.html draws its charts in Chromium, offline, with no console errors', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1800 } });
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      // Offline: any request leaving the file is refused.
      const requests: string[] = [];
      await page.route('**/*', (route) => {
        if (route.request().url().startsWith('file:')) return route.continue();
        requests.push(route.request().url());
        return route.abort();
      });
      await page.goto(`file://${join(mixed, 'report.html')}`);
      await page.waitForFunction(() => document.body.dataset.charts !== undefined);
      // Ten charts; the SFU's memory only where it was sampled (the embedded SFU's /metrics by default; a
      // livekit-server has its metrics on a prometheus_port of its own, which startStack does not open).
      const sampled = (readReport(mixed).sfu?.samples.length ?? 0) > 0;
      expect(await page.evaluate(() => Number(document.body.dataset.charts))).toBe(sampled ? 10 : 9);
      // Each chart drew something: its canvas has non-blank pixels.
      const drawn = await page.evaluate(() =>
        [...document.querySelectorAll('.uplot canvas')].map((canvas) => {
          const c = canvas as HTMLCanvasElement;
          const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let ink = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) ink++;
          return ink;
        }),
      );
      expect(
        drawn.every((ink) => ink > 500),
        JSON.stringify(drawn),
      ).toBe(true);
      expect(await page.locator('#thresholds tr.pass, #thresholds tr.fail').count()).toBe(7);
      await page.screenshot({ path: join(artifacts, 'report.png'), fullPage: true });
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('impossible thresholds fail the run with exit 1, naming each failing one', async () => {
    const out = join(work, 'impossible');
    const { code, stdout } = await load([
      'run',
      ...target(),
      ...['--viewers', '4', '--ramp', '4/s', '--duration', '8s', '--switch-every', '2s'],
      ...['--threshold', 'switch_first_frame_ms.p95<0', '--threshold', 'bitrate_kbps.p50>1000000000'],
      ...['--threshold', 'join_failures<5', '--out', out],
    ]);
    const report = readReport(out);
    // Exit 1, verdict fail — unless this shared machine starved the generator: then invalid (exit 4) wins, for
    // that reason only, and the failing thresholds are still named.
    if (report.verdict === 'invalid') {
      expect(code).toBe(4);
      for (const reason of report.invalidReasons)
        expect(reason).toMatch(/worker \d|the generator's own sockets/);
    } else {
      expect(code, stdout).toBe(1);
      expect(report.verdict).toBe('fail');
    }
    expect(stdout).toMatch(/failed thresholds: switch_first_frame_ms\.p95<0, bitrate_kbps\.p50>1000000000\n/);
    expect(report.thresholds.map((t) => t.pass)).toEqual([false, false, true]);
  });

  it('a bad scenario exits 2 with one message naming the field, and no stack trace', async () => {
    const file = join(work, 'bad.yaml');
    writeFileSync(file, 'show: demo\nviewers: lots\nduration: 30s\n');
    const bad = await load(['run', '--scenario', file, '--out', join(work, 'bad')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^scenecast-load: scenario .*bad\.yaml: viewers \(--viewers\): .*\n$/);
    writeFileSync(file, 'show: demo\nviewers: 10\nduration: 30s\nprofiles: {5g: 60%, 4g: 60%}\n');
    const shares = await load(['run', '--scenario', file, '--out', join(work, 'bad')]);
    expect(shares.code).toBe(2);
    expect(shares.stderr).toMatch(/profiles .*120 %/);
    writeFileSync(file, 'show: demo\nviewers: [\n');
    const yaml = await load(['run', '--scenario', file, '--out', join(work, 'bad')]);
    expect(yaml.code).toBe(2);
    expect(yaml.stderr).toMatch(/not YAML or JSON/);
    const threshold = await load([
      'run',
      ...target(),
      '--viewers',
      '2',
      '--duration',
      '5s',
      '--threshold',
      'latency<3',
      '--out',
      join(work, 'bad'),
    ]);
    expect(threshold.code).toBe(2);
    expect(threshold.stderr).toMatch(/unknown metric latency/);
    const unknownShow = await load([
      'run',
      '--show',
      'no-such-show',
      '--token-service',
      stack.tokenService.url,
      '--viewers',
      '2',
      '--duration',
      '5s',
      '--out',
      join(work, 'bad'),
    ]);
    expect(unknownShow.code).toBe(2);
    expect(unknownShow.stderr).toMatch(/show: "no-such-show" is not a show/);
    const badKeys = await load([
      'run',
      '--livekit-url',
      stack.engineUrl,
      '--api-key',
      'devkey',
      '--api-secret',
      'wrong',
      '--room',
      'demo',
      '--viewers',
      '2',
      '--duration',
      '5s',
      '--out',
      join(work, 'bad'),
    ]);
    expect(badKeys.code).toBe(2);
    expect(badKeys.stderr).toMatch(/api-key\/api-secret/);
    // Browser viewers on a profile with knobs need the relay; without coturn the run does not start.
    const relaylessOut = join(work, 'no-relay');
    const relayless = await load(
      [
        'run',
        ...target(),
        ...['--viewers', '1', '--duration', '5s', '--profile', '4g', '--browsers', '1'],
        ...['--viewer-url', stack.viewerUrl, '--out', relaylessOut],
      ],
      undefined,
      { TURNSERVER_PATH: '/nonexistent/turnserver' },
    );
    expect(relayless.code).toBe(2);
    expect(relayless.stderr).toMatch(
      /need coturn's turnserver at \/nonexistent\/turnserver \(apt-get install coturn\)/,
    );
    expect(existsSync(relaylessOut)).toBe(false);
    for (const run of [bad, shares, yaml, threshold, unknownShow, badKeys, relayless])
      expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unreachable target exits 3', async () => {
    const port = await closedPort();
    const tokenService = await load([
      'run',
      '--show',
      'demo',
      '--token-service',
      `http://127.0.0.1:${port}`,
      '--viewers',
      '2',
      '--duration',
      '5s',
      '--out',
      join(work, 'x'),
    ]);
    expect(tokenService.code).toBe(3);
    expect(tokenService.stderr).toMatch(/unreachable \(ECONNREFUSED\)/);
    const livekit = await load([
      'run',
      '--livekit-url',
      `ws://127.0.0.1:${port}`,
      '--api-key',
      'devkey',
      '--api-secret',
      'secret',
      '--room',
      'demo',
      '--viewers',
      '2',
      '--duration',
      '5s',
      '--out',
      join(work, 'x'),
    ]);
    expect(livekit.code).toBe(3);
    expect(livekit.stderr).toMatch(/unreachable/);
  });

  it('two shards merged give the counts of both, exactly', async () => {
    const [a, b] = [join(work, 'shard-a'), join(work, 'shard-b')];
    const shard = (out: string, name: string, seed: string) =>
      load([
        'run',
        ...target(),
        '--viewers',
        '5',
        '--ramp',
        '5/s',
        '--duration',
        '12s',
        '--switch-every',
        '2s±1s',
        '--seed',
        seed,
        '--shard',
        name,
        '--workers',
        '1',
        '--out',
        out,
      ]);
    const results = await Promise.all([shard(a, 'a', '1'), shard(b, 'b', '2')]);
    // No thresholds: 0, or 4 when this busy machine made the generator the bottleneck; the sums hold either way.
    for (const r of results) expect([0, 4], r.stdout + r.stderr).toContain(r.code);
    const ab = join(work, 'shard-ab');
    const merged = await load([
      'merge',
      join(a, 'report.json'),
      join(b, 'report.json'),
      '--out',
      ab,
      '--threshold',
      'join_failures<1',
    ]);
    // The merged run is invalid when a shard's generator was starved (this machine); the sums hold either way.
    expect([0, 4], merged.stdout + merged.stderr).toContain(merged.code);
    const [ra, rb, rab] = [readReport(a), readReport(b), readReport(ab)];
    expect(rab.metrics.viewers).toBe(10);
    for (const metric of ['join_ms', 'switch_first_frame_ms', 'switch_sharp_ms', 'zoom_2160_ms'] as const) {
      expect(rab.metrics[metric].count).toBe(ra.metrics[metric].count + rb.metrics[metric].count);
      expect(rab.metrics[metric].missed).toBe(ra.metrics[metric].missed + rb.metrics[metric].missed);
      expect(rab.metrics[metric].max).toBe(
        Math.max(ra.metrics[metric].max ?? 0, rb.metrics[metric].max ?? 0) || null,
      );
    }
    for (const key of ['switches', 'zooms', 'freezes', 'nacks', 'plis', 'disconnects'] as const)
      expect(rab.metrics[key]).toBe(ra.metrics[key] + rb.metrics[key]);
    const counters = (r: Report) => Object.values(r.raw.profiles)[0]!.counters;
    expect(counters(rab).packets).toBe(counters(ra).packets + counters(rb).packets);
    expect(counters(rab).expected).toBe(counters(ra).expected + counters(rb).expected);
    expect(rab.raw.viewers).toHaveLength(10);
    expect(rab.generator.shards.map((s) => s.shard)).toEqual(['a', 'b']);
    expect(rab.thresholds).toEqual([
      { metric: 'join_failures', expression: 'join_failures<1', value: 0, pass: true },
    ]);
    // The HTML report rebuilds from the merged JSON.
    const rebuilt = await load(['report', join(ab, 'report.json')]);
    expect(rebuilt.code).toBe(0);
    expect(readFileSync(join(ab, 'report.html'), 'utf8')).toContain('uPlot');
  });

  it('--browsers 1: a real Chromium viewer runs the viewer app beside the simulated ones, its timings and decoder stats in the report', async () => {
    const out = join(work, 'browser');
    const { code, stdout, stderr } = await load([
      'run',
      ...target(),
      ...['--viewers', '4', '--ramp', '4/s', '--duration', '25s', '--switch-every', '4s±1s'],
      ...['--profile', 'none'],
      ...['--zoom-probability', '0', '--browsers', '1', '--viewer-url', stack.viewerUrl, '--out', out],
    ]);
    expect([0, 4], stdout + stderr).toContain(code);
    const { browsers, metrics } = readReport(out);
    console.log(JSON.stringify(browsers));
    expect(metrics.viewers).toBe(4);
    expect(browsers!.count).toBe(1);
    expect(browsers!.join_ms).toHaveLength(1);
    expect(browsers!.join_ms[0]).toBeGreaterThan(0);
    // A switch every 4 s in what is left of 25 s after the page loaded, each timed by the viewer app itself.
    expect(browsers!.switch_first_frame_ms.length).toBeGreaterThanOrEqual(1);
    expect(browsers!.framesDecoded).toBeGreaterThan(30);
    expect(browsers!.packetsReceived).toBeGreaterThan(100);
    expect(browsers!.consoleErrors).toEqual([]);
    // On `none` (no knobs) it connects directly, and the report says so.
    expect(browsers!.viewers).toMatchObject([{ profile: 'none', via: 'direct', knobs: [], link: null }]);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('Browser viewers');
  });

  // A machine starved of CPU (load 29 on 2 cores here once) can hold both browsers at the lowest layer: then
  // the SFU's estimate of a starved Chromium, not the link, decided, and one more run is fair.
  it('--browsers 2 on 5g and 4g-poor: real Chromium viewers, each through its profile’s link (a TURN relay behind a link proxy), receive less on 4g-poor, and the report names each one’s profile and knobs', {
    ...skipWhen(noRelay),
    retry: 1,
  }, async () => {
    const out = join(work, 'browsers');
    // Zoomed from a second after joining to the end: the studio's top layer (2.5 Mbit/s) fits 5g, not 4g-poor's 1.5 Mbit/s.
    const { code, stdout, stderr } = await load([
      'run',
      ...target(),
      ...['--viewers', '2', '--ramp', '4/s', '--duration', '40s', '--profile', '5g=50%,4g-poor=50%'],
      ...['--switch-every', '1s±0s', '--zoom-probability', '1', '--zoom-dwell', '60s', '--seed', '3'],
      ...['--browsers', '2', '--viewer-url', stack.viewerUrl, '--out', out],
    ]);
    expect([0, 4], stdout + stderr).toContain(code);
    const { browsers, metrics } = readReport(out);
    console.log(JSON.stringify(browsers));
    expect(metrics.viewers).toBe(2);
    expect(browsers!.count).toBe(2);
    expect(browsers!.consoleErrors).toEqual([]);
    const byProfile = Object.fromEntries(browsers!.viewers!.map((v) => [v.profile, v]));
    const fast = byProfile['5g']!;
    const poor = byProfile['4g-poor']!;
    for (const v of [fast, poor]) {
      expect(v.via).toBe('turn-relay');
      expect(v.join_ms).toBeGreaterThan(0);
      // The decoder's stats.
      expect(v.framesDecoded).toBeGreaterThan(30);
      expect(v.packetsReceived).toBeGreaterThan(100);
      // Everything it received crossed its link.
      expect(v.link!.down.delivered).toBeGreaterThan(v.packetsReceived);
    }
    expect(fast.knobs).toEqual(['rateKbps', 'queueBytes', 'delayMs', 'jitterMs', 'loss']);
    expect(poor.knobs).toEqual(['rateKbps', 'queueBytes', 'delayMs', 'jitterMs', 'loss', 'burst']);
    // With their settings: the profiles' own numbers.
    expect(poor.settings.down).toMatchObject({ rateKbps: 1500, delayMs: 60, burst: { p: 0.01, r: 0.3 } });
    expect(fast.settings.up).toMatchObject({ rateKbps: 21_000, delayMs: 12 });
    // The poor link lost packets at random and in bursts; the video it let through
    // fits its 1.5 Mbit/s, and is less and smaller than what the 5g browser got (on this machine, embedded SFU:
    // 360p at ~390 kbit/s against 720p at ~1.7 Mbit/s).
    expect(poor.link!.down.lostRandom).toBeGreaterThan(0);
    expect(poor.link!.down.lostBurst).toBeGreaterThan(0);
    expect(poor.bitrate_kbps!).toBeLessThan(1500);
    expect(poor.bitrate_kbps!).toBeLessThan(fast.bitrate_kbps!);
    expect(poor.stage_height_p50!).toBeLessThan(fast.stage_height_p50!);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('Browser viewers');
  });

  it('Ctrl-C stops the run and writes the partial report', async () => {
    const out = join(work, 'interrupted');
    const { code, stdout } = await load(
      [
        'run',
        ...target(),
        '--viewers',
        '4',
        '--ramp',
        '4/s',
        '--duration',
        '5m',
        '--switch-every',
        '2s',
        '--out',
        out,
      ],
      // Once a viewer has joined and a few seconds passed (a busy machine starts workers slowly).
      /viewers [1-4]\/4, join p95 \d+ ms, switch p95 \d+ ms/,
    );
    expect(code).toBe(130);
    expect(stdout).toMatch(/interrupted, partial/);
    const report = readReport(out);
    expect(report.interrupted).toBe(true);
    expect(report.metrics.viewers).toBe(4);
    expect(report.metrics.join_ms.count).toBeGreaterThanOrEqual(1);
    expect(report.generator.shards[0]!.durationSeconds).toBeLessThan(40);
  });
});
