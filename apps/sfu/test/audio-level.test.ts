// Active-speaker levels from RFC 6464 audio levels, on a clock the test drives.
import { describe, expect, it } from 'vitest';
import { AudioLevel, activeLevelDbov, linearLevel, observeWindowMs } from '../src/sfu/audio-level.js';

function meter() {
  let now = 0;
  const level = new AudioLevel(() => now);
  /** Feeds `ms` of 20-ms packets at `dbov` each (or nothing, for `undefined`). */
  const feed = (ms: number, dbov: number | undefined) => {
    for (let t = 0; t < ms; t += 20) {
      if (dbov !== undefined) level.observe(dbov);
      now += 20;
    }
  };
  return { level, feed };
}

describe('AudioLevel', () => {
  it('reports a voice louder than the threshold, near its own loudness', () => {
    const { level, feed } = meter();
    feed(3 * observeWindowMs, 10);
    expect(level.level()).toBeGreaterThan(0.8 * linearLevel(10));
    expect(level.level()).toBeLessThanOrEqual(linearLevel(10));
  });

  it('reports silence for sound quieter than the threshold (room tone, a quiet ambience)', () => {
    const { level, feed } = meter();
    feed(5 * observeWindowMs, activeLevelDbov + 5);
    expect(level.level()).toBe(0);
  });

  it('needs speech in enough of a window: a short click is not a speaker', () => {
    const { level, feed } = meter();
    feed(60, 0); // 60 ms loud in a 400-ms window
    feed(observeWindowMs * 2, 127);
    expect(level.level()).toBe(0);
  });

  it('ends a speaker soon after the voice stops, and when packets stop (mute, DTX, gone)', () => {
    const { level, feed } = meter();
    feed(2 * observeWindowMs, 5);
    expect(level.level()).toBeGreaterThan(0);
    feed(2 * observeWindowMs, 127);
    expect(level.level()).toBe(0);

    feed(2 * observeWindowMs, 5);
    expect(level.level()).toBeGreaterThan(0);
    feed(3 * observeWindowMs, undefined);
    expect(level.level()).toBe(0);
  });

  it('smooths a voice that gets quieter over the windows it keeps speaking in', () => {
    const { level, feed } = meter();
    feed(4 * observeWindowMs, 0);
    expect(level.level()).toBeCloseTo(1, 5);
    feed(observeWindowMs, 20);
    // Halfway from full scale towards -20 dBov (0.1), not all the way.
    expect(level.level()).toBeCloseTo((1 + linearLevel(20)) / 2, 5);
  });
});
