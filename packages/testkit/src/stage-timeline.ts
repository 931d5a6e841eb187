// What a viewer's stage showed, frame by frame: recorded in the page (every frame the stage video
// presents, and every 250 ms the viewer's own account of its connection), read back and judged here.
// The slow-link test and benchmark share it.
import type { Page } from 'playwright-core';

export interface StageTimeline {
  /** Every frame the stage presented: page time (ms) and its height. */
  frames: Array<[at: number, height: number]>;
  /** Every 250 ms: connection state, quality grade, the "slow connection" note, the badge, Mbit/s. */
  states: Array<
    [at: number, connection: string, quality: string, note: boolean, badge: string, mbps: number]
  >;
  /** The page's clock when read. */
  now: number;
}

/** The page's globals the recorder touches, typed just enough (this package compiles without the DOM). */
interface PageElement {
  textContent: string | null;
  requestVideoFrameCallback(callback: (now: number, meta: { height: number }) => void): void;
}
interface PageGlobals {
  __timeline: Omit<StageTimeline, 'now'>;
  /** The viewer app's own account of its connection (App.tsx). */
  scenecast?: { connection?: string; quality?: string };
  document: { querySelector(selector: string): PageElement | null };
}

/** Starts recording (again: from now on) the stage of the viewer app in `page`; returns the page's time. */
export function recordStage(page: Page): Promise<number> {
  return page.evaluate(() => {
    const w = globalThis as unknown as PageGlobals;
    const again = w.__timeline !== undefined;
    w.__timeline = { frames: [], states: [] };
    if (again) return performance.now();
    const video = w.document.querySelector('[data-testid="stage-video"]')!;
    const onFrame = (_: number, meta: { height: number }) => {
      w.__timeline.frames.push([performance.now(), meta.height]);
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    setInterval(() => {
      const $ = (selector: string) => w.document.querySelector(selector);
      w.__timeline.states.push([
        performance.now(),
        w.scenecast?.connection ?? '',
        w.scenecast?.quality ?? '',
        $('[data-testid="quality-note"]') !== null,
        $('[data-testid="resolution-badge"]')?.textContent ?? '',
        // The stats panel's "Bitrate" (inbound-rtp of the stage, once a second), in Mbit/s.
        Number.parseFloat($('[data-stat="bitrate"]')?.textContent ?? '') || 0,
      ]);
    }, 250);
    return performance.now();
  });
}

/** What has been recorded so far. */
export function stageTimeline(page: Page): Promise<StageTimeline> {
  return page.evaluate(() => {
    const w = globalThis as unknown as PageGlobals;
    return { ...w.__timeline, now: performance.now() };
  });
}

/**
 * Longest stretch without a new frame between two page times (ms). `excused` leaves out a stretch between
 * two frames that the caller can explain otherwise (given its ends and the height shown before it; none
 * for the stretch from `from`).
 */
export function longestFreeze(
  frames: StageTimeline['frames'],
  from: number,
  to: number,
  excused?: (start: number, end: number, height: number | undefined) => boolean,
): number {
  let longest = 0;
  let previous = from;
  let height: number | undefined;
  for (const [at, h] of frames) {
    if (at <= from) continue;
    if (at > to) break;
    if (!excused?.(previous, at, height)) longest = Math.max(longest, at - previous);
    previous = at;
    height = h;
  }
  return Math.max(longest, to - previous);
}

export interface StageStats {
  fps: number;
  /** Freezes as WebRTC counts them: a gap over max(3 × the mean interval, mean + 150 ms). */
  freezes: number;
  /** Their total length, ms. */
  frozenMs: number;
  longestFreezeMs: number;
  /** Share of the time each frame height was on screen (a frame stays until the next). */
  heightShare: Record<number, number>;
}

/** Frame rate, freezes and layer time share of the stage between two page times. */
export function stageStats(frames: StageTimeline['frames'], from: number, to: number): StageStats {
  const inside = frames.filter(([at]) => at > from && at <= to);
  const span = to - from;
  const gaps = inside.slice(1).map(([at], i) => at - inside[i]![0]);
  const mean = gaps.length > 0 ? gaps.reduce((a, b) => a + b, 0) / gaps.length : span;
  const threshold = Math.max(3 * mean, mean + 150);
  // The stretches before the first frame and after the last count as frozen too.
  const edges = [(inside[0]?.[0] ?? to) - from, to - (inside.at(-1)?.[0] ?? from)];
  const frozen = [...gaps, ...edges].filter((gap) => gap > threshold);
  const heightShare: Record<number, number> = {};
  inside.forEach(([at, height], i) => {
    const until = inside[i + 1]?.[0] ?? to;
    heightShare[height] = (heightShare[height] ?? 0) + (until - at) / span;
  });
  return {
    fps: (inside.length * 1000) / span,
    freezes: frozen.length,
    frozenMs: frozen.reduce((a, b) => a + b, 0),
    longestFreezeMs: longestFreeze(frames, from, to),
    heightShare,
  };
}

/** A compact account of a stretch, for failure messages and logs: frames and heights per second. */
export function stageSummary(t: StageTimeline, from: number, to: number): string {
  const lines: string[] = [];
  for (let s = from; s < to; s += 1000) {
    const frames = t.frames.filter(([at]) => at >= s && at < s + 1000);
    const state = t.states.find(([at]) => at >= s);
    lines.push(
      `${((s - from) / 1000).toFixed(0).padStart(3)}s ${String(frames.length).padStart(2)} frames ` +
        `${[...new Set(frames.map(([, h]) => h))].join('/') || '-'} ${state ? `${state[1]} ${state[2]}${state[3] ? ' note' : ''} [${state[4]}] ${state[5]} Mbit/s` : ''}`,
    );
  }
  return lines.join('\n');
}
