import { seqDiff } from './rtp-munger.js';
import type { TwccReport } from './twcc-responder.js';

/** Send bursts closer than this form one packet group (GCC's 5 ms burst grouping). */
const groupMs = 5;
/** The lowest one-way delay over this window is the path's base delay; above it is queueing. */
const baseWindowMs = 10_000;
/**
 * Queueing sustained above this over `sustainMs` of groups means the link cannot carry what is sent,
 * once it held for `confirmMs` of feedback (a browser that stalled reads one late burst; a queue stays).
 */
const congestedDelayMs = 50;
const sustainMs = 150;
const confirmMs = 100;
/**
 * Queueing that rises this fast (ms per ms sent), past `congestedDelayMs`, over groups spanning this
 * much send time is a link far slower than what is sent (a cap well below the stream): it is congestion at
 * once — waiting to call it sustained lets a short bottleneck queue overflow, and the sound with it. A
 * receiver that stalled reads as a jump then a fall, a paced keyframe as a slow rise: neither is this.
 */
const surgeSlope = 0.5;
const surgeSpanMs = 10;
/**
 * What was sent over this long is what the link must carry on average. Queueing on a link busy at a rate
 * above that is a burst the link drains by itself — one big frame, a keyframe of 200 KB taking 200 ms to
 * cross 8 Mbit/s under 6.5 Mbit/s of video — not a link too slow for the stream.
 */
const averageWindowMs = 2000;
/** A packet that waited this long (one-way delay above the base) queued behind others. */
const busyQueueMs = 5;
/** Congestion is over once queueing stayed below this for `clearMs`. */
const clearDelayMs = 25;
const clearMs = 300;
/** Loss over the last `lossWindowMs` of packets with a known fate that means congestion… */
const congestedLoss = 0.1;
const lossWindowMs = 500;
/** What the link delivered is measured over this much of the newest arrivals. */
const deliveryWindowMs = 500;
const minLossPackets = 20;
/** …unless nearly nothing arrived: that is an outage (link down), not a rate to adapt to. */
const outageDeliveredShare = 0.25;
/** Losses in one unbroken run over this much send time are an outage too, not congestion's drops. */
const outageRunMs = 300;
/** The estimate after a cut: this share of what the link delivered while congested. */
const backoff = 0.9;
/**
 * Still congested on what was sent this long after a cut (the lower layers' keyframes came, the queue
 * had time to drain), with queueing not below its peak since the cut: cut again, deeper.
 */
const recutMs = 1000;
const recutFactor = 0.85;
/** No feedback for this long while sending: the path is down (quality "lost"); the estimate is kept. */
const feedbackTimeoutMs = 1500;
/**
 * Nothing sent for this long (all video paused): whatever queue there was has drained, so congestion is
 * over — else a paused subscriber would stay congested, and so never probe, for want of packets.
 */
const idleClearMs = 1000;
/** Sent packets are remembered this long for their feedback. */
const historyMs = 10_000;
/** A probe cluster is finalised when every packet in it is reported, or this long after it ended. */
const probeTimeoutMs = 1000;
/** A probe whose packets were lost beyond this share failed, whatever rate the rest reached. */
const probeMaxLoss = 0.1;
/** A probe that built a queue longer than this did not fit: the link is slower than its goal. */
const probeMaxQueueGrowthMs = 30;

interface SentPacket {
  size: number;
  sentMs: number;
  /** Arrival on the receiver's clock (ms), once feedback said so. */
  recvMs?: number;
  lost?: boolean;
  /** Lost in an outage: neither loss nor delivery to the estimate. */
  outage?: boolean;
  /** Its report will never come (the feedback carrying it was lost): its fate stays unknown. */
  unreported?: boolean;
}

/** Whether feedback has said, or will never say, what became of a packet. */
const settled = (packet: SentPacket) =>
  packet.recvMs !== undefined || packet.lost === true || packet.unreported === true;

interface PacketGroup {
  sentMs: number;
  /** Queueing delay: one-way delay above the base delay, ms. */
  queueMs: number;
}

interface ProbeCluster {
  goalBps: number;
  firstSeq: number;
  lastSeq: number | undefined;
  endedMs: number | undefined;
}

/** What a finished probe measured. */
export interface ProbeResult {
  goalBps: number;
  /** The rate the path carried the cluster at: min(send rate, receive rate). */
  capacityBps: number;
  loss: number;
  /** How much longer its last packets queued than its first, ms. */
  queueGrowthMs: number;
  ok: boolean;
}

export type CongestionState = 'clear' | 'congested';

/**
 * Send-side bandwidth estimation toward one subscriber from the transport-wide congestion control
 * feedback its browser sends (as GCC and LiveKit's `sendsidebwe` do), free of I/O: the caller reports
 * every packet sent on the connection and every feedback, with times from one clock.
 *
 * Delay: the one-way delay of each send burst minus the lowest seen over 10 s is the queueing delay
 * (no clock sync needed). A link that cannot carry what is sent shows it first as queueing: sustained
 * above 50 ms (its minimum over 150 ms, so a receiver that stalled and read a burst late does not count)
 * is congestion, and so is queueing that rises fast group after group (a cap far below what is sent:
 * waiting to call it sustained would let the bottleneck's queue overflow, and the sound with it). Loss
 * above 10 % is congestion too, unless almost nothing arrived (an outage, not a rate). Queueing on a link
 * busy at more than what was sent over the last 2 s is not congestion: a burst (a big keyframe) the link
 * drains by itself. On congestion the estimate is cut to 90 % of what the link carried while busy, and
 * cut again each second the queue does not drain from its peak since the last cut (what was sent before
 * a cut took effect queues on after it). The estimate never rises by itself: only a probe (padding sent
 * on top of the media, `startProbe`) that the link carried raises it — so the allocator steps up only into
 * bandwidth that was shown to be there. Until the first congestion the estimate is unbounded.
 */
export class SendSideBwe {
  /** Sent packets by unwrapped transport-wide sequence number: packets[start + seq - firstSeq]. */
  private packets: SentPacket[] = [];
  private start = 0;
  private firstSeq = 0;
  private highestSeq: number | undefined;
  /** The first sequence number not yet taken into a packet group. */
  private groupFrom: number | undefined;
  private group: { sentMs: number; lastSentMs: number; minOwdMs: number } | undefined;
  private groups: PacketGroup[] = [];
  /** Per-second minima of one-way delay, for the base delay. */
  private owdMinima: Array<{ second: number; owd: number }> = [];
  private estimate = Number.POSITIVE_INFINITY;
  private congestion: CongestionState = 'clear';
  private lastCut: { atMs: number; queueMs: number } | undefined;
  private overloadedSince: number | undefined;
  private lastFeedbackMs: number | undefined;
  /** The highest sequence number feedback has reported on. */
  private reportedUpTo: number | undefined;
  private cluster: ProbeCluster | undefined;
  /** The packets lost in a row up to the newest report, across feedback packets. */
  private lossRun: SentPacket[] = [];
  /** An outage ended (a packet arrived after one) and nobody has asked since. */
  private outageEnded = false;

  get estimateBps(): number {
    return this.estimate;
  }

  get state(): CongestionState {
    return this.congestion;
  }

  get probing(): boolean {
    return this.cluster !== undefined;
  }

  /** Some feedback has arrived: the subscriber's client does transport-wide congestion control. */
  get hasFeedback(): boolean {
    return this.lastFeedbackMs !== undefined;
  }

  /** Packets went out but no feedback came back for a while: the path is down. */
  feedbackLost(nowMs: number): boolean {
    const newest = this.packets[this.packets.length - 1];
    if (this.lastFeedbackMs === undefined || !newest) return false;
    return nowMs - this.lastFeedbackMs > feedbackTimeoutMs && newest.sentMs > this.lastFeedbackMs;
  }

  /** Loss over the newest packets whose fate is known (0–1). */
  recentLoss(): number {
    return this.lossWindow().loss;
  }

  /** A packet with this 16-bit transport-wide sequence number went out: `size` bytes on the wire. */
  sent(seq16: number, size: number, sentMs: number): void {
    const seq =
      this.highestSeq === undefined ? seq16 : this.highestSeq + seqDiff(seq16, this.highestSeq & 0xffff);
    if (this.highestSeq === undefined) this.firstSeq = seq;
    else if (seq <= this.highestSeq) return; // a number sent before: not a new packet
    // Numbers skipped (sent by something we were not told of) stay unknown: size 0, never counted.
    if (this.highestSeq !== undefined)
      for (let skipped = this.highestSeq + 1; skipped < seq; skipped++)
        this.packets.push({ size: 0, sentMs });
    this.highestSeq = seq;
    this.packets.push({ size, sentMs });
    while (this.start < this.packets.length && sentMs - this.packets[this.start]!.sentMs > historyMs) {
      this.start += 1;
      this.firstSeq += 1;
    }
    if (this.start > 4096) {
      this.packets = this.packets.slice(this.start);
      this.start = 0;
    }
  }

  private at(seq: number): SentPacket | undefined {
    const index = seq - this.firstSeq;
    return index < 0 ? undefined : this.packets[this.start + index];
  }

  /**
   * One feedback packet's reports, in sequence order. Returns true when the estimate or the congestion
   * state changed (the caller reallocates).
   */
  feedback(reports: readonly TwccReport[], nowMs: number): boolean {
    if (this.highestSeq === undefined || reports.length === 0) return false;
    if (this.feedbackLost(nowMs)) this.outageEnded = true;
    this.lastFeedbackMs = nowMs;
    const unwrap = (seq16: number) => this.highestSeq! + seqDiff(seq16, this.highestSeq! & 0xffff);
    // Browsers report each packet once, in order: what lies between the last feedback and this one was
    // in feedback lost on the way back. Waiting for it would stall the delay estimate for good.
    const first = unwrap(reports[0]!.seq);
    if (this.reportedUpTo !== undefined)
      for (let seq = Math.max(this.reportedUpTo + 1, this.firstSeq); seq < first; seq++) {
        const packet = this.at(seq);
        if (packet && !settled(packet)) packet.unreported = true;
      }
    this.reportedUpTo = Math.max(this.reportedUpTo ?? first, unwrap(reports[reports.length - 1]!.seq));
    for (const report of reports) {
      const packet = this.at(unwrap(report.seq));
      if (!packet || packet.size === 0) continue;
      if (report.atUs !== undefined) {
        if (this.markOutage()) this.outageEnded = true;
        this.lossRun = [];
        packet.recvMs = report.atUs / 1000;
        packet.lost = false;
        packet.outage = false;
      } else if (packet.recvMs === undefined && !packet.lost) {
        packet.lost = true;
        this.lossRun.push(packet);
      }
    }
    this.markOutage();
    this.groupArrivals();
    return this.detect(nowMs);
  }

  /**
   * Whether an outage ended since the last call: packets arrive again after a run of losses over
   * `outageRunMs`. What the receiver lost then is more than retransmission can repair in time.
   */
  takeOutageEnded(): boolean {
    const ended = this.outageEnded;
    this.outageEnded = false;
    return ended;
  }

  /** Losses in one unbroken run over `outageRunMs` of send time are an outage: marks them so. */
  private markOutage(): boolean {
    const run = this.lossRun;
    if (run.length === 0 || run[run.length - 1]!.sentMs - run[0]!.sentMs < outageRunMs) return false;
    for (const packet of run) packet.outage = true;
    return true;
  }

  /**
   * Timers' share: congestion ends when nothing was sent for a while; a probe whose feedback never fully
   * came is finalised with what did. Returns that probe's result.
   */
  tick(nowMs: number): ProbeResult | undefined {
    const newest = this.packets[this.packets.length - 1];
    if (
      this.congestion === 'congested' &&
      this.cluster === undefined &&
      newest &&
      nowMs - newest.sentMs > idleClearMs
    ) {
      this.congestion = 'clear';
      this.lastCut = undefined;
      this.overloadedSince = undefined;
    }
    const cluster = this.cluster;
    if (!cluster || cluster.endedMs === undefined || nowMs - cluster.endedMs < probeTimeoutMs)
      return undefined;
    return this.finishProbe();
  }

  /** A probe cluster starts: every packet sent until `endProbe` is measured together. */
  startProbe(goalBps: number): void {
    this.cluster = {
      goalBps,
      firstSeq: (this.highestSeq ?? 0) + 1,
      lastSeq: undefined,
      endedMs: undefined,
    };
  }

  endProbe(nowMs: number): void {
    if (!this.cluster || this.cluster.endedMs !== undefined) return;
    this.cluster.endedMs = nowMs;
    this.cluster.lastSeq = this.highestSeq;
  }

  /** Once every packet of an ended cluster is reported: what the path carried it at (else undefined). */
  probeResult(): ProbeResult | undefined {
    const cluster = this.cluster;
    if (!cluster || cluster.lastSeq === undefined) return undefined;
    for (let seq = cluster.firstSeq; seq <= cluster.lastSeq; seq++) {
      const packet = this.at(seq);
      if (packet && packet.size > 0 && !settled(packet)) return undefined;
    }
    return this.finishProbe();
  }

  private finishProbe(): ProbeResult | undefined {
    const cluster = this.cluster;
    this.cluster = undefined;
    if (!cluster || cluster.lastSeq === undefined) return undefined;
    // Nothing went out during it (no sender could carry padding): a failed probe, to be retried later.
    if (cluster.lastSeq < cluster.firstSeq)
      return { goalBps: cluster.goalBps, capacityBps: 0, loss: 1, queueGrowthMs: 0, ok: false };
    const arrived: SentPacket[] = [];
    let lost = 0;
    for (let seq = cluster.firstSeq; seq <= cluster.lastSeq; seq++) {
      const packet = this.at(seq);
      if (!packet || packet.size === 0 || packet.unreported) continue;
      if (packet.recvMs !== undefined) arrived.push(packet);
      else lost += 1;
    }
    const loss = arrived.length + lost > 0 ? lost / (arrived.length + lost) : 1;
    const capacityBps = clusterRate(arrived);
    const growthMs = arrived.length >= 2 ? queueGrowthMs(arrived) : 0;
    const ok =
      arrived.length >= 2 &&
      loss <= probeMaxLoss &&
      growthMs <= probeMaxQueueGrowthMs &&
      this.congestion === 'clear';
    // A probe vouches for no more than the rate it tried (a short cluster can read high through a
    // shaper's burst allowance).
    if (ok) this.estimate = Math.max(this.estimate, Math.min(capacityBps, cluster.goalBps));
    return { goalBps: cluster.goalBps, capacityBps, loss, queueGrowthMs: growthMs, ok };
  }

  /** Newly reported arrivals, in sequence order, become send-burst groups with their queueing delay. */
  private groupArrivals(): void {
    if (this.highestSeq === undefined) return;
    let seq = Math.max(this.groupFrom ?? this.firstSeq, this.firstSeq);
    for (; seq <= this.highestSeq; seq++) {
      const packet = this.at(seq)!;
      if (packet.size === 0) continue;
      if (!settled(packet)) break; // not reported yet
      if (packet.recvMs === undefined) continue; // lost, or never to be reported
      const group = this.group;
      const owd = packet.recvMs - packet.sentMs;
      if (group && packet.sentMs - group.sentMs <= groupMs) {
        group.lastSentMs = Math.max(group.lastSentMs, packet.sentMs);
        group.minOwdMs = Math.min(group.minOwdMs, owd);
        continue;
      }
      if (group) this.closeGroup(group);
      this.group = { sentMs: packet.sentMs, lastSentMs: packet.sentMs, minOwdMs: owd };
    }
    this.groupFrom = seq;
  }

  /**
   * A group's delay is its least-delayed packet's: a burst's first packet waits only behind a standing
   * queue, its last also behind the burst itself — on a slow link a video frame's own transmission time
   * (3 packets at 0.5 Mbit/s: 55 ms), which read as queueing kept a link that carried everything
   * "congested" for good, and so never probed.
   */
  private closeGroup(group: { lastSentMs: number; minOwdMs: number }): void {
    const owd = group.minOwdMs;
    const second = Math.floor(group.lastSentMs / 1000);
    const newest = this.owdMinima[this.owdMinima.length - 1];
    if (newest?.second === second) newest.owd = Math.min(newest.owd, owd);
    else this.owdMinima.push({ second, owd });
    while ((second - this.owdMinima[0]!.second) * 1000 > baseWindowMs) this.owdMinima.shift();
    const base = Math.min(...this.owdMinima.map((m) => m.owd));
    this.groups.push({ sentMs: group.lastSentMs, queueMs: owd - base });
    while (group.lastSentMs - this.groups[0]!.sentMs > 2000) this.groups.shift();
  }

  /** Queueing delay over the newest `spanMs` of groups: its min and max, undefined with too few. */
  private queueing(spanMs: number): { min: number; max: number } | undefined {
    const newest = this.groups[this.groups.length - 1];
    if (!newest) return undefined;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    let count = 0;
    let oldest = newest.sentMs;
    for (let i = this.groups.length - 1; i >= 0; i--) {
      const group = this.groups[i]!;
      if (newest.sentMs - group.sentMs > spanMs) break;
      min = Math.min(min, group.queueMs);
      max = Math.max(max, group.queueMs);
      oldest = group.sentMs;
      count += 1;
    }
    // Too few groups, or too short a stretch of them, to call it sustained.
    if (count < 3 || newest.sentMs - oldest < spanMs / 2) return undefined;
    return { min, max };
  }

  /** Loss over the newest packets whose fate is known. */
  private lossWindow(): { loss: number; packets: number } {
    let arrived = 0;
    let lost = 0;
    let newestSent: number | undefined;
    for (let i = this.packets.length - 1; i >= this.start; i--) {
      const packet = this.packets[i]!;
      if (packet.size === 0 || packet.outage || (packet.recvMs === undefined && !packet.lost)) continue;
      newestSent ??= packet.sentMs;
      if (newestSent - packet.sentMs > lossWindowMs) break;
      if (packet.recvMs === undefined) lost += 1;
      else arrived += 1;
    }
    const total = arrived + lost;
    return { loss: total > 0 ? lost / total : 0, packets: total };
  }

  /**
   * What the link delivered over the newest `deliveryWindowMs` of arrivals, bit/s (NaN when too little
   * arrived to say). By arrival time: packets sent earlier that sat in the queue count, as they should.
   */
  private deliveredBps(): number {
    let newestRecv: number | undefined;
    let newestSent: number | undefined;
    let firstRecv = Number.POSITIVE_INFINITY;
    let bytes = 0;
    let count = 0;
    for (let i = this.packets.length - 1; i >= this.start; i--) {
      const packet = this.packets[i]!;
      if (packet.recvMs === undefined || packet.size === 0) continue;
      newestRecv ??= packet.recvMs;
      newestSent ??= packet.sentMs;
      if (newestSent - packet.sentMs > 4 * deliveryWindowMs) break;
      if (newestRecv - packet.recvMs > deliveryWindowMs) continue;
      bytes += packet.size;
      count += 1;
      firstRecv = Math.min(firstRecv, packet.recvMs);
    }
    const spanMs = (newestRecv ?? 0) - firstRecv;
    return count >= 10 && spanMs >= 50 ? (bytes * 8 * 1000) / spanMs : Number.NaN;
  }

  /** What was sent over the newest `windowMs` of sending, bit/s (NaN with too little sent to say). */
  private sentBps(windowMs: number): number {
    const newest = this.packets[this.packets.length - 1];
    if (!newest) return Number.NaN;
    let bytes = 0;
    let oldestMs = newest.sentMs;
    for (let i = this.packets.length - 1; i >= this.start; i--) {
      const packet = this.packets[i]!;
      if (newest.sentMs - packet.sentMs > windowMs) break;
      bytes += packet.size;
      oldestMs = packet.sentMs;
    }
    const spanMs = newest.sentMs - oldestMs;
    return spanMs >= windowMs / 2 ? (bytes * 8 * 1000) / spanMs : Number.NaN;
  }

  /** Whether the newest groups' queueing rises fast (see `surgeSlope`). */
  private surging(): boolean {
    const groups = this.groups;
    const newest = groups[groups.length - 1];
    if (!newest || newest.queueMs <= congestedDelayMs) return false;
    let oldest = newest;
    let count = 1;
    for (let i = groups.length - 2; i >= 0 && newest.sentMs - oldest.sentMs < surgeSpanMs; i--) {
      const group = groups[i]!;
      if (group.queueMs >= groups[i + 1]!.queueMs) return false; // not rising all along
      oldest = group;
      count += 1;
    }
    const spanMs = newest.sentMs - oldest.sentMs;
    return count >= 3 && spanMs >= surgeSpanMs && (newest.queueMs - oldest.queueMs) / spanMs >= surgeSlope;
  }

  /**
   * What the link carries while it is busy, bit/s: over the newest `deliveryWindowMs` of arrivals, each
   * packet that reached the bottleneck before the one ahead of it had left (so the link was sending it
   * from then on), over the time since that one arrived. This is the link's rate even when what went
   * before the queue built was faster (a cap that just came: the last half second of arrivals is mostly
   * the open link's) or slower; `deliveredBps` when too little of it waited to say.
   */
  private capacityBps(): number {
    const base = Math.min(...this.owdMinima.map((m) => m.owd));
    let newestRecv: number | undefined;
    let bytes = 0;
    let busyMs = 0;
    let count = 0;
    let after: SentPacket | undefined; // the next packet to arrive, walking back
    for (let i = this.packets.length - 1; i >= this.start; i--) {
      const packet = this.packets[i]!;
      if (packet.recvMs === undefined || packet.size === 0) continue;
      newestRecv ??= packet.recvMs;
      if (newestRecv - packet.recvMs > deliveryWindowMs) break;
      // `after` waited, and reached the bottleneck (its send time plus the base delay) before `packet`
      // had left it: the link was busy with it from then on.
      const busy =
        after !== undefined &&
        after.recvMs! >= packet.recvMs &&
        after.recvMs! - after.sentMs - base >= busyQueueMs &&
        after.sentMs + base <= packet.recvMs;
      if (busy) {
        bytes += after!.size;
        busyMs += after!.recvMs! - packet.recvMs;
        count += 1;
      }
      after = packet;
    }
    return count >= 10 && busyMs >= 20 ? (bytes * 8 * 1000) / busyMs : this.deliveredBps();
  }

  private detect(nowMs: number): boolean {
    const sustained = this.queueing(sustainMs);
    const recent = this.queueing(clearMs);
    const window = this.lossWindow();
    const measured = window.packets >= minLossPackets;
    const outage = measured && 1 - window.loss < outageDeliveredShare;
    const lossy = measured && window.loss > congestedLoss && !outage;
    let queued = sustained !== undefined && sustained.min > congestedDelayMs;
    let surge = this.surging();
    if ((queued || surge) && this.capacityBps() >= this.sentBps(averageWindowMs)) queued = surge = false;
    const queueMs = sustained?.min ?? 0;
    const before = { estimate: this.estimate, state: this.congestion };
    // A probe's own queueing is its result, not congestion: it is judged when the probe finishes.
    if ((queued || lossy || surge) && this.cluster === undefined) this.overloadedSince ??= nowMs;
    else this.overloadedSince = undefined;
    const overloaded =
      this.overloadedSince !== undefined && (surge || nowMs - this.overloadedSince >= confirmMs);
    if (this.congestion === 'clear') {
      if (overloaded) {
        this.congestion = 'congested';
        this.cut(this.capacityBps(), false, nowMs, queueMs);
      }
    } else if (recent && recent.max < clearDelayMs && !lossy) {
      this.congestion = 'clear';
      this.lastCut = undefined;
      return true;
    }
    // What was sent before the cut took effect still queues on: the queue to drain is its peak since.
    if (this.lastCut && sustained) this.lastCut.queueMs = Math.max(this.lastCut.queueMs, queueMs);
    if (
      this.congestion === 'congested' &&
      overloaded &&
      this.lastCut &&
      (this.groups[this.groups.length - 1]?.sentMs ?? 0) - this.lastCut.atMs >= recutMs &&
      queueMs >= this.lastCut.queueMs - 10
    ) {
      this.cut(this.capacityBps(), true, nowMs, queueMs);
    }
    return before.estimate !== this.estimate || before.state !== this.congestion;
  }

  /** The estimate falls to what the link delivered (less a margin to drain the queue); deeper when repeated. */
  private cut(deliveredBps: number, deeper: boolean, nowMs: number, queueMs: number): void {
    this.lastCut = { atMs: nowMs, queueMs };
    if (Number.isNaN(deliveredBps)) return; // too little arrived to measure: keep the estimate
    let next = backoff * deliveredBps;
    if (deeper && Number.isFinite(this.estimate)) next = Math.min(next, this.estimate * recutFactor);
    this.estimate = Math.min(this.estimate, next);
  }
}

/** How much the one-way delay grew over a cluster (its last packets against its first, in send order). */
function queueGrowthMs(arrived: SentPacket[]): number {
  const bySend = [...arrived].sort((a, b) => a.sentMs - b.sentMs);
  const owd = (p: SentPacket) => p.recvMs! - p.sentMs;
  const ends = Math.max(1, Math.min(3, Math.floor(bySend.length / 3)));
  const mean = (list: SentPacket[]) => list.reduce((sum, p) => sum + owd(p), 0) / list.length;
  return mean(bySend.slice(-ends)) - mean(bySend.slice(0, ends));
}

/** min(send rate, receive rate) of a probe cluster's packets: GCC's probe estimate. */
function clusterRate(arrived: SentPacket[]): number {
  if (arrived.length < 2) return 0;
  const bySend = [...arrived].sort((a, b) => a.sentMs - b.sentMs);
  const byRecv = [...arrived].sort((a, b) => a.recvMs! - b.recvMs!);
  const bytes = arrived.reduce((sum, p) => sum + p.size, 0);
  const sendMs = bySend[bySend.length - 1]!.sentMs - bySend[0]!.sentMs;
  const recvMs = byRecv[byRecv.length - 1]!.recvMs! - byRecv[0]!.recvMs!;
  const sendBps = sendMs > 0 ? ((bytes - bySend[bySend.length - 1]!.size) * 8 * 1000) / sendMs : 0;
  const recvBps = recvMs > 0 ? ((bytes - byRecv[0]!.size) * 8 * 1000) / recvMs : Number.POSITIVE_INFINITY;
  return Math.min(sendBps, recvBps);
}
