// Send-side bandwidth estimation toward a subscriber, against a simulated bottleneck that behaves as
// `tc tbf` does (packets leave in order at the link rate; one that would queue longer than its latency
// is dropped) and a receiver that reports arrivals as browsers do (transport-cc feedback every 50 ms, on
// its own clock). Time is simulated: seconds of traffic run in milliseconds.
import { describe, expect, it } from 'vitest';
import { Pacer, pacingRate } from '../src/sfu/pacer.js';
import { type ProbeResult, SendSideBwe } from '../src/sfu/send-side-bwe.js';
import type { TwccReport } from '../src/sfu/twcc-responder.js';

const mbps = (value: number) => value * 1_000_000;

/** A bottleneck: `rateBps` (Infinity = no limit), a queue of `latencyMs`, a one-way propagation delay. */
class Link {
  private freeAt = 0;
  rateBps = Number.POSITIVE_INFINITY;
  /** While set, nothing gets through (the cable is pulled). */
  down = false;
  constructor(
    private readonly latencyMs = 300,
    private readonly propagationMs = 10,
  ) {}

  /** When a packet sent now arrives, or undefined when it is dropped. */
  carry(bytes: number, sentMs: number): number | undefined {
    if (this.down) return undefined;
    if (!Number.isFinite(this.rateBps)) return sentMs + this.propagationMs;
    const start = Math.max(sentMs, this.freeAt);
    if (start - sentMs > this.latencyMs) return undefined;
    this.freeAt = start + (bytes * 8 * 1000) / this.rateBps;
    return this.freeAt + this.propagationMs;
  }
}

/**
 * A sender of video frames (15 fps unless told, bursts of 1200-byte packets; a keyframe of its own size
 * now and then, if told) through a link to a receiver that sends feedback every 50 ms, all driven by one
 * simulated clock. With a pacer, the frames go through it.
 */
class Session {
  readonly bwe = new SendSideBwe();
  readonly link = new Link();
  now = 0;
  sendBps = mbps(6);
  fps = 15;
  /** Each frame's packets go out over this long (a publisher paces its frames; the SFU forwards them so). */
  spreadMs = 0;
  private spreading: Array<{ atMs: number; frame: number }> = [];
  keyframe: { everyMs: number; bytes: number } | undefined;
  pacer: Pacer | undefined;
  /** Times the estimator went from clear to congested. */
  congestions = 0;
  /** Extra one-way delay the receiver adds to arrivals it reads (a stalled browser), by arrival time. */
  receiverStall: ((arrivalMs: number) => number) | undefined;
  /** Feedback packets sent at these times (ms) are lost on the way back: their reports never come. */
  lostFeedbackAt = new Set<number>();
  /** Share of packets the link loses at random (no queueing): a lossy radio link. */
  randomLoss = 0;
  probes: ProbeResult[] = [];
  private seq = 65_000; // wraps within the first second
  private inFlight: Array<{ seq: number; arrivalMs: number | undefined; sentMs: number }> = [];
  private nextFrame = 0;
  private nextFeedback = 0;
  private readonly receiverClockOffsetMs = 123_456;
  private random = 1;

  /** Run for `ms`, calling `each` every millisecond. */
  run(ms: number, each?: (now: number) => void): void {
    const end = this.now + ms;
    for (; this.now < end; this.now += 1) {
      each?.(this.now);
      if (this.now >= this.nextFrame) {
        const frame = this.nextFrame;
        const keyframe = this.keyframe && frame % this.keyframe.everyMs < 1000 / this.fps;
        this.nextFrame += 1000 / this.fps;
        const frameBytes = keyframe ? this.keyframe!.bytes : this.sendBps / 8 / this.fps;
        const count = Math.ceil(frameBytes / 1200);
        for (let k = 0; k < count; k++)
          this.spreading.push({ atMs: this.now + Math.floor((k * this.spreadMs) / count), frame });
      }
      while (this.spreading.length > 0 && this.spreading[0]!.atMs <= this.now) {
        const { frame } = this.spreading.shift()!;
        if (this.pacer)
          this.pacer.push({ bytes: 1200, stream: this, frame, send: () => this.send(1200) }, this.now);
        else this.send(1200);
      }
      this.pacer?.poll(this.now);
      if (this.now >= this.nextFeedback) {
        this.nextFeedback += 50;
        const before = this.bwe.state;
        this.feedback();
        if (before === 'clear' && this.bwe.state === 'congested') this.congestions += 1;
        this.pacer?.setRate(pacingRate(this.bwe.estimateBps, 0, this.bwe.state === 'congested'));
      }
      const result = this.bwe.tick(this.now);
      if (result) this.probes.push(result);
    }
  }

  send(bytes: number): void {
    const seq = this.seq;
    this.seq = (this.seq + 1) & 0xffff;
    this.random = (this.random * 48271) % 2147483647;
    const lost = this.random / 2147483647 < this.randomLoss;
    const arrival = lost ? undefined : this.link.carry(bytes, this.now);
    const stall = arrival !== undefined && this.receiverStall ? this.receiverStall(arrival) : 0;
    this.inFlight.push({
      seq,
      arrivalMs: arrival === undefined ? undefined : arrival + stall,
      sentMs: this.now,
    });
    this.bwe.sent(seq, bytes, this.now);
  }

  /** A probe cluster: padding on top of the media up to `goalBps` for `ms`, then the cluster ends. */
  probe(goalBps: number, ms: number): void {
    this.bwe.startProbe(goalBps);
    const paddingBps = Math.max(0, goalBps - this.sendBps);
    const began = this.now;
    let sent = 0;
    this.run(ms, (now) => {
      for (; sent < (paddingBps * (now - began + 1)) / 8000; sent += 1000) this.send(1000);
    });
    this.bwe.endProbe(this.now);
  }

  /** The receiver reports every packet up to the newest that arrived by now; the gaps before it were lost. */
  private feedback(): void {
    let newest = -1;
    for (let i = 0; i < this.inFlight.length; i++) {
      const arrival = this.inFlight[i]!.arrivalMs;
      if (arrival !== undefined && arrival <= this.now) newest = i;
    }
    if (newest < 0) return;
    const reports: TwccReport[] = this.inFlight.splice(0, newest + 1).map((p) => ({
      seq: p.seq,
      atUs:
        p.arrivalMs === undefined ? undefined : Math.round((p.arrivalMs + this.receiverClockOffsetMs) * 1000),
    }));
    if (this.lostFeedbackAt.has(this.now)) return;
    this.bwe.feedback(reports, this.now);
    const result = this.bwe.probeResult();
    if (result) this.probes.push(result);
  }
}

describe('SendSideBwe', () => {
  it.each([
    [1, 300],
    [3, 200],
  ])(
    'sees a cap of %i Mbit/s under 6.7 Mbit/s of paced frames within %i ms, from how fast the queue grows',
    (cap, withinMs) => {
      // A publisher paces each frame over 25 ms, and the SFU forwards it so: the queue reads as rising
      // fast group after group — congestion at once, before a 300-ms bottleneck queue has overflowed for long.
      const session = new Session();
      session.spreadMs = 25;
      session.sendBps = mbps(6.7);
      session.run(3000);
      session.link.rateBps = mbps(cap);
      let detected: { at: number; estimate: number } | undefined;
      session.run(3000, (now) => {
        if (!detected && session.bwe.state === 'congested')
          detected = { at: now, estimate: session.bwe.estimateBps };
      });
      expect(detected!.at - 3000).toBeLessThan(withinMs);
      // What the link carried while busy, not the open link's last half second.
      expect(detected!.estimate).toBeGreaterThan(mbps(0.85 * cap));
      expect(detected!.estimate).toBeLessThanOrEqual(mbps(0.9 * cap) + 1);
    },
  );

  it('sees a cap as soon after a feedback packet was lost on the way back (its packets stay unknown)', () => {
    const session = new Session();
    session.spreadMs = 25;
    session.sendBps = mbps(6.7);
    session.lostFeedbackAt = new Set([2000, 2050]);
    session.run(3000);
    session.link.rateBps = mbps(3);
    let detectedAt: number | undefined;
    session.run(3000, (now) => {
      if (detectedAt === undefined && session.bwe.state === 'congested') detectedAt = now;
    });
    expect(detectedAt! - 3000).toBeLessThan(200);
  });

  it.each([0, 25])(
    'stays clear on an 8 Mbit/s link under 6.5 Mbit/s of 10-fps frames and a 200-KB keyframe every 3 s (frames spread over %i ms)',
    (spreadMs) => {
      // The slow-link bench's 8 Mbit/s cap: every 81-KB frame takes 81 ms to cross the link and a keyframe
      // 200 ms, but the link carries more than is sent on average, so each queue drains by itself.
      const session = new Session();
      session.fps = 10;
      session.spreadMs = spreadMs;
      session.sendBps = mbps(6.5);
      session.keyframe = { everyMs: 3000, bytes: 200_000 };
      session.run(3000);
      session.link.rateBps = mbps(8);
      session.run(10_000);
      expect(session.congestions).toBe(0);
      expect(session.bwe.estimateBps).toBe(Number.POSITIVE_INFINITY);
    },
  );

  it('stays unbounded on a link that carries everything', () => {
    const session = new Session();
    session.run(10_000);
    expect(session.bwe.state).toBe('clear');
    expect(session.bwe.estimateBps).toBe(Number.POSITIVE_INFINITY);
  });

  it('sees a 3 Mbit/s cap under 6 Mbit/s of video within 0.7 s, and estimates just under it', () => {
    const session = new Session();
    session.run(3000);
    session.link.rateBps = mbps(3);
    let detected: { at: number; estimate: number } | undefined;
    session.run(3000, (now) => {
      if (!detected && session.bwe.state === 'congested')
        detected = { at: now, estimate: session.bwe.estimateBps };
    });
    expect(detected!.at - 3000).toBeLessThan(700);
    expect(detected!.estimate).toBeGreaterThan(mbps(2.5));
    expect(detected!.estimate).toBeLessThan(mbps(3));
  });

  it('clears once what is sent fits and the queue drains, keeping the estimate', () => {
    const session = new Session();
    session.run(2000);
    session.link.rateBps = mbps(3);
    session.run(1000);
    const estimate = session.bwe.estimateBps;
    session.sendBps = mbps(1);
    session.run(3000);
    expect(session.bwe.state).toBe('clear');
    expect(session.bwe.estimateBps).toBe(estimate);
  });

  it('cuts again, deeper, while the queue does not drain', () => {
    const session = new Session();
    session.run(2000);
    session.link.rateBps = mbps(3);
    session.run(600);
    const first = session.bwe.estimateBps;
    session.run(3000); // the sender ignores the cut: still 6 Mbit/s into 3
    expect(session.bwe.estimateBps).toBeLessThan(first * 0.9);
  });

  it('does not cut again on what was sent before the last cut took effect', () => {
    const session = new Session();
    session.run(2000);
    session.link.rateBps = mbps(3);
    session.run(700);
    expect(session.bwe.state).toBe('congested');
    const first = session.bwe.estimateBps;
    // The allocation follows the cut at once: what is sent now fits, while the queue drains.
    session.sendBps = mbps(1.5);
    session.run(3000);
    expect(session.bwe.estimateBps).toBe(first);
  });

  it('does not cut again while the queue drains from its peak, however slowly', () => {
    // Cut while the queue still grew (what was sent before the cut kept coming): it peaks after the cut,
    // then drains at a tenth of the link, since what is sent now is 90 % of it.
    const session = new Session();
    session.spreadMs = 25;
    session.run(2000);
    session.link.rateBps = mbps(0.5);
    session.run(700);
    expect(session.bwe.state).toBe('congested');
    const first = session.bwe.estimateBps;
    session.sendBps = 0.9 * first;
    session.run(3000);
    expect(session.bwe.estimateBps).toBe(first);
  });

  it('a probe on the capped link measures the cap, not the goal; on the open link it reaches the goal', () => {
    const session = new Session();
    session.run(2000);
    session.link.rateBps = mbps(3);
    session.run(1000);
    session.sendBps = mbps(1);
    session.run(3000);
    expect(session.bwe.state).toBe('clear');
    const capped = session.bwe.estimateBps;

    session.probe(mbps(6), 80);
    session.run(1000);
    const onCap = session.probes.at(-1)!;
    expect(onCap.ok).toBe(false); // it queued: the link is slower than the goal
    expect(onCap.capacityBps).toBeGreaterThan(mbps(2.5));
    expect(onCap.capacityBps).toBeLessThan(mbps(3.6));
    expect(session.bwe.estimateBps).toBeLessThan(mbps(3.6));
    expect(session.bwe.estimateBps).toBeGreaterThanOrEqual(capped);

    session.link.rateBps = Number.POSITIVE_INFINITY;
    session.run(1000);
    session.probe(mbps(6), 80);
    session.run(500);
    const open = session.probes.at(-1)!;
    expect(open.ok).toBe(true);
    expect(open.capacityBps).toBeGreaterThan(mbps(5));
    expect(session.bwe.estimateBps).toBeGreaterThan(mbps(5));
  });

  it('takes an outage for an outage: no cut, and the path reads as lost while it lasts', () => {
    const session = new Session();
    session.run(2000);
    session.link.rateBps = mbps(10);
    session.run(1000);
    session.link.down = true;
    let lostSeen = false;
    session.run(2000, (now) => {
      lostSeen ||= session.bwe.feedbackLost(now);
    });
    expect(session.bwe.takeOutageEnded()).toBe(false); // not over while nothing arrives
    session.link.down = false;
    let ended = 0;
    session.run(2000, () => {
      if (session.bwe.takeOutageEnded()) ended += 1;
    });
    expect(lostSeen).toBe(true);
    expect(ended).toBe(1);
    expect(session.bwe.feedbackLost(session.now)).toBe(false);
    expect(session.bwe.estimateBps).toBe(Number.POSITIVE_INFINITY);
  });

  it('an outage ends once, when packets arrive after 300 ms of losses in a row; shorter runs are not one', () => {
    for (const [downMs, outage] of [
      [200, false],
      [400, true],
    ] as const) {
      const session = new Session();
      session.run(2000);
      session.link.down = true;
      session.run(downMs);
      session.link.down = false;
      let ended = 0;
      session.run(1000, () => {
        if (session.bwe.takeOutageEnded()) ended += 1;
      });
      expect(ended, `${downMs} ms down`).toBe(outage ? 1 : 0);
    }
  });

  it.each([0, 25])(
    'a receiver that stalls and then reads a burst is not congestion (frames over %i ms)',
    (spreadMs) => {
      const session = new Session();
      session.spreadMs = spreadMs;
      session.run(2000);
      // Every 2 s the receiving browser is busy for 300 ms and timestamps what queued meanwhile at once.
      session.receiverStall = (arrival) => {
        const phase = arrival % 2000;
        return phase < 300 ? 300 - phase : 0;
      };
      session.run(10_000);
      expect(session.bwe.state).toBe('clear');
      expect(session.bwe.estimateBps).toBe(Number.POSITIVE_INFINITY);
    },
  );

  it('clears congestion once nothing was sent for a second (all video paused), keeping the estimate', () => {
    const session = new Session();
    session.run(2000);
    session.link.rateBps = mbps(3);
    session.run(1000);
    expect(session.bwe.state).toBe('congested');
    const estimate = session.bwe.estimateBps;
    session.sendBps = 0;
    session.run(1500);
    expect(session.bwe.state).toBe('clear');
    expect(session.bwe.estimateBps).toBe(estimate);
  });

  it('clears on a slow link that carries what is sent, though each frame takes 50 ms to cross it', () => {
    // 0.52 Mbit/s: the stage paused, what remains (0.3 Mbit/s, bursts of three packets) fits; each
    // burst's last packet arrives 55 ms after it left, its first at once — no standing queue.
    const session = new Session();
    session.run(2000);
    session.link.rateBps = mbps(0.52);
    session.sendBps = mbps(0.8);
    session.run(1500);
    expect(session.bwe.state).toBe('congested');
    session.sendBps = mbps(0.3);
    session.run(3000);
    expect(session.bwe.state).toBe('clear');
    expect(session.bwe.estimateBps).toBeGreaterThan(mbps(0.3));
  });

  it.each([
    ['unpaced', false],
    ['paced', true],
  ])('360p with a 45 KB keyframe every 2 s on the 1 Mbit/s link it was cut to (%s)', (_, paced) => {
    // Unpaced, each keyframe fills the bottleneck's 300-ms queue: the link reads congested for good, so
    // NACKs go unanswered and nothing probes (before the cut again took the peak queue since the last cut,
    // it also cut again on every keyframe, down to a fraction of the link).
    // Paced, each keyframe leaves at 1.25 times the estimate: it never reads as congestion.
    const session = new Session();
    session.run(2000);
    session.link.rateBps = mbps(1);
    session.run(1000);
    expect(session.bwe.state).toBe('congested');
    // The allocator gives it 360p: 400 kbit/s at 5 fps, and its keyframes.
    session.sendBps = mbps(0.4);
    session.fps = 5;
    session.keyframe = { everyMs: 2000, bytes: 45_000 };
    if (paced) session.pacer = new Pacer();
    session.run(2000);
    const estimate = session.bwe.estimateBps;
    session.congestions = 0;
    session.run(20_000);
    expect(session.bwe.estimateBps).toBe(estimate);
    if (paced) {
      expect(session.congestions).toBe(0);
      expect(session.bwe.state).toBe('clear');
    } else {
      expect(session.bwe.state).toBe('congested');
    }
  });

  it('sustained loss without queueing is congestion too', () => {
    const session = new Session();
    session.run(2000);
    session.randomLoss = 0.3;
    session.run(2000);
    expect(session.bwe.state).toBe('congested');
    expect(session.bwe.estimateBps).toBeLessThan(mbps(6));
    expect(session.bwe.recentLoss()).toBeGreaterThan(0.2);
  });

  it('a probe during which nothing went out failed (so the next one waits)', () => {
    const bwe = new SendSideBwe();
    bwe.sent(1, 1200, 0);
    bwe.startProbe(1_000_000);
    bwe.endProbe(100);
    expect(bwe.probeResult()).toEqual({
      goalBps: 1_000_000,
      capacityBps: 0,
      loss: 1,
      queueGrowthMs: 0,
      ok: false,
    });
    expect(bwe.probing).toBe(false);
  });

  it('ignores a sequence number it sent before, and feedback before anything was sent', () => {
    const bwe = new SendSideBwe();
    expect(bwe.feedback([{ seq: 1, atUs: 1000 }], 0)).toBe(false);
    expect(bwe.hasFeedback).toBe(false);
    bwe.sent(10, 1200, 0);
    bwe.sent(10, 1200, 1);
    bwe.sent(9, 1200, 2);
    bwe.feedback([{ seq: 10, atUs: 5000 }], 20);
    expect(bwe.hasFeedback).toBe(true);
    expect(bwe.recentLoss()).toBe(0);
  });
});
