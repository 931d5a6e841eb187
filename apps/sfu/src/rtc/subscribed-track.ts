import type { UpdateTrackSettings, VideoQuality } from '@livekit/protocol';
import type { RTCRtpTransceiver } from 'werift';
import { DownTrack } from '../sfu/down-track.js';
import { qualityForDimensions } from '../sfu/layers.js';
import type { MediaTrack } from './media-track.js';

/** One subscriber's subscription to one track: its send transceiver and the settings that pick a layer. */
export class SubscribedTrack {
  readonly downTrack: DownTrack;
  private disabled = false;

  constructor(
    readonly track: MediaTrack,
    readonly publisherSid: string,
    readonly transceiver: RTCRtpTransceiver,
    initialQuality: VideoQuality,
  ) {
    if (!track.receiver) throw new Error(`track ${track.sid} has no media yet`);
    this.downTrack = new DownTrack(track.receiver, transceiver.sender, initialQuality);
  }

  /** UpdateTrackSettings: disabled pauses forwarding; width/height (preferred) or quality pick the layer. */
  applySettings(settings: UpdateTrackSettings): void {
    this.disabled = settings.disabled;
    this.downTrack.setPaused(settings.disabled);
    if (this.track.kind !== 'video') return;
    const quality =
      settings.width > 0 || settings.height > 0
        ? qualityForDimensions(this.track.info.layers, settings.width, settings.height)
        : settings.quality;
    this.downTrack.setTarget(Math.min(quality, this.track.topQuality) as VideoQuality);
  }

  /** The layer this subscriber needs, or undefined when it needs none (dynacast). */
  get neededQuality(): VideoQuality | undefined {
    return this.disabled ? undefined : this.downTrack.targetQuality;
  }

  close(): void {
    this.downTrack.close();
  }
}
