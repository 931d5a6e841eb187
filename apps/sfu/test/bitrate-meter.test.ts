// A layer's bitrate as the receiver measures it: the mean of the last 2 s, not a keyframe's burst.
import { describe, expect, it } from 'vitest';
import { BitrateMeter } from '../src/sfu/bitrate-meter.js';

describe('BitrateMeter', () => {
  it('knows nothing before a second of data', () => {
    const meter = new BitrateMeter();
    meter.add(1000, 0);
    expect(meter.bps(400)).toBeUndefined();
    expect(meter.bps(999)).toBeUndefined();
    expect(meter.bps(1000)).toBe(8000);
  });

  it('averages over 2 s so a keyframe does not read as the rate', () => {
    const meter = new BitrateMeter();
    // 1 Mbit/s in 15 frames a second, one 60 kB keyframe among them.
    for (let ms = 0; ms < 4000; ms += 1000 / 15)
      meter.add(ms === 0 || Math.abs(ms - 2000) < 1 ? 60_000 : 8333, ms);
    expect(meter.bps(4000)! / 1e6).toBeGreaterThan(0.95);
    expect(meter.bps(4000)! / 1e6).toBeLessThan(1.3);
  });

  it('forgets a stream that stopped', () => {
    const meter = new BitrateMeter();
    for (let ms = 0; ms < 3000; ms += 100) meter.add(1250, ms);
    expect(meter.bps(3000)).toBe(100_000);
    expect(meter.bps(6000)).toBeUndefined();
    meter.add(1250, 60_000);
    expect(meter.bps(60_100)).toBeUndefined();
  });
});
