/** A video packet waiting for its turn on a subscriber's connection. */
export interface PacedPacket {
  /** Its size on the wire, bytes. */
  bytes: number;
  /** The down track it belongs to: its queued packets go together when it restarts (`drop`). */
  stream: object;
  /** Its frame (the RTP timestamp): the stream's newest frame is never cut short. */
  frame: number;
  send(): void;
}

/** What a down track hands its video packets to (the connection's pacer, with its timer). */
export interface PacketQueue {
  push(packet: PacedPacket): void;
  /**
   * What `stream` has queued is stale: it paused, or a keyframe starts `frame` (any frame before a
   * keyframe is of no use to a decoder that waits for it).
   */
  drop(stream: object, frame?: number): void;
}

/**
 * While the link is clear, video leaves at this multiple of its budget (the estimate less the sound).
 * The allocator keeps video within that budget, so the queue drains even while a keyframe is in it, and
 * a keyframe reaches the bottleneck at most a quarter faster than the estimate says it drains there: its
 * burst no longer overflows a short bottleneck queue (a 360p keyframe is 20–40 KB; `tc tbf` at 1 Mbit/s
 * with 300 ms holds 37 KB), nor builds one the estimator reads as congestion — at 1.35 times it did, on
 * every keyframe (test/send-side-bwe.test.ts) — and it is at most a quarter later than the link makes it.
 */
const pacingFactor = 1.25;
/**
 * While the link is congested, video leaves at no more than its budget: the estimate is below what the
 * link delivers, so the bottleneck's queue drains though the sound goes out beside it — and the excess of
 * a layer just cut (it keeps coming until the lower layer's keyframe) waits here, not in that queue.
 */
const congestedPacingFactor = 1;

/** How fast video may leave (bit/s): Infinity while there is no estimate. */
export function pacingRate(estimateBps: number, audioBps: number, congested: boolean): number {
  if (!Number.isFinite(estimateBps)) return Number.POSITIVE_INFINITY;
  // Video paused for want of anything left beside the sound still drains what it had queued.
  const budget = Math.max(estimateBps - audioBps, 0.1 * estimateBps);
  return (congested ? congestedPacingFactor : pacingFactor) * budget;
}

/** A late timer may catch up this much sending at once; more idle time is not saved up as credit. */
const burstMs = 10;
/**
 * The queue holds at most this much at the pacing rate; beyond it the oldest packets are dropped — the
 * excess of a layer just cut, which keeps coming until the lower layer's keyframe — but never those of a
 * stream's newest frame (a keyframe larger than the bound goes out whole; cut short it is lost).
 */
const maxQueueMs = 500;

/**
 * A subscriber connection's pacer (LiveKit's leaky-bucket pacer, reduced to its video): video packets
 * leave in order at `pacingRate`, so a keyframe's burst is spread instead of queueing at the bottleneck
 * ahead of the sound. Audio, retransmissions and probes do not come here:
 * they go at once, ahead of any queued video. With no estimate yet (an unbounded one) it passes
 * everything straight through. Free of I/O: the caller polls it when it says the next packet is due.
 * Hand-written: the leaky bucket is these few lines, and no library paces werift's RTP.
 */
export class Pacer {
  private queue: PacedPacket[] = [];
  private head = 0;
  private queuedBytes = 0;
  private rateBps = Number.POSITIVE_INFINITY;
  /** Leaky bucket: when the next packet may leave. */
  private nextAtMs = Number.NEGATIVE_INFINITY;
  private droppedCount = 0;
  /** Each stream's newest frame pushed. */
  private readonly newest = new Map<object, number>();

  /** Packets dropped so far for queueing longer than `maxQueueMs`. */
  get dropped(): number {
    return this.droppedCount;
  }

  get queuedPackets(): number {
    return this.queue.length - this.head;
  }

  /** How long what is queued takes to leave at the current rate, ms. */
  get queuedMs(): number {
    return Number.isFinite(this.rateBps) ? (this.queuedBytes * 8000) / this.rateBps : 0;
  }

  /** The rate video may leave at, bit/s (`pacingRate`; Infinity: straight through). */
  setRate(rateBps: number): void {
    this.rateBps = Math.max(1, rateBps);
    if (!Number.isFinite(rateBps)) this.nextAtMs = Number.NEGATIVE_INFINITY;
  }

  /** A video packet: sent at once when nothing is queued and the bucket allows it, else queued. */
  push(packet: PacedPacket, nowMs: number): void {
    this.newest.set(packet.stream, packet.frame);
    if (this.queuedPackets === 0 && this.nextAtMs <= nowMs) {
      this.sendNow(packet, nowMs);
      return;
    }
    this.queue.push(packet);
    this.queuedBytes += packet.bytes;
    if (this.queuedMs > maxQueueMs) this.trim();
  }

  /** Drop the oldest packets, but none of a stream's newest frame, until the queue is within its bound. */
  private trim(): void {
    const kept: PacedPacket[] = [];
    let index = this.head;
    for (; index < this.queue.length && this.queuedMs > maxQueueMs; index++) {
      const packet = this.queue[index]!;
      if (packet.frame === this.newest.get(packet.stream)) {
        kept.push(packet);
        continue;
      }
      this.queuedBytes -= packet.bytes;
      this.droppedCount += 1;
    }
    this.queue = [...kept, ...this.queue.slice(index)];
    this.head = 0;
  }

  /** Forget what `stream` has queued, but for `frame`'s packets. */
  drop(stream: object, frame?: number): void {
    if (frame === undefined) this.newest.delete(stream);
    if (this.queuedPackets === 0) return;
    this.queue = this.queue.slice(this.head).filter((p) => p.stream !== stream || p.frame === frame);
    this.head = 0;
    this.queuedBytes = this.queue.reduce((sum, p) => sum + p.bytes, 0);
  }

  /** Send what is due by now; returns ms until the next packet is due, undefined when none is queued. */
  poll(nowMs: number): number | undefined {
    while (this.queuedPackets > 0 && this.nextAtMs <= nowMs) {
      const packet = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as PacedPacket;
      this.queuedBytes -= packet.bytes;
      this.sendNow(packet, nowMs);
    }
    this.compact();
    return this.queuedPackets > 0 ? Math.max(0, this.nextAtMs - nowMs) : undefined;
  }

  private sendNow(packet: PacedPacket, nowMs: number): void {
    if (Number.isFinite(this.rateBps))
      this.nextAtMs = Math.max(this.nextAtMs, nowMs - burstMs) + (packet.bytes * 8000) / this.rateBps;
    else this.nextAtMs = Number.NEGATIVE_INFINITY;
    packet.send();
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
