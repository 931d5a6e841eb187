// Freezes and pauses counted as the W3C webrtc-stats define them, gap by gap.
import { describe, expect, it } from 'vitest';
import { FreezeCounter } from '../src/video.js';

const counted = (gaps: number[]) => {
  const counter = new FreezeCounter();
  for (const gap of gaps) counter.add(gap);
  return counter;
};
const steady = (gapMs: number, frames = 30) => new Array<number>(frames).fill(gapMs);

describe('freeze counter', () => {
  it('a gap of max(3 × mean, mean + 150 ms) or more is a freeze, its whole length frozen', () => {
    // 15 fps: mean 66.7 ms, so a freeze from 216.7 ms.
    expect(counted([...steady(66.7), 200]).freezes).toBe(0);
    const frozen = counted([...steady(66.7), 250, ...steady(66.7, 10), 400]);
    expect(frozen.freezes).toBe(2);
    expect(frozen.frozenMs).toBeCloseTo(650);
    // 2 fps: 3 × mean rules; 1.4 s is a slow frame, 1.6 s a freeze.
    expect(counted([...steady(500), 1400]).freezes).toBe(0);
    expect(counted([...steady(500), 1600]).freezes).toBe(1);
  });

  it('the mean is over the last 30 gaps: a track that slows down is judged by its new pace', () => {
    // After 30 gaps of 200 ms (a low layer at 5 fps), 500 ms is not a freeze even though the track ran
    // at 15 fps before.
    expect(counted([...steady(66.7), ...steady(200), 500]).freezes).toBe(0);
    expect(counted([...steady(66.7), ...steady(200, 5), 500]).freezes).toBe(1);
  });

  it('judges nothing before 5 frames', () => {
    expect(counted([66, 66, 66, 66, 900]).freezes).toBe(0);
    expect(counted([66, 66, 66, 66, 66, 900]).freezes).toBe(1);
  });

  it('a gap of 5 s or more is a pause, not a freeze, and leaves the mean alone', () => {
    const paused = counted([...steady(66.7), 7000, 250]);
    expect(paused.pauses).toBe(1);
    expect(paused.pausedMs).toBe(7000);
    expect(paused.freezes).toBe(1);
    expect(paused.frozenMs).toBe(250);
  });

  it('isFreeze says whether a gap still open would be one', () => {
    const counter = counted(steady(100));
    expect(counter.isFreeze(299)).toBe(false);
    expect(counter.isFreeze(300)).toBe(true);
  });
});
