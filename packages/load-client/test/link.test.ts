// Each knob of the network emulation, measured: what goes in, what comes out, and when.
import { describe, expect, it } from 'vitest';
import { Link } from '../src/link.js';
import type { LinkProfile } from '../src/profile.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends `count` packets of `size` bytes, `gapMs` apart; returns each one's one-way delay (undefined: lost). */
async function transmit(link: Link, count: number, gapMs: number, size = 1200) {
  const delays: Array<number | undefined> = new Array(count).fill(undefined);
  const arrivals: number[] = [];
  for (let i = 0; i < count; i++) {
    const sent = performance.now();
    link.send(size, () => {
      const now = performance.now();
      delays[i] = now - sent;
      arrivals.push(now);
    });
    if (gapMs > 0) await sleep(gapMs);
  }
  await sleep(1500);
  return { delays, arrivals };
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const std = (values: number[]) => {
  const m = mean(values);
  return Math.sqrt(mean(values.map((v) => (v - m) ** 2)));
};

describe('network link', () => {
  it('delays every packet by delayMs', async () => {
    const { delays } = await transmit(new Link({ delayMs: 40 }, 1), 60, 5);
    const measured = delays.map((d) => d!);
    expect(mean(measured)).toBeGreaterThan(39);
    expect(mean(measured)).toBeLessThan(44);
    expect(Math.min(...measured)).toBeGreaterThanOrEqual(39);
  });

  it('spreads delay uniformly over delayMs ± jitterMs, keeping packet order', async () => {
    // Packets further apart than twice the jitter, so keeping order never holds one back.
    const { delays, arrivals } = await transmit(new Link({ delayMs: 50, jitterMs: 20 }, 2), 80, 45);
    const measured = delays.map((d) => d!);
    expect(Math.min(...measured)).toBeGreaterThanOrEqual(29);
    expect(Math.max(...measured)).toBeLessThan(75);
    expect(mean(measured)).toBeGreaterThan(45);
    expect(mean(measured)).toBeLessThan(56);
    // Uniform on ±20 ms: standard deviation 20/√3 ≈ 11.5 ms.
    expect(std(measured)).toBeGreaterThan(8.5);
    expect(std(measured)).toBeLessThan(14.5);
    expect([...arrivals].sort((a, b) => a - b)).toEqual(arrivals);
  });

  it('loses the given share of packets at random', async () => {
    const link = new Link({ loss: 0.05 }, 3);
    for (let i = 0; i < 100_000; i++) link.send(100, () => undefined);
    expect(link.stats.lostRandom / link.stats.sent).toBeGreaterThan(0.045);
    expect(link.stats.lostRandom / link.stats.sent).toBeLessThan(0.055);
    link.close();
  });

  it('loses packets in Gilbert-Elliott bursts: p/(p+r) of them, in bursts of 1/r on average', async () => {
    const link = new Link({ burst: { p: 0.01, r: 0.3, badLoss: 1, goodLoss: 0 } }, 4);
    const lost: boolean[] = [];
    for (let i = 0; i < 200_000; i++) {
      const before = link.stats.lostBurst;
      link.send(100, () => undefined);
      lost.push(link.stats.lostBurst > before);
    }
    const share = lost.filter(Boolean).length / lost.length;
    expect(share).toBeGreaterThan((0.01 / 0.31) * 0.9);
    expect(share).toBeLessThan((0.01 / 0.31) * 1.1);
    const bursts: number[] = [];
    let run = 0;
    for (const l of lost) {
      if (l) run++;
      else if (run > 0) {
        bursts.push(run);
        run = 0;
      }
    }
    expect(mean(bursts)).toBeGreaterThan((1 / 0.3) * 0.9);
    expect(mean(bursts)).toBeLessThan((1 / 0.3) * 1.1);
    link.close();
  });

  it('limits the rate to rateKbps (token bucket)', async () => {
    // 120 packets of 1200 bytes at once into 1 Mbit/s: they leave 9.6 ms apart.
    const { arrivals } = await transmit(new Link({ rateKbps: 1000 }, 5), 120, 0);
    expect(arrivals).toHaveLength(120);
    // Past the bucket's first burst (two packets), the rate is the link's.
    const span = arrivals.at(-1)! - arrivals[2]!;
    const kbps = (117 * 1200 * 8) / span;
    expect(kbps).toBeGreaterThan(950);
    expect(kbps).toBeLessThan(1050);
  });

  it('drops what does not fit in the queue, and queues at most queueBytes of delay', async () => {
    // A 12,000-byte queue at 1 Mbit/s holds 96 ms; 50 packets at once: the bucket's two and the queue's ten pass.
    const link = new Link({ rateKbps: 1000, queueBytes: 12_000 }, 6);
    const { delays } = await transmit(link, 50, 0);
    const delivered = delays.filter((d) => d !== undefined);
    expect(link.stats.droppedQueue).toBe(50 - delivered.length);
    expect(delivered.length).toBeGreaterThanOrEqual(11);
    expect(delivered.length).toBeLessThanOrEqual(13);
    expect(Math.max(...delivered)).toBeLessThan(96 + 12);
  });

  it('drops everything during the scripted outage, and nothing outside it', async () => {
    const start = performance.now();
    const link = new Link({ delayMs: 1 }, 7, { everyMs: 300, durationMs: 100, start });
    const sentAt: number[] = [];
    const delivered = new Set<number>();
    for (let i = 0; i < 200; i++) {
      sentAt.push(performance.now() - start);
      link.send(100, () => delivered.add(i));
      await sleep(5);
    }
    await sleep(50);
    for (let i = 0; i < sentAt.length; i++) {
      const t = sentAt[i]!;
      const inOutage = t >= 300 && t % 300 < 100;
      // A packet sent right at a window's edge may fall either side of it.
      const edge = t >= 295 && (t % 300 < 2 || t % 300 > 298 || Math.abs((t % 300) - 100) < 2);
      if (!edge) expect(delivered.has(i), `packet at ${t.toFixed(1)} ms`).toBe(!inOutage);
    }
    expect(link.stats.droppedOutage).toBeGreaterThan(0);
  });

  it('is repeatable: the same seed drops the same packets, another seed others', () => {
    const profile: LinkProfile = { loss: 0.1, burst: { p: 0.02, r: 0.3, badLoss: 0.7, goodLoss: 0 } };
    const pattern = (seed: number) => {
      const link = new Link(profile, seed);
      const kept: number[] = [];
      for (let i = 0; i < 5000; i++) {
        const lost = link.stats.lostRandom + link.stats.lostBurst;
        link.send(100, () => undefined);
        if (link.stats.lostRandom + link.stats.lostBurst === lost) kept.push(i);
      }
      link.close();
      return kept;
    };
    expect(pattern(42)).toEqual(pattern(42));
    expect(pattern(42)).not.toEqual(pattern(43));
  });
});
