const seqModulo = 0x10000;
const tsModulo = 0x100000000;

/** True when 16-bit sequence number a comes after b (RFC 1982 serial arithmetic). */
export function seqAfter(a: number, b: number): boolean {
  return a !== b && (a - b + seqModulo) % seqModulo < seqModulo / 2;
}

export interface MungedHeader {
  sequenceNumber: number;
  timestamp: number;
}

/**
 * Rewrites sequence numbers and timestamps of one outgoing stream so that switching the source (another
 * simulcast layer, or a resumed one) and dropping padding leave no gap or jump the receiver would see.
 */
export class RtpMunger {
  private seqOffset = 0;
  private tsOffset = 0;
  private lastInSeq: number | undefined;
  private lastOutSeq: number | undefined;
  private lastOutTs: number | undefined;
  private lastOutAt = 0;
  private switchInSeq: number | undefined;

  /** Start forwarding a new source at this packet (a keyframe start), continuing the output numbering. */
  switchTo(inSeq: number, inTs: number, clockRate: number, now = performance.now()): void {
    if (this.lastOutSeq !== undefined && this.lastOutTs !== undefined) {
      // Advance the timestamp by the wall time since the last packet, at least one tick.
      const elapsedTicks = Math.max(1, Math.round(((now - this.lastOutAt) * clockRate) / 1000));
      this.seqOffset = (this.lastOutSeq + 1 - inSeq + seqModulo) % seqModulo;
      this.tsOffset = (this.lastOutTs + elapsedTicks - inTs + tsModulo) % tsModulo;
    }
    this.switchInSeq = inSeq;
    this.lastInSeq = undefined;
  }

  /** Map one packet of the current source; undefined means drop it (older than the switch point). */
  map(inSeq: number, inTs: number, now = performance.now()): MungedHeader | undefined {
    if (this.switchInSeq !== undefined && seqAfter(this.switchInSeq, inSeq)) return undefined;
    const sequenceNumber = (inSeq + this.seqOffset) % seqModulo;
    const timestamp = (inTs + this.tsOffset) % tsModulo;
    if (this.lastInSeq === undefined || seqAfter(inSeq, this.lastInSeq)) {
      this.lastInSeq = inSeq;
      this.lastOutSeq = sequenceNumber;
      this.lastOutTs = timestamp;
      this.lastOutAt = now;
    }
    return { sequenceNumber, timestamp };
  }

  /** Drop an in-order packet (padding) without leaving a hole in the output sequence. */
  skip(inSeq: number): void {
    if (this.lastInSeq !== undefined && inSeq === (this.lastInSeq + 1) % seqModulo) {
      this.lastInSeq = inSeq;
      this.seqOffset = (this.seqOffset - 1 + seqModulo) % seqModulo;
    }
  }
}
