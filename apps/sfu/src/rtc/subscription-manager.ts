import { type ConnectionQuality, type UpdateTrackSettings, VideoQuality } from '@livekit/protocol';
import type { Logger } from '../logging.js';
import { BandwidthManager } from '../sfu/bandwidth-manager.js';
import { metrics } from '../telemetry.js';
import type { MediaTrack } from './media-track.js';
import { preferCodec } from './sdp.js';
import { SubscribedTrack } from './subscribed-track.js';
import type { Transport } from './transport.js';

/**
 * The tracks one participant subscribes to (LiveKit's SubscriptionManager): a send-only transceiver on
 * its subscriber connection and a down track for each, renegotiated as they come and go, and the
 * connection's bandwidth manager that shares the link out among them. The room decides who subscribes
 * to what, and wires each down track to its receiver. Reads like a map of the subscriptions by track sid.
 */
export class SubscriptionManager {
  private readonly subscriptions = new Map<string, SubscribedTrack>();
  private readonly bandwidth: BandwidthManager;
  private closed = false;

  constructor(
    private readonly transport: Transport,
    /** The client sizes its videos (adaptiveStream): start at the lowest layer until it says more. */
    private readonly adaptiveStream: boolean,
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
    const transceiver = this.transport.pc.addTransceiver(track.kind, { direction: 'sendonly' });
    transceiver.sender.streamIds = [`${publisherSid}|${track.sid}`];
    // werift declares trackId read-only, but it is what the msid (and so the client's track sid) carries.
    (transceiver.sender as { trackId: string }).trackId = track.sid;
    preferCodec(transceiver, this.transport.codecs(track.kind), track.receiver.mimeType);
    const initial =
      track.kind === 'audio' ? VideoQuality.HIGH : this.adaptiveStream ? VideoQuality.LOW : track.topQuality;
    const subscription = new SubscribedTrack(track, publisherSid, transceiver, initial);
    this.subscriptions.set(track.sid, subscription);
    this.bandwidth.add(subscription);
    metrics.tracksSubscribed.inc();
    void this.transport.negotiate();
    return subscription;
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
      this.transport.pc.removeTrack(subscription.transceiver.sender);
    } catch (error) {
      this.log.debug({ err: error }, 'removeTrack failed');
    }
    void this.transport.negotiate();
    return subscription;
  }

  /** The connection is going away: stop every down track (the room has detached them already). */
  close(): void {
    this.closed = true;
    for (const sid of [...this.subscriptions.keys()]) this.remove(sid);
    this.bandwidth.close();
  }
}
