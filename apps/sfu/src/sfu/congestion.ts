import { VideoQuality } from '@livekit/protocol';

/** Loss above this in a receiver report means the subscriber's link is congested. */
const congestedLoss = 0.1;
/** Loss at or below this counts as a clean report. */
const cleanLoss = 0.02;
/** Reports in a row above `congestedLoss` before stepping down (about a second of reports). */
const congestedReports = 2;
/** After a step down, the switch needs time to take effect before the next one. */
const settleMs = 2000;
/** Clean time before trying the next layer up; doubles each time a probe fails, up to the maximum. */
const probeAfterMs = 8000;
const maxProbeAfterMs = 64_000;

/**
 * A loss-based ceiling on the simulcast layer one subscriber gets, from the receiver reports its client
 * sends (RTCP RR fraction lost). Sustained loss steps the ceiling one layer down; a clean stretch steps it
 * back up one layer, waiting longer after each probe that brought the loss back. It only ever lowers what
 * the subscriber's own settings ask for, so a phone zoomed into a 4K stream on a weak link keeps a moving
 * picture instead of a frozen one.
 */
export class LossBasedCap {
  private ceiling: VideoQuality = VideoQuality.HIGH;
  private lossyInARow = 0;
  private changedAt = Number.NEGATIVE_INFINITY;
  private cleanSince: number | undefined;
  private probeWait = probeAfterMs;
  private probing = false;

  get cap(): VideoQuality {
    return this.ceiling;
  }

  /**
   * One report's fraction lost (0–1) for the layer being forwarded now. Returns the new ceiling when it
   * changes, else undefined.
   */
  report(fractionLost: number, forwarded: VideoQuality, now = performance.now()): VideoQuality | undefined {
    if (fractionLost > congestedLoss) {
      this.cleanSince = undefined;
      this.lossyInARow += 1;
      if (this.lossyInARow < congestedReports || now - this.changedAt < settleMs) return undefined;
      if (forwarded <= VideoQuality.LOW) return undefined;
      // A probe that brought the loss back: wait twice as long before the next one.
      this.probeWait = this.probing ? Math.min(maxProbeAfterMs, this.probeWait * 2) : this.probeWait;
      this.probing = false;
      return this.set((forwarded - 1) as VideoQuality, now);
    }
    this.lossyInARow = 0;
    if (fractionLost > cleanLoss) return undefined;
    this.cleanSince ??= now;
    if (this.probing && now - this.changedAt >= probeAfterMs) {
      this.probing = false; // the last probe held: back to the short wait
      this.probeWait = probeAfterMs;
    }
    if (this.ceiling >= VideoQuality.HIGH || now - this.cleanSince < this.probeWait) return undefined;
    this.probing = true;
    this.cleanSince = now;
    return this.set((this.ceiling + 1) as VideoQuality, now);
  }

  private set(ceiling: VideoQuality, now: number): VideoQuality {
    this.ceiling = ceiling;
    this.changedAt = now;
    this.lossyInARow = 0;
    return ceiling;
  }
}
