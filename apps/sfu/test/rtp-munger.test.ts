// Sequence-number and timestamp munging of one outgoing stream: wraparound, layer switches, dropped
// padding and packets that arrive out of order around it.
import { describe, expect, it } from 'vitest';
import { RangeMap } from '../src/sfu/range-map.js';
import { RtpMunger, seqAfter, seqDiff } from '../src/sfu/rtp-munger.js';

/** One step: switch to a new source at this packet, or map a packet and expect its output (or a drop). */
type Step =
  | { switchTo: [seq: number, ts: number]; at?: number }
  | { seq: number; ts: number; padding?: boolean; at?: number; out: [seq: number, ts: number] | 'drop' };

const clockRate = 90_000;

function run(steps: Step[]): void {
  const munger = new RtpMunger();
  for (const [index, step] of steps.entries()) {
    if ('switchTo' in step) {
      munger.switchTo(step.switchTo[0], step.switchTo[1], clockRate, step.at ?? 0);
      continue;
    }
    const header = munger.map(step.seq, step.ts, step.padding ?? false, step.at ?? 0);
    const got = header ? [header.sequenceNumber, header.timestamp] : 'drop';
    expect(got, `step ${index}: seq ${step.seq}${step.padding ? ' (padding)' : ''}`).toEqual(step.out);
  }
}

describe('RtpMunger', () => {
  const cases: Array<[string, Step[]]> = [
    [
      'passes the first source through unchanged',
      [
        { switchTo: [100, 9000] },
        { seq: 100, ts: 9000, out: [100, 9000] },
        { seq: 101, ts: 9000, out: [101, 9000] },
        { seq: 102, ts: 12_000, out: [102, 12_000] },
      ],
    ],
    [
      'follows the 16-bit sequence number across its wrap, in order and out of order',
      [
        { switchTo: [65_533, 1] },
        { seq: 65_533, ts: 1, out: [65_533, 1] },
        { seq: 65_534, ts: 1, out: [65_534, 1] },
        { seq: 0, ts: 2, out: [0, 2] },
        { seq: 65_535, ts: 1, out: [65_535, 1] },
        { seq: 1, ts: 2, out: [1, 2] },
      ],
    ],
    [
      'follows the 32-bit timestamp across its wrap, also across a layer switch',
      [
        { switchTo: [10, 0xffff_ff00], at: 0 },
        { seq: 10, ts: 0xffff_ff00, out: [10, 0xffff_ff00] },
        { seq: 11, ts: 0xffff_ff80, out: [11, 0xffff_ff80] },
        // 20 ms later another source starts: 1800 ticks after the last timestamp sent, past the wrap.
        { switchTo: [5000, 1000], at: 20 },
        { seq: 5000, ts: 1000, at: 20, out: [12, 1800 - 0x80] },
        { seq: 5001, ts: 4000, at: 30, out: [13, 4800 - 0x80] },
        // 10 ms later a source whose own timestamp wraps.
        { switchTo: [6000, 0xffff_fff0], at: 40 },
        { seq: 6000, ts: 0xffff_fff0, at: 40, out: [14, 4800 - 0x80 + 900] },
        { seq: 6001, ts: 0x10, at: 40, out: [15, 4800 - 0x80 + 900 + 0x20] },
      ],
    ],
    [
      'continues the numbering across a layer switch and drops what the new source sent before it',
      [
        { switchTo: [40_000, 500_000], at: 0 },
        { seq: 40_000, ts: 500_000, out: [40_000, 500_000] },
        { seq: 40_001, ts: 503_000, out: [40_001, 503_000] },
        { switchTo: [7, 90], at: 0 }, // same instant: the timestamp still advances one tick
        { seq: 6, ts: 90, out: 'drop' },
        { seq: 7, ts: 90, out: [40_002, 503_001] },
        { seq: 5, ts: 0, out: 'drop' },
        { seq: 8, ts: 3090, out: [40_003, 506_001] },
      ],
    ],
    [
      'switches across the wrap of the outgoing sequence number',
      [
        { switchTo: [65_535, 0] },
        { seq: 65_535, ts: 0, out: [65_535, 0] },
        { switchTo: [300, 0], at: 1000 },
        { seq: 300, ts: 0, at: 1000, out: [0, 90_000] },
        { seq: 301, ts: 10, at: 1000, out: [1, 90_010] },
      ],
    ],
    [
      'drops in-order padding without a hole in the output',
      [
        { switchTo: [100, 0] },
        { seq: 100, ts: 0, out: [100, 0] },
        { seq: 101, ts: 0, padding: true, out: 'drop' },
        { seq: 102, ts: 0, padding: true, out: 'drop' },
        { seq: 103, ts: 3000, out: [101, 3000] },
      ],
    ],
    [
      'gives a late packet from before dropped padding its own number, not the shifted one',
      [
        { switchTo: [98, 0] },
        { seq: 98, ts: 0, out: [98, 0] },
        { seq: 100, ts: 0, out: [100, 0] }, // 99 is late
        { seq: 101, ts: 0, padding: true, out: 'drop' },
        { seq: 102, ts: 3000, out: [101, 3000] },
        { seq: 99, ts: 0, out: [99, 0] },
      ],
    ],
    [
      'drops padding that follows a gap, keeping the gap for the packets still to come',
      [
        { switchTo: [100, 0] },
        { seq: 100, ts: 0, out: [100, 0] },
        { seq: 103, ts: 0, padding: true, out: 'drop' }, // 101 and 102 are late
        { seq: 104, ts: 3000, out: [103, 3000] },
        { seq: 102, ts: 0, out: [102, 0] },
        { seq: 101, ts: 0, out: [101, 0] },
        { seq: 103, ts: 0, padding: true, out: 'drop' }, // its slot is gone
      ],
    ],
    [
      'numbers packets correctly between several dropped paddings',
      [
        { switchTo: [1, 0] },
        { seq: 1, ts: 0, out: [1, 0] },
        { seq: 3, ts: 0, padding: true, out: 'drop' },
        { seq: 5, ts: 0, out: [4, 0] },
        { seq: 6, ts: 0, padding: true, out: 'drop' },
        { seq: 8, ts: 0, out: [6, 0] },
        { seq: 7, ts: 0, out: [5, 0] },
        { seq: 4, ts: 0, out: [3, 0] },
        { seq: 2, ts: 0, out: [2, 0] },
      ],
    ],
    [
      'fills the slot of late padding with the padding itself',
      [
        { switchTo: [100, 0] },
        { seq: 100, ts: 0, out: [100, 0] },
        { seq: 102, ts: 0, out: [102, 0] },
        { seq: 101, ts: 0, padding: true, out: [101, 0] },
      ],
    ],
    [
      'drops padding and late packets across the wrap of the incoming sequence number',
      [
        { switchTo: [65_534, 0] },
        { seq: 65_534, ts: 0, out: [65_534, 0] },
        { seq: 0, ts: 0, padding: true, out: 'drop' }, // 65535 is late
        { seq: 1, ts: 0, out: [0, 0] },
        { seq: 65_535, ts: 0, out: [65_535, 0] },
      ],
    ],
    [
      'drops a duplicate of the newest packet',
      [
        { switchTo: [10, 0] },
        { seq: 10, ts: 0, out: [10, 0] },
        { seq: 11, ts: 0, out: [11, 0] },
        { seq: 11, ts: 0, out: 'drop' },
      ],
    ],
    [
      'continues after padding at a layer switch',
      [
        { switchTo: [100, 0] },
        { seq: 100, ts: 0, out: [100, 0] },
        { seq: 101, ts: 0, padding: true, out: 'drop' },
        { switchTo: [9000, 0], at: 0 },
        { seq: 9000, ts: 0, out: [101, 1] },
      ],
    ],
    ['drops everything before the first switch', [{ seq: 5, ts: 0, out: 'drop' }]],
  ];

  it.each(cases)('%s', (_name, steps) => run(steps));

  it('drops a late packet older than every kept range rather than misnumbering it', () => {
    const munger = new RtpMunger();
    munger.switchTo(0, 0, clockRate, 0);
    munger.map(0, 0, false, 0);
    // 150 paddings, each after a gap: more ranges than the map keeps.
    for (let seq = 2; seq < 302; seq += 2) expect(munger.map(seq, 0, true, 0)).toBeUndefined();
    expect(munger.map(302, 0, false, 0)?.sequenceNumber).toBe(302 - 150);
    expect(munger.map(1, 0, false, 0)).toBeUndefined();
    expect(munger.map(299, 0, false, 0)?.sequenceNumber).toBe(299 - 149);
  });
});

describe('RangeMap', () => {
  it.each<[string, Array<[number, number]>, Array<[number, number | undefined]>]>([
    [
      'one open range',
      [],
      [
        [9, undefined],
        [10, 5],
        [1e9, 5],
      ],
    ],
    [
      'an exclusion at the start of the open range moves it',
      [[10, 12]],
      [
        [10, undefined],
        [11, undefined],
        [12, 7],
      ],
    ],
    [
      'an exclusion past the start closes the range before it',
      [
        [15, 17],
        [20, 21],
      ],
      [
        [14, 5],
        [15, undefined],
        [16, undefined],
        [17, 7],
        [19, 7],
        [20, undefined],
        [21, 8],
      ],
    ],
  ])('%s', (_name, exclusions, lookups) => {
    const map = new RangeMap(10, 5);
    for (const [start, end] of exclusions) map.exclude(start, end);
    for (const [key, value] of lookups) expect(map.get(key), `key ${key}`).toBe(value);
  });

  it('refuses an exclusion before the open range or an empty one, and keeps its ranges', () => {
    const map = new RangeMap(10, 0);
    map.exclude(20, 21);
    expect(() => map.exclude(15, 16)).toThrow(RangeError);
    expect(() => map.exclude(30, 30)).toThrow(RangeError);
    expect([map.get(15), map.get(20), map.get(30)]).toEqual([0, undefined, 1]);
  });
});

describe('16-bit serial arithmetic', () => {
  it.each([
    [1, 0, 1],
    [0, 65_535, 1],
    [65_535, 0, -1],
    [32_767, 0, 32_767],
    [32_768, 0, -32_768],
    [5, 5, 0],
  ])('seqDiff(%i, %i) = %i', (a, b, diff) => {
    expect(seqDiff(a, b)).toBe(diff);
    expect(seqAfter(a, b)).toBe(diff > 0);
  });
});
