import { seqAfter } from './rtp-munger.js';

/** How often a lost packet is asked for again, and how many times at most. */
export const nackIntervalMs = 20;
const maxRetries = 8;
/** Older losses are not worth asking for: the publisher's history is gone, a keyframe does better. */
const maxAgeMs = 1000;
const maxTracked = 512;

interface Missing {
  firstMissedAt: number;
  lastSentAt: number;
  retries: number;
}

/**
 * Which lost packets of one RTP stream (one simulcast layer) to ask the publisher to resend, and when,
 * so subscribers see fewer holes than the publisher's uplink makes. werift's own generator assumes one
 * SSRC per receiver; the receiver keeps one of these per layer and sends what `due()` returns.
 */
export class NackGenerator {
  private highest: number | undefined;
  /** By sequence number, oldest loss first (insertion order). */
  private readonly missing = new Map<number, Missing>();

  /** A packet arrived: a jump past the highest one marks those in between as missing. */
  onPacket(seq: number, now = performance.now()): void {
    if (this.highest === undefined) {
      this.highest = seq;
      return;
    }
    if (this.missing.delete(seq) || !seqAfter(seq, this.highest)) return;
    // A gap longer than what is tracked: only the newest losses are still worth asking for.
    const gap = (seq - this.highest - 1) & 0xffff;
    for (let s = (seq - Math.min(gap, maxTracked)) & 0xffff; s !== seq; s = (s + 1) & 0xffff) {
      this.missing.set(s, { firstMissedAt: now, lastSentAt: Number.NEGATIVE_INFINITY, retries: 0 });
    }
    for (const oldest of this.missing.keys()) {
      if (this.missing.size <= maxTracked) break;
      this.missing.delete(oldest);
    }
    this.highest = seq;
  }

  /** The sequence numbers to NACK now; each is asked for every interval, a few times, while fresh. */
  due(now = performance.now()): number[] {
    const lost: number[] = [];
    for (const [seq, entry] of this.missing) {
      if (entry.retries >= maxRetries || now - entry.firstMissedAt > maxAgeMs) {
        this.missing.delete(seq);
        continue;
      }
      // Half an interval of slack, so a timer firing a little early still asks again.
      if (now - entry.lastSentAt < nackIntervalMs / 2) continue;
      entry.retries += 1;
      entry.lastSentAt = now;
      lost.push(seq);
    }
    return lost;
  }

  /** Losses are still being asked for. */
  get pending(): boolean {
    return this.missing.size > 0;
  }

  clear(): void {
    this.missing.clear();
  }
}
