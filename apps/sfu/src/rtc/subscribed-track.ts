import type { UpdateTrackSettings, VideoQuality } from '@livekit/protocol';
import type { RTCRtpTransceiver } from 'werift';
import type { BandwidthTrack } from '../sfu/bandwidth-manager.js';
import { DownTrack } from '../sfu/down-track.js';
import { qualityForDimensions } from '../sfu/layers.js';
import type { MediaKind } from '../sfu/receiver.js';
import type { MediaTrack } from './media-track.js';

/** One subscriber's subscription to one track: its send transceiver and the settings that pick a layer. */
export class SubscribedTrack implements BandwidthTrack {
  readonly downTrack: DownTrack;

  constructor(
    readonly track: MediaTrack,
    readonly publisherSid: string,
    readonly transceiver: RTCRtpTransceiver,
    initialQuality: VideoQuality,
  ) {
    if (!track.receiver) throw new Error(`track ${track.sid} has no media yet`);
    this.downTrack = new DownTrack(track.receiver, transceiver.sender, initialQuality);
  }

  get id(): string {
    return this.track.sid;
  }

  get kind(): MediaKind {
    return this.track.kind;
  }

  /** What the publisher announced for a layer (AddTrackRequest), in bit/s. */
  declaredBitrate(quality: VideoQuality): number | undefined {
    const bitrate = this.track.info.layers.find((layer) => layer.quality === quality)?.bitrate;
    return bitrate ? bitrate : undefined;
  }

  /** UpdateTrackSettings: disabled pauses forwarding; width/height (preferred) or quality pick the layer. */
  applySettings(settings: UpdateTrackSettings): void {
    this.downTrack.setDisabled(settings.disabled);
    if (this.track.kind !== 'video') return;
    const quality =
      settings.width > 0 || settings.height > 0
        ? qualityForDimensions(this.track.info.layers, settings.width, settings.height)
        : settings.quality;
    this.downTrack.setTarget(Math.min(quality, this.track.topQuality) as VideoQuality);
  }

  /** The layer this subscriber needs, or undefined when it needs none (dynacast). */
  get neededQuality(): VideoQuality | undefined {
    return this.downTrack.isDisabled ? undefined : this.downTrack.targetQuality;
  }

  close(): void {
    this.downTrack.close();
  }
}
