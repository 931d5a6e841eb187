// The demo left running, as a person leaves `npm start` running, with a real viewer watching — but with the
// session timers shortened so the minutes that matter pass in seconds (issue #18: the SFU died at the first
// token refresh, 5 minutes after the cameras joined, and took the whole demo with it):
//   token refresh            5 min -> 2 s   (SFU_TOKEN_REFRESH_MS)
//   viewer token lifetime   15 min -> 5 s   (VIEWER_TOKEN_TTL): a reconnect works only with a refreshed token
//   feed token lifetime       1 h  -> 5 s   (FEED_TOKEN_TTL)
// So two minutes here hold 60 refreshes and two dozen token lifetimes. Midway the SFU is killed: the
// supervisor restarts it, and the viewer and the cameras come back by themselves.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScenecastClient } from '@scenecast/contract';
import { type DemoUrls, readBanner } from '@scenecast/demo';
import { launchChromium, waitFor } from '@scenecast/testkit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const artifacts = join(import.meta.dirname, '..', 'test-results');
const phaseMs = 60_000;
mkdirSync(artifacts, { recursive: true });
let demo: ChildProcess | undefined;
let browser: Browser | undefined;
let output = '';
/** Where the demo says its parts are, from its banner. */
let urls: DemoUrls;

afterAll(async () => {
  await browser?.close();
  if (demo?.pid) {
    try {
      process.kill(-demo.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** The demo's SFU process: the child of the demo's launcher running the SFU's entry point. */
function sfuPid(): number {
  const table = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' });
  const line = table
    .split('\n')
    .map((row) => row.trim().split(/\s+/))
    .find(([, ppid, , ...args]) => Number(ppid) === demo!.pid && args.join(' ').includes('sfu/dist/main.js'));
  if (!line) throw new Error('no SFU process under the demo');
  return Number(line[0]);
}

/** Frames the stage has decoded so far. */
const stageFrames = (page: Page) =>
  page.evaluate(
    () =>
      document.querySelector<HTMLVideoElement>('[data-testid="stage-video"]')?.getVideoPlaybackQuality()
        .totalVideoFrames ?? 0,
  );

/** What the page tells the viewer besides the picture: the stage's note and the connection banner. */
const notices = (page: Page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="stage-status"], .banner')]
      .map((e) => e.textContent)
      .join(' | '),
  );

async function stagePlays(page: Page, what: string, timeoutMs = 20_000): Promise<void> {
  const before = await stageFrames(page);
  // A new track on the stage (after a reconnect) starts the element's frame count afresh.
  const advanced = (now: number) => (now >= before ? now - before : now) > 5;
  try {
    await waitFor(async () => advanced(await stageFrames(page)), { what, timeoutMs });
  } catch (error) {
    await page.screenshot({ path: join(artifacts, 'soak-failure.png') });
    throw new Error(`${(error as Error).message}; the page says: ${await notices(page)}`);
  }
}

async function scenesLive(): Promise<boolean> {
  const show = await new ScenecastClient({ baseUrl: urls.tokenService }).getShow('demo');
  return show.scenes.length === 3 && show.scenes.every((scene) => scene.live);
}

/** Watches for a phase: the demo stays up and the viewer keeps playing, checked every few seconds. */
async function stayUp(page: Page, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    expect(demo!.exitCode, `the demo exited:\n${output.slice(-2000)}`).toBeNull();
    await stagePlays(page, 'the stage still playing');
    await new Promise((resolve) => setTimeout(resolve, 5_000));
  }
}

describe('the demo left running', () => {
  it('keeps serving a viewer through 60 token refreshes and an SFU crash', async () => {
    demo = spawn(process.execPath, [join(root, 'apps', 'demo', 'dist', 'main.js')], {
      cwd: root,
      detached: true,
      env: {
        ...process.env,
        // Any free ports: the banner says which (a restarted SFU comes back on the port it got).
        SFU_PORT: '0',
        TOKEN_SERVICE_PORT: '0',
        VIEWER_PORT: '0',
        CONSOLE_PORT: '0',
        DEMO_STATE_DIR: mkdtempSync(join(tmpdir(), 'soak-')),
        DEMO_FPS: '5',
        DEMO_STUDIO_SIZE: '1280x720',
        SFU_TOKEN_REFRESH_MS: '2000',
        VIEWER_TOKEN_TTL: '5s',
        FEED_TOKEN_TTL: '5s',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [demo.stdout, demo.stderr])
      stream?.on('data', (chunk) => {
        output += chunk;
      });
    urls = await waitFor(() => readBanner(output), {
      what: `the demo's banner (output so far: ${output.slice(-800)})`,
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    await waitFor(scenesLive, { what: 'all three scenes live', timeoutMs: 60_000 });

    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(urls.showUrl);
    await stagePlays(page, 'the stage playing', 60_000);

    // A minute: 30 refreshes, every original token long expired.
    await stayUp(page, phaseMs);

    // The SFU dies: the supervisor restarts it; cameras and the viewer reconnect on their own, the viewer
    // with the token the SFU last refreshed (its original one expired long ago).
    process.kill(sfuPid(), 'SIGKILL');
    // Meanwhile the viewer is told the truth: its connection is down, not the cameras.
    await waitFor(async () => (await notices(page)).includes('check your connection'), {
      what: 'the stage saying the connection is down',
    });
    expect(await notices(page)).not.toContain('is offline');
    await waitFor(() => output.includes('restarted'), { what: 'the SFU restarted', timeoutMs: 30_000 });
    await waitFor(scenesLive, { what: 'all three scenes live again', timeoutMs: 60_000 });
    await stagePlays(page, 'the stage playing again', 60_000);

    // Another minute on the restarted SFU.
    await stayUp(page, phaseMs);

    // The one crash was ours; nothing else exited, nothing stopped the demo.
    const exits = output.split('\n').filter((line) => line.includes('exited'));
    expect(exits, output.slice(-3000)).toHaveLength(1);
    expect(exits[0]).toMatch(/^\S*sfu/);
    expect(output).not.toContain('stopping the demo');
    const metrics = await (await fetch(`${urls.engineUrl.replace(/^ws/, 'http')}/metrics`)).text();
    expect(metrics).not.toMatch(/livekit_callback_error_total\{where="token_refresh"\} [1-9]/);
  }, 420_000);
});
