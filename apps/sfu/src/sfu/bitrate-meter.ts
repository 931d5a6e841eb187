/** What each packet costs on the wire beyond its RTP bytes: IPv4 and UDP headers, the SRTP auth tag. */
export const wireOverheadBytes = 20 + 8 + 10;

const bucketMs = 500;
/** Averaged over this many whole buckets: long enough that a keyframe's burst does not read as the rate. */
const buckets = 4;

/**
 * The bitrate of one stream (a simulcast layer as the publisher sends it), from the bytes that arrive:
 * the mean over the last 2 s of whole half-second buckets. Undefined until a second of it was seen, or
 * when it stopped (a layer the publisher paused costs nothing and its old rate says nothing).
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
    const total = this.filled.reduce((sum, b) => sum + b, 0);
    if (total === 0) return undefined;
    return (total * 8 * 1000) / (this.filled.length * bucketMs);
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
