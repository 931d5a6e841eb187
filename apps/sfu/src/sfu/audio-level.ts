/**
 * How loud one audio track is, from the levels its publisher writes into every packet (RFC 6464's
 * ssrc-audio-level extension: 0 dBov is the loudest, 127 silence), judged over short windows the
 * way LiveKit judges active speakers: a window counts as speech when enough of it was louder than a
 * threshold, and the level reported is the mean loudness of those packets, smoothed over consecutive
 * speech windows; a window without enough speech ends the speaker at once.
 */

/** Packets at or louder than this (dBov) count as speech. LiveKit's default `audio.active_level`. */
export const activeLevelDbov = 35;
/** Share of a window that must be speech for the window to count (LiveKit's `min_percentile`). */
export const minActivePercent = 40;
/** One judgement per window; the room's speaker updates use the same period. */
export const observeWindowMs = 400;
/** Each speech window moves the smoothed level this far towards its own (LiveKit's `smooth_intervals`: 2). */
const smoothing = 1 / 2;
/** Opus packets carry 20 ms; a window of 400 ms holds about 20 of them. */
const packetMs = 20;

/** dBov to LiveKit's linear 0..1 scale (1 = full scale). */
export function linearLevel(dbov: number): number {
  return 10 ** (-dbov / 20);
}

export class AudioLevel {
  private windowStart: number | undefined;
  private activeMs = 0;
  private activeSum = 0;
  private activeCount = 0;
  private smoothed = 0;
  private lastPacketAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** One packet's level in dBov (0..127). */
  observe(dbov: number): void {
    const now = this.now();
    this.roll(now);
    this.lastPacketAt = now;
    if (dbov > activeLevelDbov) return;
    this.activeMs += packetMs;
    this.activeSum += linearLevel(dbov);
    this.activeCount++;
  }

  /** The smoothed level (0 when silent, or when no packet came for two windows: muted, gone, DTX). */
  level(): number {
    const now = this.now();
    this.roll(now);
    if (now - this.lastPacketAt > 2 * observeWindowMs) this.smoothed = 0;
    return this.smoothed;
  }

  /** Closes every window that has ended by `now` (one that saw no packet is a silent one). */
  private roll(now: number): void {
    if (this.windowStart === undefined) {
      this.windowStart = now;
      return;
    }
    while (now - this.windowStart >= observeWindowMs) {
      const speech = this.activeMs >= (observeWindowMs * minActivePercent) / 100;
      if (!speech) this.smoothed = 0;
      else {
        const windowLevel = this.activeSum / this.activeCount;
        // The first speech window counts in full: a speaker shows at once, not at half its loudness.
        this.smoothed =
          this.smoothed === 0 ? windowLevel : this.smoothed + (windowLevel - this.smoothed) * smoothing;
      }
      this.activeMs = 0;
      this.activeSum = 0;
      this.activeCount = 0;
      // A long quiet has nothing to judge: skip its empty windows in one step.
      this.windowStart = speech
        ? this.windowStart + observeWindowMs
        : now - ((now - this.windowStart) % observeWindowMs);
    }
  }
}
