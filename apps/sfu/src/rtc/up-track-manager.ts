import type { AddTrackRequest } from '@livekit/protocol';
import type { MediaStreamTrack, RTCRtpTransceiver } from 'werift';
import type { ParticipantPermissions } from '../auth.js';
import { SfuError } from '../errors.js';
import type { Logger } from '../logging.js';
import { metrics } from '../telemetry.js';
import { MediaTrack } from './media-track.js';
import { type AudioSettings, msidsByMid } from './sdp.js';

const maxTracksPerParticipant = 16;

/**
 * The tracks one participant publishes (LiveKit's UpTrackManager): announced with AddTrackRequest,
 * published once their media arrives on the publisher connection, matched to it by the offer's msid.
 * Reads like a map of the published tracks by sid.
 */
export class UpTrackManager {
  /** Announced tracks whose media has not arrived yet, by client id. */
  private readonly pending = new Map<string, MediaTrack>();
  private readonly published = new Map<string, MediaTrack>();
  /** msid track id by mid, from the publisher's latest offer. */
  private msidByMid = new Map<string, string>();

  constructor(
    private readonly permissions: ParticipantPermissions,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.published.size;
  }

  get(sid: string): MediaTrack | undefined {
    return this.published.get(sid);
  }

  values(): IterableIterator<MediaTrack> {
    return this.published.values();
  }

  keys(): IterableIterator<string> {
    return this.published.keys();
  }

  /** AddTrackRequest: reserve a track sid; the track is published once its media arrives. */
  announce(request: AddTrackRequest): MediaTrack {
    if (!this.permissions.canPublishSource(request.source)) {
      throw new SfuError('permission_denied', 'not allowed to publish this source');
    }
    if (this.published.size + this.pending.size >= maxTracksPerParticipant) {
      throw new SfuError('limit_exceeded', 'too many tracks');
    }
    if (this.pending.has(request.cid)) throw new SfuError('invalid_argument', 'track already pending');
    const track = new MediaTrack(request);
    this.pending.set(request.cid, track);
    return track;
  }

  /** Each audio m-line's track settings (DTX off, stereo, no RED), for the answer's audio codecs. */
  audioSettingsByMid(): Map<string, AudioSettings> {
    const result = new Map<string, AudioSettings>();
    for (const [mid, msid] of this.msidByMid) {
      const track = this.pending.get(msid) ?? [...this.published.values()].find((t) => t.cid === msid);
      if (track?.kind === 'audio')
        result.set(mid, { features: track.info.audioFeatures, red: track.takesRed });
    }
    return result;
  }

  /** The publisher's latest offer, whose msids tell which announced track each m-line carries. */
  offered(sdp: string): void {
    this.msidByMid = msidsByMid(sdp);
  }

  /**
   * Media arrived on the publisher connection (once per simulcast layer): attach it to its track.
   * Returns the track when this published it (its first media), else undefined.
   */
  attachMedia(rtcTrack: MediaStreamTrack, transceiver: RTCRtpTransceiver): MediaTrack | undefined {
    const mid = transceiver.mid;
    const msid = mid ? this.msidByMid.get(mid) : undefined;
    const existing = [...this.published.values()].find((t) => t.info.mid === mid);
    // Firefox-style msids that do not carry the track id: the oldest pending track of this kind.
    const track =
      existing ??
      (msid ? this.pending.get(msid) : undefined) ??
      [...this.pending.values()].find((t) => t.kind === rtcTrack.kind);
    if (!track) {
      this.log.warn({ mid, msid }, 'media without a matching AddTrackRequest ignored');
      return undefined;
    }
    if (track.kind !== rtcTrack.kind) {
      this.log.warn({ mid, track: track.sid }, `${rtcTrack.kind} media for a ${track.kind} track ignored`);
      return undefined;
    }
    const first = !track.published;
    track.attachMedia(rtcTrack, transceiver);
    if (!first) return undefined;
    this.pending.delete(track.cid);
    this.published.set(track.sid, track);
    metrics.tracksPublished.inc();
    return track;
  }

  /** Stop publishing a track; returns it (closed) when it was published. */
  remove(sid: string): MediaTrack | undefined {
    const track = this.published.get(sid);
    if (!track) return undefined;
    this.published.delete(sid);
    track.close();
    metrics.tracksPublished.dec();
    return track;
  }

  /** Published tracks the participant's rights no longer cover. */
  disallowed(): MediaTrack[] {
    return [...this.published.values()].filter((t) => !this.permissions.canPublishSource(t.info.source));
  }

  /** Drop the announced tracks whose media never came. */
  closePending(): void {
    for (const track of this.pending.values()) track.close();
    this.pending.clear();
  }
}
