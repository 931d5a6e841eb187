// Publish link (#12): from a phone opening a feed's publish link to (a) the feed live in the console's view
// (the token service's feed `live`, set from the engine's participant_joined/track_published webhooks and
// read through the same listShows the console polls — polled here every 50 ms, not the console's 2 s) and
// (b) the first decoded frame of its picture at a subscriber (@livekit/rtc-node with a viewer token, already
// in the room). The phone is the console's own publish page in a phone-sized Chromium page (Chromium's fake
// camera); each run the link is made fresh through the token service as the console makes it, opened, Start
// pressed, then Stop and the page closed. Baseline in the same run: open → the camera preview ready (Start
// enabled), which no engine takes part in. Both engines, each with its own stack.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Room, RoomEvent, TrackKind, VideoStream } from '@livekit/rtc-node';
import { type Stack, startStack } from '@scenecast/demo';
import { type EngineName, engineNames } from '@scenecast/engine';
import { launchChromium, waitFor } from '@scenecast/testkit';
import { percentile } from '../percentile.js';

type Browser = Awaited<ReturnType<typeof launchChromium>>;

const runs = Number(process.env.BENCH_RUNS ?? 20);
const showId = 'demo';
const scene = 'farm';

interface Run {
  /** Open → the camera preview ready (Start enabled): the baseline, no engine involved. */
  preview: number;
  /** Open → the phone's page says Live (connected, its tracks published). */
  phoneLive: number;
  /** Open → the feed live in the token service's (the console's) view. */
  live: number;
  /** Open → the first decoded frame at the subscriber. */
  firstFrame: number;
}

/** The feed's live state as the console reads it (the brand's listShows). */
async function feedLive(stack: Stack, feedId: string): Promise<boolean> {
  const { shows } = await stack.brand.listShows();
  const feed = shows
    .find((s) => s.id === showId)
    ?.scenes.flatMap((s) => s.feeds)
    .find((f) => f.id === feedId);
  if (!feed) throw new Error(`feed ${feedId} is not in show ${showId}`);
  return feed.live;
}

/** Polls `check` every 50 ms; resolves with Date.now() when it first holds. */
async function when(check: () => Promise<boolean>, what: string): Promise<number> {
  await waitFor(check, { what, timeoutMs: 60_000, intervalMs: 50 });
  return Date.now();
}

async function once(stack: Stack, browser: Browser, feedId: string): Promise<Run> {
  const subscriber = new Room();
  let firstFrameAt: number | undefined;
  subscriber.on(RoomEvent.TrackSubscribed, async (track) => {
    if (track.kind !== TrackKind.KIND_VIDEO) return;
    const reader = new VideoStream(track).getReader();
    await reader.read();
    firstFrameAt ??= Date.now();
    reader.releaseLock();
  });
  const { token } = await stack.brand.viewerToken(showId);
  await subscriber.connect(stack.engineUrl, token);
  // The link the console's "Publish from a device" makes.
  const { url } = await stack.brand.publishLink(feedId);
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  try {
    const page = await context.newPage();
    const openedAt = Date.now();
    await page.goto(url);
    const start = page.locator('[data-testid=start-publishing]:enabled');
    await start.waitFor({ timeout: 60_000 });
    const previewAt = Date.now();
    await start.click();
    const [phoneLiveAt, liveAt] = await Promise.all([
      page
        .locator('[data-testid=publish-state]:text-is("Live")')
        .waitFor({ timeout: 60_000 })
        .then(() => Date.now()),
      when(() => feedLive(stack, feedId), 'the feed live in the console'),
      waitFor(() => firstFrameAt !== undefined, {
        what: 'the first frame at the subscriber',
        timeoutMs: 60_000,
      }),
    ]);
    await page.click('button:text("Stop")');
    await when(async () => !(await feedLive(stack, feedId)), 'the feed offline after Stop');
    return {
      preview: previewAt - openedAt,
      phoneLive: phoneLiveAt - openedAt,
      live: liveAt - openedAt,
      firstFrame: firstFrameAt! - openedAt,
    };
  } finally {
    await context.close();
    await subscriber.disconnect();
  }
}

async function measure(engine: EngineName): Promise<Run[]> {
  // No synthetic cameras: the only camera is the phone page's.
  const stack = await startStack({
    engine,
    stateDir: mkdtempSync(join(tmpdir(), 'bench-publish-link-')),
    cameras: [],
  });
  const browser = await launchChromium();
  try {
    const feedId = stack.seeded.feeds[scene]!;
    const results: Run[] = [];
    for (let i = 0; i < runs; i++) results.push(await once(stack, browser, feedId));
    return results;
  } finally {
    await browser.close();
    await stack.close();
  }
}

export async function run(): Promise<void> {
  const results = new Map<EngineName, Run[]>();
  for (const engine of engineNames) results.set(engine, await measure(engine));
  console.log(
    `${runs} runs per engine: a fresh publish link (the token service, as the console makes it) opened in the ` +
      "console's publish page in a 390x844 Chromium page (fake camera), Start pressed; the feed's live state " +
      'polled every 50 ms through listShows (what the console shows), the first frame decoded by an rtc-node ' +
      'subscriber already in the room; then Stop\n',
  );
  console.log('| link opened → | engine | p50 ms | p95 ms | max ms |\n| --- | --- | ---: | ---: | ---: |');
  const rows: [string, keyof Run][] = [
    ['camera preview ready (baseline, no engine)', 'preview'],
    ["the phone's page says Live", 'phoneLive'],
    ['feed live in the console', 'live'],
    ['first frame at a subscriber', 'firstFrame'],
  ];
  for (const [label, key] of rows)
    for (const [engine, runs] of results) {
      const times = runs.map((r) => r[key]);
      console.log(
        `| ${label} | ${engine} | ${percentile(times, 50).toFixed(0)} | ${percentile(times, 95).toFixed(0)} | ${Math.max(...times).toFixed(0)} |`,
      );
    }
  if (process.env.BENCH_DEBUG) console.log(JSON.stringify(Object.fromEntries(results)));
}
