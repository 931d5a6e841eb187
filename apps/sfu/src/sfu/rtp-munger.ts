import { RangeMap } from './range-map.js';

const seqModulo = 0x10000;
const tsModulo = 0x100000000;

/** x mod m, never negative. */
const mod = (x: number, m: number) => ((x % m) + m) % m;

/** Signed distance from 16-bit sequence number b to a, in [-32768, 32767]. */
export function seqDiff(a: number, b: number): number {
  return mod(a - b + seqModulo / 2, seqModulo) - seqModulo / 2;
}

/** True when 16-bit sequence number a comes after b (RFC 1982 serial arithmetic). */
export function seqAfter(a: number, b: number): boolean {
  return seqDiff(a, b) > 0;
}

export interface MungedHeader {
  sequenceNumber: number;
  timestamp: number;
}

/**
 * Rewrites sequence numbers and timestamps of one outgoing stream so that switching the source (another
 * simulcast layer, or a resumed one) and dropping padding leave no gap or jump the receiver would see.
 * Incoming sequence numbers are unwrapped to extended ones; the offset to the outgoing ones is kept per
 * range of incoming numbers (a range map, as in LiveKit's munger), so a packet that arrives out of order
 * gets the outgoing number its place called for, also across dropped padding.
 */
export class RtpMunger {
  /** Offsets (incoming minus outgoing extended sequence number) of the current source. */
  private offsets: RangeMap | undefined;
  private highestIn = 0;
  private tsOffset = 0;
  private lastOutSeq: number | undefined;
  private lastOutTs = 0;
  private lastOutAt = 0;

  /** Start forwarding a new source at this packet (a keyframe start), continuing the output numbering. */
  switchTo(inSeq: number, inTs: number, clockRate: number, now = performance.now()): void {
    let offset = 0;
    if (this.lastOutSeq !== undefined) {
      // Advance the timestamp by the wall time since the last packet, at least one tick.
      const elapsedTicks = Math.max(1, Math.round(((now - this.lastOutAt) * clockRate) / 1000));
      offset = inSeq - (this.lastOutSeq + 1);
      this.tsOffset = mod(this.lastOutTs + elapsedTicks - inTs, tsModulo);
    }
    // Packets of the new source older than the switch point fall before the first range: dropped.
    this.offsets = new RangeMap(inSeq, offset);
    this.highestIn = inSeq - 1;
  }

  /** The outgoing RTP time of an incoming one of the current source; undefined before the first source. */
  outgoingTimestamp(inTs: number): number | undefined {
    return this.offsets ? mod(inTs + this.tsOffset, tsModulo) : undefined;
  }

  /**
   * Map one packet of the current source; undefined means drop it: older than the switch point, a
   * duplicate, or padding (which is dropped when in order, closing the gap it would leave).
   */
  map(inSeq: number, inTs: number, padding = false, now = performance.now()): MungedHeader | undefined {
    if (!this.offsets) return undefined;
    const extSeq = this.highestIn + seqDiff(inSeq, mod(this.highestIn, seqModulo));
    const timestamp = mod(inTs + this.tsOffset, tsModulo);
    if (extSeq > this.highestIn) {
      this.highestIn = extSeq;
      if (padding) {
        this.offsets.exclude(extSeq, extSeq + 1);
        return undefined;
      }
      const outSeq = extSeq - this.offsets.get(extSeq)!;
      this.lastOutSeq = outSeq;
      this.lastOutTs = timestamp;
      this.lastOutAt = now;
      return { sequenceNumber: mod(outSeq, seqModulo), timestamp };
    }
    if (extSeq === this.highestIn) return undefined;
    // Out of order: the offset that held where this packet belongs (padding too fills its slot).
    const offset = this.offsets.get(extSeq);
    if (offset === undefined) return undefined;
    return { sequenceNumber: mod(extSeq - offset, seqModulo), timestamp };
  }
}
