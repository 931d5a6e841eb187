// The subscriber connection's pacer: video at a rate from the bandwidth estimate, sound ahead of it.
// The last two cases drive it against a simulated `tc tbf` bottleneck (packets leave in order at the
// link rate; one that would wait longer than 300 ms is dropped), in simulated milliseconds.
import { describe, expect, it } from 'vitest';
import { type PacedPacket, Pacer, pacingRate } from '../src/sfu/pacer.js';

const mbps = (value: number) => value * 1_000_000;

/** `count` packets, each its own frame unless `frame` is given. */
function packets(
  pacer: Pacer,
  count: number,
  bytes: number,
  stream: object,
  sent: number[][],
  frame?: number,
  now = 0,
) {
  for (let i = 0; i < count; i++) {
    const entry = [i, -1];
    const packet: PacedPacket = { bytes, stream, frame: frame ?? i, send: () => sent.push(entry) };
    pacer.push(packet, now);
    entry[1] = now;
  }
}

/** Polls every millisecond from `from` to `to`; returns when each packet went, by push order. */
function drive(pacer: Pacer, from: number, to: number, each?: (now: number) => void) {
  for (let now = from; now <= to; now++) {
    each?.(now);
    pacer.poll(now);
  }
}

describe('pacingRate', () => {
  it('is unbounded without an estimate, 1.25 times the video budget while clear, the budget while congested', () => {
    expect(pacingRate(Number.POSITIVE_INFINITY, 100_000, false)).toBe(Number.POSITIVE_INFINITY);
    expect(pacingRate(mbps(1), 200_000, false)).toBe(1.25 * 800_000);
    expect(pacingRate(mbps(1), 200_000, true)).toBe(800_000);
    // Sound alone over the estimate: what video had queued still drains.
    expect(pacingRate(mbps(0.2), 300_000, true)).toBe(20_000);
  });
});

describe('Pacer', () => {
  it('passes everything straight through while unbounded', () => {
    const pacer = new Pacer();
    const sent: number[][] = [];
    packets(pacer, 50, 1200, {}, sent);
    expect(sent).toHaveLength(50);
    expect(pacer.queuedPackets).toBe(0);
    expect(pacer.poll(0)).toBeUndefined();
  });

  it('spreads a burst at its rate, in order, and says when the next packet is due', () => {
    const pacer = new Pacer();
    pacer.setRate(mbps(1.2)); // 1200-byte packets: one every 8 ms
    const times: number[] = [];
    const order: number[] = [];
    for (let i = 0; i < 40; i++)
      pacer.push({ bytes: 1200, stream: {}, frame: i, send: () => order.push(i) }, 0);
    expect(pacer.poll(0)).toBeGreaterThan(0);
    let last = 0;
    drive(pacer, 0, 1000, () => {
      if (order.length > last) {
        for (; last < order.length; last++) times.push(-1);
      }
    });
    expect(order).toEqual([...Array(40).keys()]);
    // 40 packets × 8 ms, less the 10 ms a late timer may catch up.
    const done: number[] = [];
    const again = new Pacer();
    again.setRate(mbps(1.2));
    for (let i = 0; i < 40; i++) again.push({ bytes: 1200, stream: {}, frame: i, send: () => undefined }, 0);
    drive(again, 0, 400, (now) => {
      if (again.queuedPackets === 0 && done.length === 0) done.push(now);
    });
    expect(done[0]).toBeGreaterThanOrEqual(300);
    expect(done[0]).toBeLessThanOrEqual(330);
  });

  it('catches up at most 10 ms after a late poll, and saves no credit while idle', () => {
    const pacer = new Pacer();
    pacer.setRate(mbps(0.96)); // one 1200-byte packet every 10 ms
    let sent = 0;
    for (let i = 0; i < 20; i++) pacer.push({ bytes: 1200, stream: {}, frame: i, send: () => sent++ }, 1000);
    const atOnce = sent;
    pacer.poll(1100); // 100 ms late
    // What went at once and what the late poll sends are each 10 ms of catching up, not 100 ms' worth.
    expect(atOnce).toBe(2);
    expect(sent - atOnce).toBe(2);
  });

  it('drops the oldest packets beyond 500 ms of queue', () => {
    const pacer = new Pacer();
    pacer.setRate(mbps(0.8)); // 100 bytes per ms
    const sent: number[][] = [];
    packets(pacer, 100, 1000, {}, sent); // 100 KB: a second's worth
    expect(pacer.queuedMs).toBeLessThanOrEqual(500);
    expect(pacer.dropped).toBeGreaterThanOrEqual(45);
    drive(pacer, 0, 2000);
    // The newest half went, in order.
    expect(sent.map(([i]) => i)).toEqual([
      0,
      1,
      ...Array.from({ length: sent.length - 2 }, (_, k) => 100 - sent.length + 2 + k),
    ]);
  });

  it("never cuts a stream's newest frame short: a keyframe larger than the bound goes out whole", () => {
    const pacer = new Pacer();
    pacer.setRate(mbps(0.4)); // 500 ms: 25 KB
    const stage = {};
    const thumbnail = {};
    const sent: number[][] = [];
    packets(pacer, 5, 1200, thumbnail, [], 1); // an older frame of another stream
    packets(pacer, 50, 1200, stage, sent, 7); // a 60 KB keyframe
    expect(pacer.queuedPackets).toBeGreaterThanOrEqual(48);
    drive(pacer, 0, 3000);
    expect(sent).toHaveLength(50);
  });

  it("at a stream's keyframe, forgets its older frames but not the keyframe's own packets", () => {
    const pacer = new Pacer();
    pacer.setRate(mbps(0.24)); // a packet every 40 ms
    const stage = {};
    const sent: string[] = [];
    const push = (frame: number, i: number) =>
      pacer.push({ bytes: 1200, stream: stage, frame, send: () => sent.push(`${frame}.${i}`) }, 0);
    for (let i = 0; i < 3; i++) push(1, i);
    push(2, 0);
    push(2, 1);
    pacer.drop(stage, 2); // the keyframe's second packet also says keyframe (H.264: SPS, then IDR)
    push(2, 2);
    drive(pacer, 0, 1000);
    expect(sent).toEqual(['1.0', '2.0', '2.1', '2.2']);
  });

  it('forgets a stream that restarted, keeps the others in order', () => {
    const pacer = new Pacer();
    pacer.setRate(mbps(0.24)); // a packet every 40 ms
    const a = {};
    const b = {};
    const sent: string[] = [];
    for (let i = 0; i < 4; i++) {
      pacer.push({ bytes: 1200, stream: a, frame: i, send: () => sent.push(`a${i}`) }, 0);
      pacer.push({ bytes: 1200, stream: b, frame: i, send: () => sent.push(`b${i}`) }, 0);
    }
    pacer.drop(a);
    drive(pacer, 0, 1000);
    expect(sent).toEqual(['a0', 'b0', 'b1', 'b2', 'b3']);
  });

  it('flushes at once when the estimate becomes unbounded again', () => {
    const pacer = new Pacer();
    pacer.setRate(mbps(0.096));
    let sent = 0;
    for (let i = 0; i < 5; i++) pacer.push({ bytes: 1200, stream: {}, frame: i, send: () => sent++ }, 0);
    expect(sent).toBe(1);
    pacer.setRate(Number.POSITIVE_INFINITY);
    expect(pacer.poll(1)).toBeUndefined();
    expect(sent).toBe(5);
  });
});

/** `tc tbf`: in order at the link rate; a packet that would wait longer than `latencyMs` is dropped. */
class TbfLink {
  private freeAt = 0;
  lost = { audio: 0, video: 0 };
  carried = { audio: 0, video: 0 };
  /** Longest wait at the bottleneck, by kind. */
  maxWaitMs = { audio: 0, video: 0 };
  constructor(
    private readonly rateBps: number,
    private readonly latencyMs = 300,
  ) {}

  carry(kind: 'audio' | 'video', bytes: number, nowMs: number): void {
    const start = Math.max(nowMs, this.freeAt);
    if (start - nowMs > this.latencyMs) {
      this.lost[kind] += 1;
      return;
    }
    this.maxWaitMs[kind] = Math.max(this.maxWaitMs[kind], start - nowMs);
    this.freeAt = start + (bytes * 8 * 1000) / this.rateBps;
    this.carried[kind] += 1;
  }
}

/**
 * A viewer on a 1 Mbit/s link, its estimate 0.9 Mbit/s: three scenes' sound (50 packets/s of 200 bytes
 * each: 240 kbit/s) and the stage's video, which arrives from the publisher as `video(now)` bytes in each
 * millisecond and goes on in 1200-byte packets.
 */
function viewer(paced: boolean, congested: boolean, video: (now: number) => [bytes: number, frame: number]) {
  const link = new TbfLink(mbps(1));
  const pacer = new Pacer();
  if (paced) pacer.setRate(pacingRate(mbps(0.9), 240_000, congested));
  const stage = {};
  let clock = 0;
  let pending = 0;
  drive(pacer, 0, 10_000, (now) => {
    clock = now;
    if (now % 20 === 7) for (let scene = 0; scene < 3; scene++) link.carry('audio', 200, now);
    const [bytes, frame] = video(now);
    for (pending += bytes; pending >= 1200; pending -= 1200)
      pacer.push({ bytes: 1200, stream: stage, frame, send: () => link.carry('video', 1200, clock) }, now);
  });
  return { link, pacer };
}

/** A frame of `bytes` every `intervalMs`, each sent by the publisher over its first 10 ms; and its number. */
const frame = (now: number, intervalMs: number, bytes: number): [number, number] => [
  now % intervalMs < 10 ? bytes / 10 : 0,
  Math.floor(now / intervalMs),
];

describe('Pacer against a 1 Mbit/s bottleneck', () => {
  it('loses no sound while a cut layer keeps coming for 400 ms before the lower one starts', () => {
    // 720p at 5.8 Mbit/s (10 fps) for the first 400 ms, then 360p at 400 kbit/s (5 fps) from a 40 KB keyframe.
    const video = (now: number) => {
      if (now < 400) return frame(now, 100, 72_500);
      return frame(now, 200, now < 600 ? 40_000 : 10_000);
    };
    const unpaced = viewer(false, true, video);
    const paced = viewer(true, true, video);
    expect(unpaced.link.lost.audio).toBeGreaterThan(10);
    expect(paced.link.lost.audio).toBe(0);
    expect(paced.link.lost.video).toBe(0);
  });

  it('spreads a 45 KB keyframe so the bottleneck drops none of it, and the sound waits little', () => {
    // 360p at 400 kbit/s (5 fps), a 45 KB keyframe every 2 s; the link is clear.
    const video = (now: number) => frame(now, 200, now % 2000 < 200 ? 45_000 : 10_000);
    const unpaced = viewer(false, false, video);
    const paced = viewer(true, false, video);
    expect(unpaced.link.lost.video).toBeGreaterThan(0);
    expect(paced.link.lost.video + paced.link.lost.audio).toBe(0);
    expect(paced.pacer.dropped).toBe(0);
    expect(paced.link.maxWaitMs.audio).toBeLessThan(unpaced.link.maxWaitMs.audio / 2);
  });
});
