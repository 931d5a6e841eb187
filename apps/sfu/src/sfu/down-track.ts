import type { VideoQuality } from '@livekit/protocol';
import { type RTCRtpSender, RtcpRrPacket, type RtpPacket } from 'werift';
import { guard } from '../guard.js';
import { metrics } from '../telemetry.js';
import { wireOverheadBytes } from './bitrate-meter.js';
import { LossBasedCap } from './congestion.js';
import { Forwarder } from './forwarder.js';
import { LayerSwitch, type SwitchState } from './layer-switch.js';
import type { PacketQueue } from './pacer.js';
import type { PacketSink, TrackReceiver } from './receiver.js';
import { reportCaptureClock } from './sender-report.js';
import type { TrackAllocation } from './stream-allocator.js';
import { Vp8Munger } from './vp8-munger.js';

/** An outgoing RTP header: 12 bytes and the extensions werift stamps (mid, abs-send-time, transport-cc). */
const rtpHeaderBytes = 12 + 16;
/** Copies of earlier frames in each RED packet toward a subscriber that takes RED (werift's default). */
const redDistance = 2;
/** Opus frames are 10–20 ms: a longer step between a track's sound packets is a pause (DTX). */
const soundPauseMs = 30;

/** The SFU's view of one down track, for `/debug/rooms` and the tests' failure reports. */
export interface DownTrackState {
  current: VideoQuality | undefined;
  target: VideoQuality;
  cap: VideoQuality;
  goal: VideoQuality;
  paused: boolean;
  /** The bandwidth allocator's share, undefined while the loss-based cap rules. */
  allocation: TrackAllocation | undefined;
  switch: SwitchState;
}

/**
 * One subscriber's copy of a published track: the I/O around its `Forwarder`. Writes the packets the
 * forwarder lets through to the werift sender (which stamps its own SSRC and answers NACKs from its
 * cache) and relays keyframe requests upstream. Its layer ceiling comes from the subscriber's bandwidth
 * allocator (`setAllocation`) once that subscriber's transport-cc feedback flows; before that — or for a
 * client that sends none — from its own loss reports (`LossBasedCap`).
 */
export class DownTrack implements PacketSink {
  private closed = false;
  private readonly forwarder: Forwarder;
  private readonly congestion = new LossBasedCap();
  private readonly layerSwitch = new LayerSwitch();
  private readonly vp8: Vp8Munger | undefined;
  private sentInWindow = 0;
  private nackedInWindow = 0;
  /** The last sound packet's outgoing RTP time, and how many went out since the last pause. */
  private lastSoundTimestamp: number | undefined;
  private soundSincePause = 0;
  /** The subscriber disabled the track (UpdateTrackSettings). */
  private disabled = false;
  /** The bandwidth allocator's share; undefined while it does not manage this track. */
  private allocation: TrackAllocation | undefined;
  /** The connection's pacer, for video (else packets go straight to the sender). */
  private pacer: PacketQueue | undefined;
  /** This track's outgoing counters, bound once: a labelled lookup per packet shows in the profile. */
  private readonly sentPackets: ReturnType<typeof metrics.packets.labels>;
  private readonly sentBytes: ReturnType<typeof metrics.bytes.labels>;

  constructor(
    readonly receiver: TrackReceiver,
    readonly sender: RTCRtpSender,
    target: VideoQuality,
  ) {
    const kind = receiver.kind;
    this.sentPackets = metrics.packets.labels({ direction: 'outgoing', kind });
    this.sentBytes = metrics.bytes.labels({ direction: 'outgoing', kind });
    this.vp8 = receiver.mimeType.toLowerCase() === 'video/vp8' ? new Vp8Munger() : undefined;
    this.forwarder = new Forwarder(kind, receiver.clockRate, target, (now) => receiver.liveQualities(now));
    // Its sender reports carry the publisher's capture clock, so the subscriber syncs picture and sound.
    reportCaptureClock(sender, (now) => {
      const quality = this.forwarder.currentQuality;
      const incoming = quality === undefined ? undefined : receiver.rtpTimeAt(quality, now);
      return incoming === undefined ? undefined : this.forwarder.outgoingTimestamp(incoming);
    });
    // Subscriber RTCP arrives from werift's socket callbacks: a fault here must not reach them.
    sender.onPictureLossIndication.subscribe(guard('subscriber_pli', undefined, () => this.refresh()));
    sender.onGenericNack.subscribe(
      guard('subscriber_nack', undefined, (nack: { lost: number[] }) => {
        metrics.nacks.inc();
        this.nackedInWindow += nack.lost.length;
      }),
    );
    if (kind === 'video')
      sender.onRtcp.subscribe(
        guard('subscriber_rtcp', undefined, (packet: { type: number }) => {
          if (packet.type === RtcpRrPacket.type) this.onReceiverReport(packet as RtcpRrPacket);
        }),
      );
    // The room attaches it to the receiver (Room.subscribe); it starts at a keyframe of its target.
    this.stepSwitch();
  }

  /**
   * Each receiver report (about once a second) closes a window: the loss this subscriber sees is the
   * larger of the report's fraction lost and the share of packets it NACKed. Retransmissions hide loss
   * from the report's count, so NACKs are the earlier and surer sign of a link that cannot keep up.
   */
  private onReceiverReport(packet: RtcpRrPacket): void {
    const report = packet.reports.find((r) => r.ssrc === this.sender.ssrc);
    const sent = this.sentInWindow;
    const nacked = this.nackedInWindow;
    this.sentInWindow = 0;
    this.nackedInWindow = 0;
    if (report)
      metrics.packetLoss.observe({ direction: 'outgoing', type: 'video' }, (report.fractionLost / 256) * 100);
    const current = this.forwarder.currentQuality;
    if (!report || current === undefined || this.allocation !== undefined) return;
    const nackRatio = sent >= 20 ? Math.min(1, nacked / sent) : 0;
    const before = this.congestion.cap;
    const cap = this.congestion.report(Math.max(report.fractionLost / 256, nackRatio), current);
    if (cap === undefined) return;
    metrics.congestionSwitches.inc({ direction: cap < before ? 'down' : 'up' });
    this.setCap(cap);
  }

  /** The subscriber lost the picture: a keyframe of the layer it gets, from the publisher. */
  refresh(): void {
    const current = this.forwarder.currentQuality;
    if (current !== undefined && !this.forwarder.isPaused) this.receiver.requestKeyframe(current);
  }

  /** The layer currently forwarded, undefined until the first keyframe. */
  get currentQuality(): VideoQuality | undefined {
    return this.forwarder.currentQuality;
  }

  get targetQuality(): VideoQuality {
    return this.forwarder.targetQuality;
  }

  /** The subscriber disabled it. */
  get isDisabled(): boolean {
    return this.disabled;
  }

  /** Nothing is forwarded: disabled by the subscriber, or paused for want of bandwidth. */
  get isPaused(): boolean {
    return this.forwarder.isPaused;
  }

  setTarget(quality: VideoQuality): void {
    if (this.forwarder.setTarget(quality)) this.restartSwitch();
  }

  setDisabled(disabled: boolean): void {
    this.disabled = disabled;
    this.updatePaused();
  }

  /**
   * The subscriber's bandwidth allocator decides from now on: a layer caps what the forwarder picks (in
   * place of the loss-based cap; the switch to it is a layer switch like any other), 'paused' stops the
   * track until bandwidth returns.
   */
  setAllocation(allocation: TrackAllocation): void {
    if (allocation === this.allocation) return;
    this.allocation = allocation;
    if (allocation !== 'paused') this.setCap(allocation);
    this.updatePaused();
  }

  /** From now on its video leaves through the connection's pacer. */
  paceWith(pacer: PacketQueue): void {
    this.pacer = pacer;
  }

  private setCap(cap: VideoQuality): void {
    if (this.forwarder.setCap(cap)) this.restartSwitch();
  }

  private updatePaused(): void {
    if (!this.forwarder.setPaused(this.disabled || this.allocation === 'paused')) return;
    // What it still has queued is stale: a resume starts at a keyframe.
    if (this.forwarder.isPaused) this.pacer?.drop(this);
    this.restartSwitch();
  }

  /** The subscriber wants something else: a pending switch ends superseded, the new one starts now. */
  private restartSwitch(now = performance.now()): void {
    const ended = this.layerSwitch.restart(now);
    if (ended) metrics.layerSwitchWait.observe({ outcome: ended.outcome }, ended.waitMs / 1000);
    this.stepSwitch(now);
  }

  /** Ask for the keyframes the pending switch needs, and record the ones that end. */
  private stepSwitch(now = performance.now()): void {
    const forwarder = this.forwarder;
    if (forwarder.kind !== 'video' || forwarder.isPaused || this.closed) return;
    const wanted = forwarder.wantedQuality;
    const goal = forwarder.goal(now);
    const step = this.layerSwitch.step(now, forwarder.currentQuality, goal, wanted);
    for (const quality of step.request) this.receiver.requestKeyframe(quality);
    if (step.renew) this.receiver.wantLayer(wanted);
    if (step.ended)
      metrics.layerSwitchWait.observe({ outcome: step.ended.outcome }, step.ended.waitMs / 1000);
  }

  /** The SFU's view of this down track. */
  state(now = performance.now()): DownTrackState {
    const forwarder = this.forwarder;
    return {
      current: forwarder.currentQuality,
      target: forwarder.targetQuality,
      cap: forwarder.capQuality,
      goal: forwarder.goal(now),
      paused: forwarder.isPaused,
      allocation: this.allocation,
      switch: this.layerSwitch.state(now),
    };
  }

  write(quality: VideoQuality, packet: RtpPacket, keyframe: boolean): void {
    if (this.closed) return;
    const { header } = packet;
    const now = performance.now();
    const forwarding = this.forwarder.forward(
      quality,
      header.sequenceNumber,
      header.timestamp,
      keyframe,
      packet.payload.length === 0,
      now,
    );
    if (forwarding.switched) metrics.layerSwitches.inc();
    this.stepSwitch(now);
    if (!forwarding.header) return;
    const out = packet.clone();
    out.header.sequenceNumber = forwarding.header.sequenceNumber;
    out.header.timestamp = forwarding.header.timestamp;
    if (this.vp8) out.payload = this.vp8.munge(packet.payload, forwarding.rebased);
    // The publisher's extension ids mean nothing on this connection; the sender adds its own.
    out.header.extensions = [];
    out.header.extension = false;
    out.header.padding = false;
    out.header.paddingSize = 0;
    this.sentInWindow += 1;
    const kind = this.forwarder.kind;
    this.sentPackets.inc();
    this.sentBytes.inc(out.payload.length);
    const send = () => void this.sender.sendRtp(out).catch(() => undefined);
    // Sound goes at once, ahead of any queued video.
    if (!this.pacer || kind !== 'video') {
      if (kind === 'audio') this.limitRedundancy(out.header.timestamp);
      send();
      return;
    }
    // A keyframe (of a new layer, a resume, or an answer to a loss) makes the frames still queued before it
    // stale: the subscriber decodes from it on.
    if (keyframe) this.pacer.drop(this, out.header.timestamp);
    this.pacer.push({
      bytes: rtpHeaderBytes + out.payload.length + wireOverheadBytes,
      stream: this,
      frame: out.header.timestamp,
      send,
    });
  }

  /**
   * RED (where the subscriber takes it) carries copies of the frames before, but never of frames from before
   * a pause: Chromium, playing comfort noise through the pause, takes the silence frames such a copy brings
   * along with the first word for new sound, plays them (~40 ms a word) and then time-compresses the sound to
   * catch up — the sound ran ~45 ms late and sped up (bench lip-sync). A browser's own RED encoder does not
   * carry them. werift's encoder copies the last `redDistance` frames it sent: the distance is what came since.
   */
  private limitRedundancy(timestamp: number): void {
    const last = this.lastSoundTimestamp;
    const step = last === undefined ? 0 : (timestamp - last) >>> 0;
    // (a step of 2^31 or more is a packet older than the last: not a pause)
    const pause =
      last === undefined || (step > (soundPauseMs * this.receiver.clockRate) / 1000 && step < 2 ** 31);
    this.soundSincePause = pause ? 0 : this.soundSincePause + 1;
    this.lastSoundTimestamp = timestamp;
    this.sender.redDistance = Math.min(redDistance, this.soundSincePause);
  }

  /** Stop sending; the room detaches it from the receiver. */
  close(): void {
    this.closed = true;
    this.pacer?.drop(this);
    const ended = this.layerSwitch.restart(performance.now());
    if (ended) metrics.layerSwitchWait.observe({ outcome: ended.outcome }, ended.waitMs / 1000);
  }
}
