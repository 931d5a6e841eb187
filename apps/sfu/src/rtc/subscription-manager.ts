import { type ConnectionQuality, type UpdateTrackSettings, VideoQuality } from '@livekit/protocol';
import type { RTCRtpTransceiver } from 'werift';
import type { Logger } from '../logging.js';
import { BandwidthManager } from '../sfu/bandwidth-manager.js';
import { metrics } from '../telemetry.js';
import type { MediaTrack } from './media-track.js';
import { preferCodec } from './sdp.js';
import { SubscribedTrack } from './subscribed-track.js';
import type { Transport } from './transport.js';

/** Single PC: asks the client for an offer with this many more media sections (the client offers). */
export type RequestMediaSections = (numAudios: number, numVideos: number) => void;

/**
 * The tracks one participant subscribes to (LiveKit's SubscriptionManager): a send-only transceiver on
 * its subscriber connection and a down track for each, renegotiated as they come and go, and the
 * connection's bandwidth manager that shares the link out among them. The room decides who subscribes
 * to what, and wires each down track to its receiver. Reads like a map of the subscriptions by track sid.
 *
 * On one connection (`/rtc/v1`) we never offer: a down track takes a media section the client offered
 * to receive on and has not been given a track yet, or a new transceiver that the client's next offer,
 * asked for with `requestMediaSections`, will bring a section for. A section is used once (LiveKit
 * reuses them; here a freed one stays inactive, which costs a line of SDP per unsubscription).
 */
export class SubscriptionManager {
  private readonly subscriptions = new Map<string, SubscribedTrack>();
  private readonly bandwidth: BandwidthManager;
  /** Single PC: sections that have carried a down track (never handed out again). */
  private readonly used = new WeakSet<RTCRtpTransceiver>();
  /** Single PC: sections asked for since the client's last offer, so none is asked for twice. */
  private requested = { audio: 0, video: 0 };
  private closed = false;

  constructor(
    private readonly transport: Transport,
    /** The client sizes its videos (adaptiveStream): start at the lowest layer until it says more. */
    private readonly adaptiveStream: boolean,
    /** Set for a single connection: how to get a new offer from the client. */
    private readonly requestMediaSections: RequestMediaSections | undefined,
    private readonly log: Logger,
    /** A subscription was paused for want of bandwidth, or resumed (StreamStateUpdate). */
    onStreamState: (subscription: SubscribedTrack, paused: boolean) => void,
    /** The client lets the SFU pause video it has no bandwidth for (`subscriber_allow_pause`). */
    allowPause = true,
  ) {
    this.bandwidth = new BandwidthManager(
      { streamState: (track, paused) => onStreamState(track as SubscribedTrack, paused) },
      log,
      allowPause,
    );
    transport.watchMedia(this.bandwidth);
  }

  /** This connection's grade for ConnectionQualityUpdate. */
  quality(): ConnectionQuality {
    return this.bandwidth.quality(this.transport.connected);
  }

  /** UpdateTrackSettings for one subscription; false when there is none. */
  applySettings(trackSid: string, settings: UpdateTrackSettings): boolean {
    const subscription = this.subscriptions.get(trackSid);
    if (!subscription) return false;
    subscription.applySettings(settings);
    this.bandwidth.changed();
    return true;
  }

  get size(): number {
    return this.subscriptions.size;
  }

  get(trackSid: string): SubscribedTrack | undefined {
    return this.subscriptions.get(trackSid);
  }

  has(trackSid: string): boolean {
    return this.subscriptions.has(trackSid);
  }

  values(): IterableIterator<SubscribedTrack> {
    return this.subscriptions.values();
  }

  keys(): IterableIterator<string> {
    return this.subscriptions.keys();
  }

  /** Subscribe to a published track; undefined when already subscribed, closed, or it has no media. */
  add(track: MediaTrack, publisherSid: string): SubscribedTrack | undefined {
    if (this.closed || this.subscriptions.has(track.sid) || !track.receiver) return undefined;
    const transceiver = this.sendTransceiver(track.kind);
    // One media stream per sync group of the publisher (livekit-server with sync_streams, which our
    // configs turn on): the subscriber's browser then plays its camera and microphone in step. Clients
    // take the track sid from the track id when the stream's second half is not one.
    transceiver.sender.streamIds = [`${publisherSid}|${track.info.stream}`];
    // werift declares trackId read-only, but it is what the msid (and so the client's track sid) carries.
    (transceiver.sender as { trackId: string }).trackId = track.sid;
    // Opus that came in RED goes out in RED where the subscriber takes it, else as the Opus inside.
    const mimeTypes =
      track.info.mimeType === 'audio/red'
        ? ['audio/red', track.receiver.mimeType]
        : [track.receiver.mimeType];
    preferCodec(transceiver, this.transport.codecs(track.kind), mimeTypes);
    const initial =
      track.kind === 'audio' ? VideoQuality.HIGH : this.adaptiveStream ? VideoQuality.LOW : track.topQuality;
    const subscription = new SubscribedTrack(track, publisherSid, transceiver, initial);
    this.subscriptions.set(track.sid, subscription);
    this.bandwidth.add(subscription);
    metrics.tracksSubscribed.inc();
    this.renegotiate();
    return subscription;
  }

  /** A transceiver to send one track on: a fresh one, or (single PC) a section the client offered. */
  private sendTransceiver(kind: 'audio' | 'video'): RTCRtpTransceiver {
    if (this.requestMediaSections) {
      const offered = this.transport.pc.getTransceivers().find(
        (t) =>
          t.kind === kind &&
          t.mid != null &&
          // the client receives on it (so we would send), and nothing was sent on it yet
          t.offerDirection === 'sendonly' &&
          t.direction === 'recvonly' &&
          !this.used.has(t) &&
          !t.stopped &&
          !t.stopping,
      );
      if (offered) {
        offered.setDirection('sendonly');
        // Our answers named this section's SSRC without a media stream (werift names one in every
        // section). Chromium makes its receive stream when it first sees an SSRC and never moves it into
        // the stream's sync group later: the camera and microphone would play out of step. So the track
        // goes out under SSRCs the client first sees with its msid.
        this.transport.renewSsrcs(offered.sender);
        this.used.add(offered);
        return offered;
      }
    }
    const transceiver = this.transport.pc.addTransceiver(kind, { direction: 'sendonly' });
    this.used.add(transceiver);
    return transceiver;
  }

  /** Tells the client what changed: our offer (two connections), or a request for its offer (one). */
  private renegotiate(): void {
    if (!this.requestMediaSections) {
      void this.transport.negotiate();
      return;
    }
    // Transceivers without a section yet need one each in the client's next offer.
    const unmatched = this.transport.pc.getTransceivers().filter((t) => t.mid == null && !t.stopped);
    const audio = unmatched.filter((t) => t.kind === 'audio').length;
    const video = unmatched.filter((t) => t.kind === 'video').length;
    this.requestMediaSections(
      Math.max(0, audio - this.requested.audio),
      Math.max(0, video - this.requested.video),
    );
    this.requested = { audio, video };
  }

  /** Single PC: the client's offer was answered; ask again for sections it did not bring. */
  offerAnswered(): void {
    if (!this.requestMediaSections) return;
    this.requested = { audio: 0, video: 0 };
    if (this.transport.pc.getTransceivers().some((t) => t.mid == null && !t.stopped)) this.renegotiate();
  }

  /** Unsubscribe; returns the closed subscription, undefined when there was none. */
  remove(trackSid: string): SubscribedTrack | undefined {
    const subscription = this.subscriptions.get(trackSid);
    if (!subscription) return undefined;
    this.subscriptions.delete(trackSid);
    this.bandwidth.remove(trackSid);
    subscription.close();
    metrics.tracksSubscribed.dec();
    if (this.closed) return subscription;
    try {
      // A stopped m-line must not keep the msid: a later re-subscription would repeat it in the SDP.
      subscription.transceiver.sender.streamIds = [];
      if (this.requestMediaSections) subscription.transceiver.setDirection('inactive');
      else this.transport.pc.removeTrack(subscription.transceiver.sender);
    } catch (error) {
      this.log.debug({ err: error }, 'removeTrack failed');
    }
    this.renegotiate();
    return subscription;
  }

  /** The connection is going away: stop every down track (the room has detached them already). */
  close(): void {
    this.closed = true;
    for (const sid of [...this.subscriptions.keys()]) this.remove(sid);
    this.bandwidth.close();
  }
}
