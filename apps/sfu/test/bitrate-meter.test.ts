// A layer's bitrate as the receiver measures it: the highest 2-s mean of the last 8 s, so neither a
// keyframe's burst nor an encoder's dip reads as what the layer costs.
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

  it('keeps the peak of the last 8 s, so a dip does not read as room to step up', () => {
    const meter = new BitrateMeter();
    const seen = new Map<number, number | undefined>();
    for (let ms = 0; ms <= 16_000; ms += 100) {
      meter.add(ms < 4000 ? 12_500 : 6_250, ms); // 1 Mbit/s for 4 s, then 0.5 Mbit/s
      if (ms % 2000 === 0) seen.set(ms, meter.bps(ms));
    }
    expect(seen.get(6000)).toBe(1_000_000);
    expect(seen.get(10_000)).toBe(1_000_000); // the 1-Mbit/s stretch is still within the last 8 s
    expect(seen.get(14_000)).toBe(500_000);
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
