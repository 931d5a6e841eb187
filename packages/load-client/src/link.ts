// One direction of a simulated viewer's network, in the order a real path applies them (as Linux's netem
// and tbf do): a scripted outage, random loss, Gilbert-Elliott burst loss, a token-bucket rate limit with a
// drop-tail queue, then propagation delay with jitter. Packets keep their order (a mobile link reorders
// rarely; reordering would only add NACK noise). Every random draw comes from the link's own seeded
// generator, so the same seed and the same packets give the same drops.
//
// Hand-written rather than a library because it must sit on werift's datagram path in-process, per viewer
// (no library does that; netem needs root and a kernel module this machine does not have).
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { LinkProfile, Outage } from './profile.js';

export interface LinkStats {
  /** Datagrams handed to the link. */
  sent: number;
  delivered: number;
  lostRandom: number;
  lostBurst: number;
  /** Dropped because the queue in front of the rate limit was full. */
  droppedQueue: number;
  droppedOutage: number;
}

interface Pending {
  arrival: number;
  deliver: () => void;
}

/** IPv4 and UDP headers: what a datagram costs on the link besides its payload. */
export const udpOverhead = 28;

/** Default token bucket depth: 5 ms at the link's rate, and never less than two full-size packets. */
export const defaultBucketBytes = (rateKbps: number) => Math.max(3000, (rateKbps * 1000 * 0.005) / 8);

export class Link {
  readonly stats: LinkStats = {
    sent: 0,
    delivered: 0,
    lostRandom: 0,
    lostBurst: 0,
    droppedQueue: 0,
    droppedOutage: 0,
  };
  private readonly rng: ReturnType<typeof xoroshiro128plus>;
  private readonly bytesPerMs: number;
  private readonly bucketBytes: number;
  private readonly queueBytes: number;
  private tokens: number;
  private tokenTime: number;
  /** When the rate limit finishes sending what is queued (ms, performance.now()). */
  private lastDeparture = 0;
  /** Departures not yet reached, as [time, bytes]: what is in the queue. */
  private readonly departures: Array<[number, number]> = [];
  private departureHead = 0;
  private queuedBytes = 0;
  private lastArrival = 0;
  private readonly inFlight: Pending[] = [];
  private inFlightHead = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  /** Gilbert-Elliott state. */
  private bad = false;
  private closed = false;
  /** Nothing to emulate: deliver at once, at no cost. */
  private readonly transparent: boolean;

  constructor(
    private readonly profile: LinkProfile,
    seed: number,
    private readonly outage?: Outage & { start: number },
  ) {
    this.rng = xoroshiro128plus(seed);
    // The first draws of a small seed are correlated; jumping decorrelates generators of nearby seeds.
    this.rng.jump?.();
    this.bytesPerMs = profile.rateKbps ? (profile.rateKbps * 1000) / 8 / 1000 : 0;
    this.bucketBytes = profile.bucketBytes ?? (profile.rateKbps ? defaultBucketBytes(profile.rateKbps) : 0);
    this.queueBytes = profile.queueBytes ?? Number.POSITIVE_INFINITY;
    this.tokens = this.bucketBytes;
    this.tokenTime = performance.now();
    this.transparent =
      !profile.rateKbps &&
      !profile.delayMs &&
      !profile.jitterMs &&
      !profile.loss &&
      !profile.burst &&
      outage === undefined;
  }

  private random(): number {
    return uniformFloat64(this.rng);
  }

  /** Sends one datagram of `size` bytes (IP and UDP headers included); `deliver` runs when it arrives, if it does. */
  send(size: number, deliver: () => void): void {
    if (this.closed) return;
    this.stats.sent++;
    if (this.transparent) {
      this.stats.delivered++;
      deliver();
      return;
    }
    const now = performance.now();
    const { profile } = this;
    if (this.outage) {
      const since = now - this.outage.start - this.outage.everyMs;
      if (since >= 0 && since % this.outage.everyMs < this.outage.durationMs) {
        this.stats.droppedOutage++;
        return;
      }
    }
    if (profile.loss && this.random() < profile.loss) {
      this.stats.lostRandom++;
      return;
    }
    if (profile.burst) {
      const { p, r, badLoss, goodLoss } = profile.burst;
      this.bad = this.bad ? this.random() >= r : this.random() < p;
      if (this.random() < (this.bad ? badLoss : goodLoss)) {
        this.stats.lostBurst++;
        return;
      }
    }
    let departure = now;
    if (this.bytesPerMs > 0) {
      while (this.departureHead < this.departures.length && this.departures[this.departureHead]![0] <= now) {
        this.queuedBytes -= this.departures[this.departureHead]![1];
        this.departureHead++;
      }
      if (this.departureHead > 1024) {
        this.departures.splice(0, this.departureHead);
        this.departureHead = 0;
      }
      if (this.queuedBytes + size > this.queueBytes) {
        this.stats.droppedQueue++;
        return;
      }
      const start = Math.max(now, this.lastDeparture);
      let tokens = Math.min(this.bucketBytes, this.tokens + (start - this.tokenTime) * this.bytesPerMs);
      departure = start;
      if (tokens < size) {
        departure = start + (size - tokens) / this.bytesPerMs;
        tokens = size;
      }
      this.tokens = tokens - size;
      this.tokenTime = departure;
      this.lastDeparture = departure;
      if (departure > now) {
        this.departures.push([departure, size]);
        this.queuedBytes += size;
      }
    }
    let arrival = departure + (profile.delayMs ?? 0);
    if (profile.jitterMs) arrival += (this.random() * 2 - 1) * profile.jitterMs;
    arrival = Math.max(arrival, this.lastArrival, now);
    this.lastArrival = arrival;
    this.inFlight.push({ arrival, deliver });
    this.arm(arrival);
  }

  private arm(at: number): void {
    if (at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.flush(), Math.max(0, at - performance.now()));
  }

  private flush(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    // Everything due within the timer's own granularity goes now: one wake-up per millisecond at most.
    const now = performance.now() + 0.5;
    while (this.inFlightHead < this.inFlight.length) {
      const next = this.inFlight[this.inFlightHead]!;
      if (next.arrival > now) break;
      this.inFlightHead++;
      this.stats.delivered++;
      try {
        next.deliver();
      } catch {
        // the receiver's failure is its own; the link goes on
      }
    }
    if (this.inFlightHead > 1024 || this.inFlightHead === this.inFlight.length) {
      this.inFlight.splice(0, this.inFlightHead);
      this.inFlightHead = 0;
    }
    const head = this.inFlight[this.inFlightHead];
    if (head && !this.closed) this.arm(head.arrival);
  }

  /** Drops whatever is in flight; later sends are ignored. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.inFlight.length = 0;
    this.inFlightHead = 0;
  }
}
