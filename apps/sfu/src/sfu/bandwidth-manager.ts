import { type ConnectionQuality, VideoQuality } from '@livekit/protocol';
import { type RTCRtpSender, type RtcpPacket, RtcpTransportLayerFeedback, TransportWideCC } from 'werift';
import { guard } from '../guard.js';
import type { Logger } from '../logging.js';
import { metrics } from '../telemetry.js';
import { BitrateMeter } from './bitrate-meter.js';
import { connectionQuality } from './connection-quality.js';
import type { DownTrack } from './down-track.js';
import { Pacer, type PacketQueue, pacingRate } from './pacer.js';
import { Prober } from './prober.js';
import type { MediaKind } from './receiver.js';
import { type ProbeResult, SendSideBwe } from './send-side-bwe.js';
import {
  type AllocatableTrack,
  type Allocation,
  allocate,
  ProbeRegulator,
  type TrackAllocation,
} from './stream-allocator.js';
import { decodeTwccFeedback } from './twcc-responder.js';

/** A subscription whose bandwidth the manager shares out. */
export interface BandwidthTrack {
  readonly id: string;
  readonly kind: MediaKind;
  readonly downTrack: DownTrack;
  /** What the publisher announced a layer costs (and its size), for layers not measured yet. */
  declaredBitrate(quality: VideoQuality): number | undefined;
}

export interface BandwidthEvents {
  /** A track was paused for want of bandwidth (LiveKit's StreamStateUpdate PAUSED), or resumed. */
  streamState(track: BandwidthTrack, paused: boolean): void;
}

const tickMs = 100;
/** Layer bitrates drift and layers come and go: the allocation is redone this often. */
const reallocateMs = 1000;
/** For a layer neither measured nor announced: LiveKit's 30-fps presets, by the layer's rank. */
const nominalBitrate: Record<VideoQuality, number> = {
  [VideoQuality.LOW]: 150_000,
  [VideoQuality.MEDIUM]: 500_000,
  [VideoQuality.HIGH]: 2_500_000,
  [VideoQuality.OFF]: 0,
};

/**
 * One subscriber connection's congestion control: the I/O around `SendSideBwe` (fed every packet the
 * connection sends and the transport-cc feedback the browser returns), `allocate` (which layer each of
 * its video tracks gets within the estimate) and `ProbeRegulator` + `Prober` (padding on top of the media
 * before any step up), and the connection's `Pacer` (video at a rate from the estimate; the sound goes
 * ahead). It takes over each down track's layer ceiling once feedback arrives; a client that sends no
 * transport-cc feedback stays with the down tracks' loss-based ceiling and unpaced video.
 */
export class BandwidthManager {
  private readonly bwe = new SendSideBwe();
  private readonly regulator = new ProbeRegulator();
  private readonly prober = new Prober();
  /** The sound this connection sends, as it leaves: with its RED copies and every header. */
  private readonly audioSent = new BitrateMeter();
  private readonly pacer = new Pacer();
  private paceTimer: NodeJS.Timeout | undefined;
  /** What the video down tracks hand their packets to. */
  private readonly queue: PacketQueue = {
    push: (packet) => {
      const dropped = this.pacer.dropped;
      this.pacer.push(packet, performance.now());
      if (this.pacer.dropped > dropped) metrics.pacerDropped.inc(this.pacer.dropped - dropped);
      this.pace();
    },
    drop: (stream, frame) => this.pacer.drop(stream, frame),
  };
  private readonly tracks = new Map<string, BandwidthTrack>();
  private allocation: Allocation | undefined;
  private allocatedAt = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly events: BandwidthEvents,
    private readonly log: Logger,
    /** The client lets video pause when even its lowest layer does not fit (`subscriber_allow_pause`). */
    private readonly allowPause = true,
  ) {
    this.timer = setInterval(
      guard('bwe_tick', log, () => this.tick()),
      tickMs,
    );
    this.timer.unref();
  }

  add(track: BandwidthTrack): void {
    this.tracks.set(track.id, track);
    if (track.kind === 'video') track.downTrack.paceWith(this.queue);
    this.reallocate();
  }

  remove(id: string): void {
    this.tracks.delete(id);
    this.allocation?.tracks.delete(id);
    this.reallocate();
  }

  /** A subscriber's settings changed (layer asked for, disabled): share out again. */
  changed(): void {
    this.reallocate();
  }

  // ---- MediaWatcher: what the subscriber transport reports ----

  rtpSent(transportSeq: number, bytes: number, atMs: number, kind: MediaKind): void {
    this.bwe.sent(transportSeq, bytes, atMs);
    if (kind === 'audio') this.audioSent.add(bytes, atMs);
  }

  /** NACKs are answered except while the link is congested (retransmissions would keep it full). */
  retransmissionAllowed(): boolean {
    const allowed = this.bwe.state !== 'congested';
    if (!allowed) metrics.retransmissionsDropped.inc();
    return allowed;
  }

  rtcp(packet: RtcpPacket): void {
    if (!(packet instanceof RtcpTransportLayerFeedback) || !(packet.feedback instanceof TransportWideCC))
      return;
    const now = performance.now();
    const managed = this.bwe.hasFeedback;
    const before = this.bwe.estimateBps;
    if (this.bwe.feedback(decodeTwccFeedback(packet.feedback), now) || !managed) {
      if (this.bwe.estimateBps < before) {
        metrics.bweCuts.inc();
        this.regulator.cut(now);
        this.log.debug(
          { estimateBps: Math.round(this.bwe.estimateBps), state: this.bwe.state },
          'bandwidth estimate cut',
        );
      }
      this.reallocate();
    }
    // What an outage lost no retransmission repairs, and Chromium may take a second after the link
    // returns to ask for a keyframe (slow-link bench: 0.1–1.1 s): ask for it ourselves.
    if (this.bwe.takeOutageEnded())
      for (const track of this.tracks.values()) if (track.kind === 'video') track.downTrack.refresh();
    const probe = this.bwe.probeResult();
    if (probe) this.probed(probe, before);
  }

  // ---- state for others ----

  /** The estimate toward this subscriber, bit/s (Infinity until the first congestion). */
  get estimateBps(): number {
    return this.bwe.estimateBps;
  }

  /** What this subscriber's connection deserves in LiveKit's grades (`connected`: its transport is up). */
  quality(connected: boolean): ConnectionQuality {
    const now = performance.now();
    const enabled = [...this.tracks.values()].filter((t) => t.kind === 'video' && !t.downTrack.isDisabled);
    const top = Math.max(VideoQuality.LOW, ...enabled.map((t) => t.downTrack.targetQuality));
    let stageLayersBelow = 0;
    let stagePaused = false;
    let othersPaused = false;
    for (const track of enabled) {
      const share = this.allocation?.tracks.get(track.id);
      const stage = track.downTrack.targetQuality === top;
      if (share === 'paused') {
        if (stage) stagePaused = true;
        else othersPaused = true;
      } else if (stage && share !== undefined) {
        stageLayersBelow = Math.max(
          stageLayersBelow,
          layersBetween(track, share, track.downTrack.targetQuality, now),
        );
      }
    }
    return connectionQuality({
      connected,
      feedbackLost: this.bwe.feedbackLost(now),
      loss: this.bwe.hasFeedback ? this.bwe.recentLoss() : 0,
      stageLayersBelow,
      stagePaused,
      othersPaused,
    });
  }

  close(): void {
    clearInterval(this.timer);
    clearTimeout(this.paceTimer);
    this.prober.stop();
    this.tracks.clear();
  }

  // ---- the work ----

  /** Send what the pacer has due, and wake when its next packet is. */
  private pace(): void {
    if (this.paceTimer) return; // already waiting for the queue's head
    const wait = this.pacer.poll(performance.now());
    if (wait === undefined) return;
    this.paceTimer = setTimeout(
      guard('pacer', this.log, () => {
        this.paceTimer = undefined;
        this.pace();
      }),
      Math.max(1, wait),
    );
  }

  private tick(): void {
    if (!this.bwe.hasFeedback || this.tracks.size === 0) return;
    const now = performance.now();
    const estimate = this.bwe.estimateBps;
    const timedOut = this.bwe.tick(now);
    if (timedOut) this.probed(timedOut, estimate);
    if (now - this.allocatedAt >= reallocateMs) this.reallocate();
    const allocation = this.allocation;
    if (!allocation || this.bwe.probing || this.bwe.state !== 'clear' || this.bwe.feedbackLost(now)) return;
    const audioBps = this.audioBps(now);
    const plan = this.regulator.plan(allocation, this.bwe.estimateBps, audioBps, now);
    if (!plan) return;
    const mediaBps = allocation.usageBps + audioBps;
    this.bwe.startProbe(plan.goalBps);
    this.log.debug({ goalBps: Math.round(plan.goalBps), durationMs: Math.round(plan.durationMs) }, 'probing');
    this.prober.run(
      plan,
      mediaBps,
      () => this.videoSenders(),
      () => this.bwe.endProbe(performance.now()),
    );
  }

  /** A probe finished (the estimate was `before` it): share out what it found, and schedule the next. */
  private probed(probe: ProbeResult, before: number): void {
    const allocation = this.allocation;
    this.reallocate();
    const raised = raisedAny(allocation, this.allocation);
    metrics.bweProbes.inc({ outcome: raised ? 'raised' : probe.ok ? 'held' : 'failed' });
    this.log.debug(
      {
        ok: probe.ok,
        capacityBps: Math.round(probe.capacityBps),
        goalBps: Math.round(probe.goalBps),
        loss: Number(probe.loss.toFixed(3)),
        queueGrowthMs: Math.round(probe.queueGrowthMs),
        state: this.bwe.state,
        estimateBps: Math.round(this.bwe.estimateBps),
        raised,
      },
      'probe done',
    );
    // A probe that raised the estimate well may have more behind it: climb on at once.
    this.regulator.done(raised || this.bwe.estimateBps >= 1.1 * before, performance.now());
  }

  /**
   * Share out the estimate among the video tracks (`allocate`: what a track has it keeps while the
   * estimate covers it; more needs headroom) and hand each down track its share.
   */
  private reallocate(): void {
    if (!this.bwe.hasFeedback) return; // not managed: the down tracks' loss-based ceiling stays in charge
    const now = performance.now();
    this.allocatedAt = now;
    const video = [...this.tracks.values()].filter((t) => t.kind === 'video');
    const previous = this.allocation;
    const allocatable = new Map(video.map((t) => [t.id, this.allocatable(t, now)]));
    // Video shares the estimate less what the sound takes (the sound is never held back).
    const audioBps = this.audioBps(now);
    const budget = this.bwe.estimateBps - audioBps;
    const next = allocate([...allocatable.values()], budget, previous?.tracks, this.allowPause);
    this.allocation = next;
    this.pacer.setRate(pacingRate(this.bwe.estimateBps, audioBps, this.bwe.state === 'congested'));
    // The rate may have risen: what waits may be due sooner than the timer says.
    clearTimeout(this.paceTimer);
    this.paceTimer = undefined;
    this.pace();
    for (const track of video) {
      const share = next.tracks.get(track.id);
      if (share === undefined) continue; // disabled by the subscriber: nothing to share
      const before = previous?.tracks.get(track.id);
      const view = allocatable.get(track.id)!;
      if (before !== undefined && before !== share) {
        metrics.allocationChanges.inc({ direction: order(share) > order(before) ? 'up' : 'down' });
        this.log.debug(
          {
            track: track.id,
            from: before,
            to: share,
            estimateBps: Math.round(this.bwe.estimateBps),
            audioBps: Math.round(audioBps),
            layerBps: view.layers.map((q) => Math.round(view.bitrate(q))),
          },
          'allocation changed',
        );
      }
      track.downTrack.setAllocation(capOf(share, view));
      if ((before === 'paused') !== (share === 'paused') && (before !== undefined || share === 'paused'))
        this.events.streamState(track, share === 'paused');
    }
  }

  private allocatable(track: BandwidthTrack, now: number): AllocatableTrack {
    const downTrack = track.downTrack;
    return {
      id: track.id,
      wanted: downTrack.isDisabled ? undefined : downTrack.targetQuality,
      layers: downTrack.receiver.liveQualities(now),
      bitrate: (quality) =>
        downTrack.receiver.bitrate(quality, now) ?? track.declaredBitrate(quality) ?? nominalBitrate[quality],
    };
  }

  /**
   * What the sound takes of the link: what leaves (RED sends each packet twice, and the headers of
   * 50 small packets a second per track weigh — three scenes' sound is 0.5 Mbit/s on the wire against
   * 0.2 of Opus arriving), or what arrives for it while nothing has left yet.
   */
  private audioBps(now: number): number {
    let arriving = 0;
    for (const track of this.tracks.values())
      if (track.kind === 'audio' && !track.downTrack.isDisabled)
        arriving += track.downTrack.receiver.bitrate(VideoQuality.HIGH, now) ?? 0;
    return Math.max(arriving, this.audioSent.bps(now) ?? 0);
  }

  /** Video senders, the stage's first: its recent packets make the best probe payload. */
  private videoSenders(): RTCRtpSender[] {
    return [...this.tracks.values()]
      .filter((t) => t.kind === 'video')
      .sort((a, b) => b.downTrack.targetQuality - a.downTrack.targetQuality)
      .map((t) => t.downTrack.sender);
  }
}

/**
 * The down track's cap for its share. A share that holds nothing back for want of bandwidth — no live
 * layer above it up to the one asked for — caps at the layer asked for: which of the layers is live is
 * the forwarder's choice alone (its goal), so a layer the publisher pauses for a moment does not lower
 * the cap and cost a switch down and back up (the allocator and the forwarder both following liveness
 * made the stage flap between layers on a busy machine with no bandwidth limit at all).
 */
function capOf(share: TrackAllocation, track: AllocatableTrack): TrackAllocation {
  const wanted = track.wanted;
  if (share === 'paused' || wanted === undefined) return share;
  return track.layers.some((q) => q > share && q <= wanted) ? share : wanted;
}

const order = (share: TrackAllocation): number => (share === 'paused' ? -1 : share);

function raisedAny(before: Allocation | undefined, after: Allocation | undefined): boolean {
  if (!after) return false;
  for (const [id, share] of after.tracks) {
    const previous = before?.tracks.get(id);
    if (previous === undefined || order(share) > order(previous)) return true;
  }
  return false;
}

/** How many of the layers the publisher sends lie above `share`, up to `wanted`: the steps it is short. */
function layersBetween(
  track: BandwidthTrack,
  share: VideoQuality,
  wanted: VideoQuality,
  now: number,
): number {
  return track.downTrack.receiver.liveQualities(now).filter((q) => q > share && q <= wanted).length;
}
