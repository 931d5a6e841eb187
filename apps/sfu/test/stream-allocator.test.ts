// The bandwidth allocator for one viewer: its stage (the studio zoomed to 4K, layers 180p / 360p / 2160p
// as rtc-node publishes a 4K camera) and two thumbnails (180p), within the estimate toward it; and when
// to probe for more.
import { VideoQuality } from '@livekit/protocol';
import { describe, expect, it } from 'vitest';
import { type AllocatableTrack, allocate, ProbeRegulator } from '../src/sfu/stream-allocator.js';

const { LOW, MEDIUM, HIGH } = VideoQuality;
const kbps = (value: number) => value * 1000;

/** The demo's studio: what each layer costs as camera-sim publishes it at 15 fps. */
const studioRates = { [LOW]: kbps(160), [MEDIUM]: kbps(450), [HIGH]: kbps(5600) } as Record<
  VideoQuality,
  number
>;

function track(
  id: string,
  wanted: VideoQuality | undefined,
  layers: VideoQuality[] = [LOW, MEDIUM, HIGH],
  rates = studioRates,
): AllocatableTrack {
  return { id, wanted, layers, bitrate: (q) => rates[q] };
}

const stage = (wanted: VideoQuality = HIGH) => track('studio', wanted);
const thumbnails = [track('factory', LOW), track('farm', LOW)];

type Shares = Record<string, VideoQuality | 'paused'>;

describe('allocate', () => {
  // What a track has it keeps while the estimate covers it (`current`); each step above needs 15 % spare.
  it.each<[string, number, Shares | undefined, Shares, boolean]>([
    [
      'an unbounded estimate: all they ask for',
      Number.POSITIVE_INFINITY,
      undefined,
      { studio: HIGH, factory: LOW, farm: LOW },
      false,
    ],
    ['8 Mbit/s: all of it', kbps(8000), undefined, { studio: HIGH, factory: LOW, farm: LOW }, false],
    [
      '3 Mbit/s: the stage steps down to its floor, the thumbnails stay',
      kbps(3000),
      { studio: HIGH, factory: LOW, farm: LOW },
      { studio: MEDIUM, factory: LOW, farm: LOW },
      true,
    ],
    [
      '700 kbit/s: one thumbnail pauses',
      kbps(700),
      { studio: MEDIUM, factory: LOW, farm: LOW },
      { studio: MEDIUM, factory: LOW, farm: 'paused' },
      true,
    ],
    [
      '500 kbit/s: the thumbnails pause before the stage drops below its floor',
      kbps(500),
      { studio: MEDIUM, factory: LOW, farm: 'paused' },
      { studio: MEDIUM, factory: 'paused', farm: 'paused' },
      true,
    ],
    [
      '400 kbit/s: the stage below its floor, and nothing for the thumbnails',
      kbps(400),
      { studio: MEDIUM, factory: 'paused', farm: 'paused' },
      { studio: LOW, factory: 'paused', farm: 'paused' },
      true,
    ],
    [
      '100 kbit/s: not even the lowest stage layer fits: all video pauses',
      kbps(100),
      { studio: LOW, factory: 'paused', farm: 'paused' },
      { studio: 'paused', factory: 'paused', farm: 'paused' },
      true,
    ],
    [
      '700 kbit/s from nothing: a step up needs 15 % spare, so no thumbnail yet',
      kbps(700),
      undefined,
      { studio: MEDIUM, factory: 'paused', farm: 'paused' },
      true,
    ],
    [
      '6.3 Mbit/s keeps the 2160p it has (5.9 used), though it could not step up to it (needs 7)',
      kbps(6300),
      { studio: HIGH, factory: LOW, farm: LOW },
      { studio: HIGH, factory: LOW, farm: LOW },
      false,
    ],
    [
      '6.3 Mbit/s does not step up to 2160p',
      kbps(6300),
      { studio: MEDIUM, factory: LOW, farm: LOW },
      { studio: MEDIUM, factory: LOW, farm: LOW },
      true,
    ],
  ])('%s', (_name, budget, current, expected, deficient) => {
    const result = allocate([stage(), ...thumbnails], budget, current && new Map(Object.entries(current)));
    expect(Object.fromEntries(result.tracks)).toEqual(expected);
    expect(result.deficient).toBe(deficient);
    const usage = Object.entries(expected).reduce(
      (sum, [, layer]) => sum + (layer === 'paused' ? 0 : studioRates[layer]),
      0,
    );
    expect(result.usageBps).toBe(usage);
    expect(result.usageBps).toBeLessThanOrEqual(budget);
  });

  it('says what the next step up needs: the stage from its floor to 2160p', () => {
    const result = allocate([stage(), ...thumbnails], kbps(3000));
    expect(result.nextStepBps).toBe(studioRates[HIGH] - studioRates[MEDIUM]);
    expect(allocate([stage(), ...thumbnails], kbps(8000)).nextStepBps).toBeUndefined();
  });

  it('an unzoomed stage asks for 360p: it gets that, and is not held back', () => {
    const result = allocate([stage(MEDIUM), ...thumbnails], kbps(3000));
    expect(Object.fromEntries(result.tracks)).toEqual({ studio: MEDIUM, factory: LOW, farm: LOW });
    expect(result.deficient).toBe(false);
  });

  it('leaves out what the subscriber disabled, and costs it nothing', () => {
    const result = allocate([stage(), track('factory', undefined), track('farm', LOW)], kbps(800));
    expect(Object.fromEntries(result.tracks)).toEqual({ studio: MEDIUM, farm: LOW });
  });

  it('uses the layers the publisher sends: with 360p paused the floor is 180p', () => {
    const result = allocate([track('studio', HIGH, [LOW, HIGH]), ...thumbnails], kbps(3000));
    expect(Object.fromEntries(result.tracks)).toEqual({ studio: LOW, factory: LOW, farm: LOW });
    expect(result.nextStepBps).toBe(studioRates[HIGH] - studioRates[LOW]);
  });

  it('asked below every layer sent, a track gets the lowest there is', () => {
    const result = allocate([track('studio', LOW, [HIGH])], Number.POSITIVE_INFINITY);
    expect(result.tracks.get('studio')).toBe(HIGH);
  });

  it('shares equally among tracks asked for the same layer: each gets its lowest first', () => {
    const result = allocate([track('a', HIGH), track('b', HIGH)], kbps(800));
    expect(Object.fromEntries(result.tracks)).toEqual({ a: MEDIUM, b: LOW });
  });

  it('never pauses a subscriber that does not allow it: every track keeps its lowest layer', () => {
    const result = allocate([stage(), ...thumbnails], kbps(100), undefined, false);
    expect(Object.fromEntries(result.tracks)).toEqual({ studio: LOW, factory: LOW, farm: LOW });
    expect(result.deficient).toBe(true);
  });

  it('allocates nothing when nothing is subscribed', () => {
    expect(allocate([], kbps(1000)).tracks.size).toBe(0);
  });
});

describe('ProbeRegulator', () => {
  const heldBack = allocate([stage(), ...thumbnails], kbps(2700));

  it('probes only while something is held back, and not before a finite estimate', () => {
    const regulator = new ProbeRegulator();
    expect(regulator.plan(allocate([stage(), ...thumbnails], kbps(8000)), kbps(8000), 0, 0)).toBeUndefined();
    expect(regulator.plan(heldBack, Number.POSITIVE_INFINITY, 0, 0)).toBeUndefined();
    expect(regulator.plan(heldBack, kbps(2700), 0, 0)).toBeDefined();
  });

  it('asks for what the next step needs with its headroom plus 10 %, at most twice the estimate, briefly', () => {
    const regulator = new ProbeRegulator();
    const plan = regulator.plan(heldBack, kbps(2700), 0, 0)!;
    // 2160p needs (770 + 5150) / 0.85 = 6965 kbit/s, plus 10 %; capped at 2 × 2700, sent for 80 ms (the
    // excess over the estimate, 2700 kbit/s, queues 80 ms on a 2.7 Mbit/s link).
    expect(plan.goalBps).toBe(kbps(5400));
    expect(plan.durationMs).toBeCloseTo(80, 0);
    const small = regulator.plan(heldBack, kbps(5800), 0, 0)!;
    expect(small.goalBps).toBeCloseTo((kbps(770 + 5150) / 0.85) * 1.1, -1);
    expect(small.durationMs).toBe(100);
  });

  it('counts what is never held back (audio) in the goal: the link must carry it as well', () => {
    const regulator = new ProbeRegulator();
    const withAudio = regulator.plan(heldBack, kbps(5800), kbps(100), 0)!;
    expect(withAudio.goalBps).toBeCloseTo((kbps(100) + kbps(770 + 5150) / 0.85) * 1.1, -1);
    // Everything paused, only audio flowing: the goal still covers the audio and the stage's lowest layer.
    const paused = allocate([stage(), ...thumbnails], kbps(100));
    const plan = regulator.plan(paused, kbps(200), kbps(100), 0)!;
    expect(plan.goalBps).toBeGreaterThan(kbps(100) + kbps(160) / 0.85);
  });

  it('waits longer after each probe that raised nothing (1, 2, 4, 5 s), and climbs on at once after one that did', () => {
    const regulator = new ProbeRegulator();
    let now = 0;
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      regulator.done(false, now);
      const from = now;
      while (!regulator.plan(heldBack, kbps(2700), 0, now)) now += 100;
      waits.push(now - from);
    }
    expect(waits).toEqual([1000, 2000, 4000, 5000]);
    regulator.done(true, now);
    expect(regulator.plan(heldBack, kbps(2700), 0, now)).toBeDefined();
  });

  it('after a cut, lets the queue drain for 2 s first', () => {
    const regulator = new ProbeRegulator();
    regulator.cut(10_000);
    expect(regulator.plan(heldBack, kbps(2700), 0, 11_900)).toBeUndefined();
    expect(regulator.plan(heldBack, kbps(2700), 0, 12_000)).toBeDefined();
  });
});
