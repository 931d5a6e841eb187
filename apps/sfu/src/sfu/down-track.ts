import type { VideoQuality } from '@livekit/protocol';
import { type RTCRtpSender, RtcpRrPacket, type RtpPacket } from 'werift';
import { guard } from '../guard.js';
import { metrics } from '../telemetry.js';
import { LossBasedCap } from './congestion.js';
import type { PacketSink, TrackReceiver } from './receiver.js';
import { RtpMunger } from './rtp-munger.js';

const targetRefreshMs = 250;

/**
 * One subscriber's copy of a published track. Forwards exactly one simulcast layer, switching only at
 * a keyframe of the wanted layer, and munges sequence numbers and timestamps so the subscriber sees one
 * continuous stream; the werift sender then stamps its own SSRC and answers NACKs from its cache.
 */
export class DownTrack implements PacketSink {
  private current: VideoQuality | undefined;
  private target: VideoQuality;
  private effective: VideoQuality;
  private effectiveAt = 0;
  private paused = false;
  private closed = false;
  private readonly munger = new RtpMunger();
  private readonly congestion = new LossBasedCap();
  private sentInWindow = 0;
  private nackedInWindow = 0;
  private readonly kind: 'audio' | 'video';

  constructor(
    private readonly receiver: TrackReceiver,
    readonly sender: RTCRtpSender,
    target: VideoQuality,
  ) {
    this.kind = receiver.mimeType.startsWith('audio') ? 'audio' : 'video';
    this.target = target;
    this.effective = target;
    // Subscriber RTCP arrives from werift's socket callbacks: a fault here must not reach them.
    sender.onPictureLossIndication.subscribe(
      guard('subscriber_pli', undefined, () => {
        if (this.current !== undefined) receiver.requestKeyframe(this.current);
      }),
    );
    sender.onGenericNack.subscribe(
      guard('subscriber_nack', undefined, (nack: { lost: number[] }) => {
        metrics.nacks.inc();
        this.nackedInWindow += nack.lost.length;
      }),
    );
    if (this.kind === 'video')
      sender.onRtcp.subscribe(
        guard('subscriber_rtcp', undefined, (packet: { type: number }) => {
          if (packet.type === RtcpRrPacket.type) this.onReceiverReport(packet as RtcpRrPacket);
        }),
      );
    receiver.attach(this);
    receiver.requestKeyframe(target);
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
    if (!report || this.current === undefined) return;
    const nackRatio = sent >= 20 ? Math.min(1, nacked / sent) : 0;
    const before = this.congestion.cap;
    const cap = this.congestion.report(Math.max(report.fractionLost / 256, nackRatio), this.current);
    if (cap === undefined) return;
    metrics.congestionSwitches.inc({ direction: cap < before ? 'down' : 'up' });
    this.effectiveAt = 0;
    this.receiver.requestKeyframe(this.effectiveTarget());
  }

  /** The layer currently forwarded, undefined until the first keyframe. */
  get currentQuality(): VideoQuality | undefined {
    return this.current;
  }

  get targetQuality(): VideoQuality {
    return this.target;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  setTarget(quality: VideoQuality): void {
    if (quality === this.target) return;
    this.target = quality;
    this.effectiveAt = 0;
    if (quality !== this.current) this.receiver.requestKeyframe(this.effectiveTarget());
  }

  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    if (!paused) {
      // Resume at a keyframe: whatever was sent before is stale for the decoder.
      this.current = undefined;
      this.receiver.requestKeyframe(this.effectiveTarget());
    }
  }

  write(quality: VideoQuality, packet: RtpPacket, keyframe: boolean): void {
    if (this.paused || this.closed) return;
    const { header } = packet;
    if (quality !== this.current) {
      const wanted = this.kind === 'audio' ? quality : this.effectiveTarget();
      if (quality !== wanted) return;
      if (!keyframe) {
        this.receiver.requestKeyframe(quality);
        return;
      }
      this.munger.switchTo(header.sequenceNumber, header.timestamp, this.receiver.clockRate);
      if (this.current !== undefined) metrics.layerSwitches.inc();
      this.current = quality;
    } else if (this.kind === 'video' && this.effectiveTarget() !== quality) {
      this.receiver.requestKeyframe(this.effective);
    }
    if (packet.payload.length === 0) {
      this.munger.skip(header.sequenceNumber);
      return;
    }
    const munged = this.munger.map(header.sequenceNumber, header.timestamp);
    if (!munged) return;
    const out = packet.clone();
    out.header.sequenceNumber = munged.sequenceNumber;
    out.header.timestamp = munged.timestamp;
    // The publisher's extension ids mean nothing on this connection; the sender adds its own.
    out.header.extensions = [];
    out.header.extension = false;
    out.header.padding = false;
    out.header.paddingSize = 0;
    this.sentInWindow += 1;
    metrics.packets.inc({ direction: 'out', kind: this.kind });
    metrics.bytes.inc({ direction: 'out', kind: this.kind }, out.payload.length);
    this.sender.sendRtp(out).catch(() => undefined);
  }

  /**
   * The target, lowered to what the subscriber's link carries (loss-based cap), or the nearest live layer
   * when the publisher has paused that one (below first, then above).
   */
  private effectiveTarget(now = performance.now()): VideoQuality {
    if (now - this.effectiveAt < targetRefreshMs) return this.effective;
    this.effectiveAt = now;
    const wanted = Math.min(this.target, this.congestion.cap) as VideoQuality;
    const live = this.receiver.liveQualities(now);
    if (live.length === 0 || live.includes(wanted)) {
      this.effective = wanted;
    } else {
      const below = live.filter((q) => q < wanted);
      this.effective = below.length > 0 ? below[below.length - 1]! : live[0]!;
    }
    return this.effective;
  }

  close(): void {
    this.closed = true;
    this.receiver.detach(this);
  }
}
