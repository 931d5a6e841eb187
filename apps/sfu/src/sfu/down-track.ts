import type { VideoQuality } from '@livekit/protocol';
import type { RTCRtpSender, RtpPacket } from 'werift';
import { metrics } from '../telemetry.js';
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
  private readonly kind: 'audio' | 'video';

  constructor(
    private readonly receiver: TrackReceiver,
    readonly sender: RTCRtpSender,
    target: VideoQuality,
  ) {
    this.kind = receiver.mimeType.startsWith('audio') ? 'audio' : 'video';
    this.target = target;
    this.effective = target;
    sender.onPictureLossIndication.subscribe(() => {
      if (this.current !== undefined) receiver.requestKeyframe(this.current);
    });
    sender.onGenericNack.subscribe(() => metrics.nacks.inc());
    receiver.attach(this);
    receiver.requestKeyframe(target);
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
    metrics.packets.inc({ direction: 'out', kind: this.kind });
    metrics.bytes.inc({ direction: 'out', kind: this.kind }, out.payload.length);
    this.sender.sendRtp(out).catch(() => undefined);
  }

  /** The target, or the nearest live layer when the publisher has paused it (below first, then above). */
  private effectiveTarget(now = performance.now()): VideoQuality {
    if (now - this.effectiveAt < targetRefreshMs) return this.effective;
    this.effectiveAt = now;
    const live = this.receiver.liveQualities(now);
    if (live.length === 0 || live.includes(this.target)) {
      this.effective = this.target;
    } else {
      const below = live.filter((q) => q < this.target);
      this.effective = below.length > 0 ? below[below.length - 1]! : live[0]!;
    }
    return this.effective;
  }

  close(): void {
    this.closed = true;
    this.receiver.detach(this);
  }
}
