/** What each packet costs on the wire beyond its RTP bytes: IPv4 and UDP headers, the SRTP auth tag. */
export const wireOverheadBytes = 20 + 8 + 10;

const bucketMs = 500;
/** Averaged over this many whole buckets (2 s): long enough that a keyframe's burst does not read as the rate. */
const window = 4;
/** The rate is the highest such average over this many buckets (8 s). */
const buckets = 16;

/**
 * What one stream costs (a simulcast layer as the publisher sends it, or an audio track), from the bytes
 * that arrive: the highest 2-s mean over the last 8 s. The peak, not the latest mean: a publisher's
 * encoder swings with its own bandwidth estimate and with the picture, and an allocation made on a dip
 * is taken back a second later. Undefined until a second of it was seen, or once it stopped (a layer the
 * publisher paused costs nothing and its old rate says nothing).
 */
export class BitrateMeter {
  private readonly filled: number[] = [];
  private current = 0;
  private currentBucket: number | undefined;

  add(bytes: number, nowMs: number): void {
    this.roll(nowMs);
    this.current += bytes;
  }

  bps(nowMs: number): number | undefined {
    this.roll(nowMs);
    if (this.filled.length < 2) return undefined;
    // Stopped: nothing in the last window.
    if (this.filled.slice(-window).every((b) => b === 0)) return undefined;
    let peak = 0;
    for (let end = Math.min(window, this.filled.length); end <= this.filled.length; end++) {
      const span = this.filled.slice(Math.max(0, end - window), end);
      peak = Math.max(peak, span.reduce((sum, b) => sum + b, 0) / span.length);
    }
    return (peak * 8 * 1000) / bucketMs;
  }

  private roll(nowMs: number): void {
    const bucket = Math.floor(nowMs / bucketMs);
    if (this.currentBucket === undefined) this.currentBucket = bucket;
    // Whole buckets that passed, the silent ones as zero (at most a window's worth matter).
    for (let b = this.currentBucket; b < bucket && b < this.currentBucket + buckets + 1; b++) {
      this.filled.push(b === this.currentBucket ? this.current : 0);
      if (this.filled.length > buckets) this.filled.shift();
    }
    if (bucket > this.currentBucket) {
      this.current = 0;
      this.currentBucket = bucket;
    }
  }
}
