import {
  type AddTrackRequest,
  DataPacket_Kind,
  type JoinResponse,
  ParticipantInfo,
  type ParticipantInfo_Kind,
  ParticipantInfo_State,
  ParticipantPermission,
  protoInt64,
  SessionDescription,
  SignalResponse,
  SignalTarget,
  TrickleRequest,
  VideoQuality,
} from '@livekit/protocol';
import sdpTransform from 'sdp-transform';
import type { MediaStreamTrack, RTCDataChannel, RTCRtpCodecParameters, RTCRtpTransceiver } from 'werift';
import type { ParticipantPermissions } from '../auth.js';
import { guard } from '../guard.js';
import { newId } from '../ids.js';
import type { Logger } from '../logging.js';
import { metrics } from '../telemetry.js';
import { MediaTrack } from './media-track.js';
import { SubscribedTrack } from './subscribed-track.js';
import { type IceCandidateJson, type RtcConfig, Transport } from './transport.js';

/** Where a participant's signalling goes; the WebSocket today, swapped on resume. */
export interface SignalSink {
  send(message: SignalResponse): void;
  close(code: number, reason: string): void;
}

/** What the room learns from a participant. */
export interface ParticipantEvents {
  onActive(p: Participant): void;
  onTrackPublished(p: Participant, track: MediaTrack): void;
  onTrackUnpublished(p: Participant, track: MediaTrack): void;
  onInfoChanged(p: Participant): void;
  onData(p: Participant, kind: DataPacket_Kind, payload: Uint8Array): void;
  onSubscriberQualitiesChanged(track: MediaTrack): void;
  onTransportFailed(p: Participant): void;
  /** A callback of this participant's threw: its state can no longer be trusted. */
  onFault(p: Participant): void;
}

export interface ParticipantInit {
  identity: string;
  name: string;
  metadata: string;
  attributes: Record<string, string>;
  kind: ParticipantInfo_Kind;
  permissions: ParticipantPermissions;
  autoSubscribe: boolean;
  adaptiveStream: boolean;
  rtc: RtcConfig;
  log: Logger;
  events: ParticipantEvents;
}

const maxTracksPerParticipant = 16;
const maxDataPacketBytes = 64 * 1024;

/**
 * A participant's server-side state: identity and grants, its two peer connections (LiveKit dual-PC
 * mode: it offers on `publisher`, we offer on `subscriber`), the tracks it publishes and the tracks it
 * subscribes to. Rooms decide who sees what; this class owns the connections.
 */
export class Participant {
  readonly sid = newId('PA_');
  readonly identity: string;
  name: string;
  metadata: string;
  attributes: Record<string, string>;
  readonly kind: ParticipantInfo_Kind;
  readonly permissions: ParticipantPermissions;
  readonly autoSubscribe: boolean;
  readonly adaptiveStream: boolean;
  readonly joinedAt = Date.now();
  state = ParticipantInfo_State.JOINING;
  private version = 1;
  private signal: SignalSink | undefined;
  readonly publisher: Transport;
  readonly subscriber: Transport;
  /** Tracks announced with AddTrackRequest whose media has not arrived yet, by client id. */
  private readonly pending = new Map<string, MediaTrack>();
  readonly tracks = new Map<string, MediaTrack>();
  readonly subscriptions = new Map<string, SubscribedTrack>();
  private readonly subscriberChannels = new Map<DataPacket_Kind, RTCDataChannel>();
  /** msid track id by mid, from the publisher's latest offer: how media finds its AddTrackRequest. */
  private msidByMid = new Map<string, string>();
  private readonly log: Logger;
  private readonly events: ParticipantEvents;
  private closed = false;

  constructor(init: ParticipantInit) {
    this.identity = init.identity;
    this.name = init.name;
    this.metadata = init.metadata;
    this.attributes = { ...init.attributes };
    this.kind = init.kind;
    this.permissions = init.permissions;
    this.autoSubscribe = init.autoSubscribe;
    this.adaptiveStream = init.adaptiveStream;
    this.events = init.events;
    this.log = init.log.child({ participant: this.identity, sid: this.sid });
    this.publisher = new Transport('publisher', init.rtc, this.log);
    this.subscriber = new Transport('subscriber', init.rtc, this.log);
    this.wireTransports();
  }

  get subscriberPrimary(): boolean {
    return this.permissions.canSubscribe;
  }

  get isActive(): boolean {
    return this.state === ParticipantInfo_State.ACTIVE;
  }

  get hidden(): boolean {
    return this.permissions.hidden;
  }

  attachSignal(signal: SignalSink): void {
    this.signal = signal;
  }

  detachSignal(signal: SignalSink): void {
    if (this.signal === signal) this.signal = undefined;
  }

  get hasSignal(): boolean {
    return this.signal !== undefined;
  }

  send(message: SignalResponse['message']): void {
    this.signal?.send(new SignalResponse({ message }));
  }

  toProto(): ParticipantInfo {
    return new ParticipantInfo({
      sid: this.sid,
      identity: this.identity,
      name: this.name,
      metadata: this.metadata,
      attributes: this.attributes,
      state: this.state,
      kind: this.kind,
      joinedAt: protoInt64.parse(Math.floor(this.joinedAt / 1000)),
      joinedAtMs: protoInt64.parse(this.joinedAt),
      version: this.version,
      isPublisher: this.tracks.size > 0,
      tracks: [...this.tracks.values()].filter((t) => t.published).map((t) => t.info),
      permission: new ParticipantPermission({
        canSubscribe: this.permissions.canSubscribe,
        canPublish: this.permissions.canPublish,
        canPublishData: this.permissions.canPublishData,
        canUpdateMetadata: this.permissions.canUpdateOwnMetadata,
        canPublishSources: this.permissions.sourcesAsProto,
        hidden: this.permissions.hidden,
      }),
    });
  }

  /** Bump the version clients use to discard stale updates, then tell the room. */
  changed(): void {
    this.version += 1;
    this.events.onInfoChanged(this);
  }

  /** The server opens the subscriber connection at once (with its data channels), as LiveKit does. */
  start(join: JoinResponse): void {
    this.send({ case: 'join', value: join });
    for (const [kind, label, options] of [
      [DataPacket_Kind.RELIABLE, '_reliable', { ordered: true }],
      [DataPacket_Kind.LOSSY, '_lossy', { ordered: false, maxRetransmits: 0 }],
    ] as const) {
      const channel = this.subscriber.pc.createDataChannel(label, options);
      this.subscriberChannels.set(kind, channel);
    }
    void this.subscriber.negotiate();
  }

  // ---- signalling from the client ----

  async handleOffer(description: SessionDescription): Promise<void> {
    this.msidByMid = msidsByMid(description.sdp);
    const sdp = await this.publisher.handleOffer(description.sdp);
    this.send({ case: 'answer', value: new SessionDescription({ type: 'answer', sdp, id: description.id }) });
  }

  async handleAnswer(description: SessionDescription): Promise<void> {
    await this.subscriber.handleAnswer(description.sdp, description.id);
  }

  async handleTrickle(trickle: TrickleRequest): Promise<void> {
    const candidate = JSON.parse(trickle.candidateInit) as IceCandidateJson;
    if (!candidate || typeof candidate.candidate !== 'string') throw new Error('bad candidate');
    const transport = trickle.target === SignalTarget.SUBSCRIBER ? this.subscriber : this.publisher;
    await transport.addIceCandidate(candidate);
  }

  /** AddTrackRequest: reserve a track sid; it is published to the room once its media arrives. */
  addTrack(request: AddTrackRequest): { ok: true; track: MediaTrack } | { ok: false; reason: string } {
    if (!this.permissions.canPublishSource(request.source)) {
      return { ok: false, reason: 'not allowed to publish this source' };
    }
    if (this.tracks.size + this.pending.size >= maxTracksPerParticipant) {
      return { ok: false, reason: 'too many tracks' };
    }
    if (this.pending.has(request.cid)) return { ok: false, reason: 'track already pending' };
    const track = new MediaTrack(request);
    this.pending.set(request.cid, track);
    return { ok: true, track };
  }

  /** The server API changed this participant's rights; take away what it may no longer do. */
  updatePermissions(permission: ParticipantPermission): void {
    this.permissions.update({
      canSubscribe: permission.canSubscribe,
      canPublish: permission.canPublish,
      canPublishData: permission.canPublishData,
      canUpdateOwnMetadata: permission.canUpdateMetadata,
      hidden: permission.hidden,
      canPublishSources: permission.canPublishSources.length > 0 ? permission.canPublishSources : undefined,
    });
    if (!permission.canSubscribe) for (const sid of [...this.subscriptions.keys()]) this.unsubscribe(sid);
    for (const track of [...this.tracks.values()]) {
      if (!this.permissions.canPublishSource(track.info.source)) this.unpublish(track.sid);
    }
  }

  setTrackMuted(sid: string, muted: boolean): MediaTrack | undefined {
    const track = this.tracks.get(sid);
    if (!track || track.info.muted === muted) return track;
    track.info.muted = muted;
    this.changed();
    return track;
  }

  unpublish(sid: string): void {
    const track = this.tracks.get(sid);
    if (!track) return;
    this.tracks.delete(sid);
    track.close();
    metrics.tracksPublished.dec();
    this.events.onTrackUnpublished(this, track);
    this.changed();
  }

  // ---- subscriptions (driven by the room) ----

  subscribe(track: MediaTrack, publisherSid: string): void {
    if (this.subscriptions.has(track.sid) || !track.receiver || this.closed) return;
    const transceiver = this.subscriber.pc.addTransceiver(track.kind, { direction: 'sendonly' });
    transceiver.sender.streamIds = [`${publisherSid}|${track.sid}`];
    // werift declares trackId read-only, but it is what the msid (and so the client's track sid) carries.
    (transceiver.sender as { trackId: string }).trackId = track.sid;
    preferCodec(transceiver, this.subscriber.codecs(track.kind), track.receiver.mimeType);
    const initial =
      track.kind === 'audio' ? VideoQuality.HIGH : this.adaptiveStream ? VideoQuality.LOW : track.topQuality;
    const subscription = new SubscribedTrack(track, publisherSid, transceiver, initial);
    this.subscriptions.set(track.sid, subscription);
    metrics.tracksSubscribed.inc();
    this.events.onSubscriberQualitiesChanged(track);
    void this.subscriber.negotiate();
  }

  unsubscribe(trackSid: string): void {
    const subscription = this.subscriptions.get(trackSid);
    if (!subscription) return;
    this.subscriptions.delete(trackSid);
    subscription.close();
    metrics.tracksSubscribed.dec();
    this.events.onSubscriberQualitiesChanged(subscription.track);
    if (this.closed) return;
    try {
      // A stopped m-line must not keep the msid: a later re-subscription would repeat it in the SDP.
      subscription.transceiver.sender.streamIds = [];
      this.subscriber.pc.removeTrack(subscription.transceiver.sender);
    } catch (error) {
      this.log.debug({ err: error }, 'removeTrack failed');
    }
    void this.subscriber.negotiate();
  }

  // ---- data ----

  sendData(kind: DataPacket_Kind, payload: Uint8Array): boolean {
    const channel =
      this.subscriberChannels.get(kind) ?? this.subscriberChannels.get(DataPacket_Kind.RELIABLE);
    if (channel?.readyState !== 'open') return false;
    channel.send(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
    metrics.dataPackets.inc({ direction: 'out' });
    return true;
  }

  // ---- lifecycle ----

  /** Resume after a signal reconnect: restart ICE on our side so the client's new path is found. */
  resume(): void {
    this.subscriber.resetNegotiation();
    void this.subscriber.negotiate({ iceRestart: true });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.state = ParticipantInfo_State.DISCONNECTED;
    for (const sid of [...this.subscriptions.keys()]) this.unsubscribe(sid);
    for (const sid of [...this.tracks.keys()]) this.unpublish(sid);
    for (const track of this.pending.values()) track.close();
    this.pending.clear();
    await Promise.all([this.publisher.close(), this.subscriber.close()]);
  }

  /** Peer-connection callbacks run from werift's sockets: a fault there drops this participant only. */
  private guarded<A extends unknown[]>(where: string, fn: (...args: A) => unknown): (...args: A) => void {
    return guard(where, this.log, fn, () => this.events.onFault(this));
  }

  private wireTransports(): void {
    for (const transport of [this.publisher, this.subscriber]) {
      const target = transport.role === 'publisher' ? SignalTarget.PUBLISHER : SignalTarget.SUBSCRIBER;
      transport.on(
        'candidate',
        this.guarded('ice_candidate', (candidate: IceCandidateJson) => {
          this.send({
            case: 'trickle',
            value: new TrickleRequest({ candidateInit: JSON.stringify(candidate), target }),
          });
        }),
      );
      transport.on(
        'connected',
        this.guarded('transport_connected', () => this.onTransportConnected(transport)),
      );
      transport.on(
        'failed',
        this.guarded('transport_failed', () => this.events.onTransportFailed(this)),
      );
    }
    this.subscriber.on(
      'offer',
      this.guarded('subscriber_offer', (sdp: string, id: number) => {
        this.send({ case: 'offer', value: new SessionDescription({ type: 'offer', sdp, id }) });
      }),
    );
    this.publisher.pc.onTransceiverAdded.subscribe(
      this.guarded('transceiver_added', (transceiver: RTCRtpTransceiver) => {
        transceiver.onTrack.subscribe(
          this.guarded('media_track', (track: MediaStreamTrack) => this.onMediaTrack(track, transceiver)),
        );
      }),
    );
    this.publisher.pc.onDataChannel.subscribe(
      this.guarded('data_channel', (channel: RTCDataChannel) => {
        const kind = channel.label === '_lossy' ? DataPacket_Kind.LOSSY : DataPacket_Kind.RELIABLE;
        channel.onMessage.subscribe(
          this.guarded('data_message', (message: string | Buffer) => {
            if (typeof message === 'string') return;
            metrics.dataPackets.inc({ direction: 'in' });
            if (message.byteLength > maxDataPacketBytes) {
              this.log.warn({ bytes: message.byteLength }, 'oversized data packet dropped');
              return;
            }
            this.events.onData(this, kind, message);
          }),
        );
      }),
    );
  }

  private onTransportConnected(transport: Transport): void {
    const primary = this.subscriberPrimary ? this.subscriber : this.publisher;
    if (transport === primary && this.state !== ParticipantInfo_State.ACTIVE) {
      this.state = ParticipantInfo_State.ACTIVE;
      this.version += 1;
      this.events.onActive(this);
    }
  }

  /** Media arrived on the publisher connection: find the AddTrackRequest it belongs to, by msid. */
  private onMediaTrack(rtcTrack: MediaStreamTrack, transceiver: RTCRtpTransceiver): void {
    const msid = transceiver.mid ? this.msidByMid.get(transceiver.mid) : undefined;
    const existing = [...this.tracks.values()].find((t) => t.info.mid === transceiver.mid && t.published);
    let track = existing ?? (msid ? this.pending.get(msid) : undefined);
    if (!track) {
      // Firefox-style msids that do not carry the track id: fall back to the oldest pending track of this kind.
      track = [...this.pending.values()].find((t) => t.kind === rtcTrack.kind);
    }
    if (!track) {
      this.log.warn({ mid: transceiver.mid, msid }, 'media without a matching AddTrackRequest ignored');
      return;
    }
    const first = !track.published;
    track.attachMedia(rtcTrack, transceiver);
    if (!first) return;
    this.pending.delete(track.cid);
    this.tracks.set(track.sid, track);
    metrics.tracksPublished.inc();
    this.version += 1;
    this.events.onTrackPublished(this, track);
  }
}

/** `a=msid:<stream> <track>` per m-section; LiveKit clients use the track id as AddTrackRequest.cid. */
function msidsByMid(sdp: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const media of sdpTransform.parse(sdp).media) {
    // sdp-transform yields `msid` as a list of { id, appdata } (appdata is the track id).
    const msid = (media as { msid?: Array<{ id: string; appdata?: string }> }).msid;
    const trackId =
      msid?.find((entry) => entry.appdata)?.appdata ??
      media.ssrcs?.find((s) => s.attribute === 'msid')?.value?.split(' ')[1];
    if (media.mid !== undefined && trackId) result.set(String(media.mid), trackId);
  }
  return result;
}

/** Offer only the codec the publisher actually sends (and its RTX), so the subscriber cannot pick another. */
function preferCodec(
  transceiver: RTCRtpTransceiver,
  codecs: RTCRtpCodecParameters[],
  mimeType: string,
): void {
  const primary = codecs.filter((c) => c.mimeType.toLowerCase() === mimeType.toLowerCase());
  if (primary.length === 0) return;
  const rtx = codecs.filter(
    (c) =>
      c.mimeType.toLowerCase().endsWith('/rtx') &&
      primary.some((p) => c.parameters === `apt=${p.payloadType}`),
  );
  transceiver.setCodecPreferences([...primary, ...rtx]);
}
