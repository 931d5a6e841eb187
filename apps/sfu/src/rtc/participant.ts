import {
  type AddTrackRequest,
  ConnectionQuality,
  ConnectionQualityInfo,
  DataPacket_Kind,
  DisconnectReason,
  type JoinResponse,
  LeaveRequest,
  LeaveRequest_Action,
  MediaSectionsRequirement,
  ParticipantInfo,
  type ParticipantInfo_Kind,
  ParticipantInfo_State,
  ParticipantPermission,
  protoInt64,
  SessionDescription,
  SignalResponse,
  SignalTarget,
  StreamState,
  StreamStateInfo,
  StreamStateUpdate,
  TrickleRequest,
} from '@livekit/protocol';
import type { MediaStreamTrack, RTCDataChannel, RTCRtpTransceiver } from 'werift';
import type { ParticipantPermissions } from '../auth.js';
import { SfuError } from '../errors.js';
import { guard } from '../guard.js';
import { newId } from '../ids.js';
import type { Logger } from '../logging.js';
import { metrics } from '../telemetry.js';
import type { MediaTrack } from './media-track.js';
import { configureAudioAnswer } from './sdp.js';
import { SubscriptionManager } from './subscription-manager.js';
import { type IceCandidateJson, type RtcConfig, Transport } from './transport.js';
import { UpTrackManager } from './up-track-manager.js';

/** Where a participant's signalling goes; the WebSocket today, swapped on resume. */
export interface SignalSink {
  send(message: SignalResponse): void;
  close(code: number, reason: string): void;
}

/** ICE candidates being added at once (each may wait 10 s on an mDNS lookup): more is a flood. */
const maxPendingCandidates = 32;

/** Responses too frequent to trace one by one. */
const quietResponses = new Set(['pong', 'pongResp', 'speakersChanged', 'connectionQuality', 'roomUpdate']);

/** What the room learns from a participant. */
export interface ParticipantEvents {
  onActive(p: Participant): void;
  onTrackPublished(p: Participant, track: MediaTrack): void;
  onTrackUnpublished(p: Participant, track: MediaTrack): void;
  onInfoChanged(p: Participant): void;
  onData(p: Participant, kind: DataPacket_Kind, payload: Uint8Array): void;
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
  /** The client lets the SFU pause video it has no bandwidth for (`subscriber_allow_pause`, default yes). */
  subscriberAllowPause: boolean;
  /** `/rtc/v1`: one connection, offered by the client, carries media both ways (see `subscriber`). */
  singlePeerConnection?: boolean;
  rtc: RtcConfig;
  log: Logger;
  events: ParticipantEvents;
}

/** A change to a participant's info, from its own client (UpdateParticipantMetadata) or RoomService. */
export interface InfoUpdate {
  /** Empty leaves the name as it is. */
  name?: string;
  /** Empty leaves the metadata as it is. */
  metadata?: string;
  /** Merged in; an empty value removes the key. */
  attributes?: Record<string, string>;
  /** New rights (RoomService only): what they no longer cover is taken away. */
  permission?: ParticipantPermission;
}

/** The score livekit-client shows beside each grade (LiveKit's MOS scale, 1–5). */
const qualityScores: Record<ConnectionQuality, number> = {
  [ConnectionQuality.EXCELLENT]: 4.5,
  [ConnectionQuality.GOOD]: 3.5,
  [ConnectionQuality.POOR]: 2,
  [ConnectionQuality.LOST]: 0,
};

const maxNameLength = 256;
const maxMetadataBytes = 64 * 1024;
const maxDataPacketBytes = 64 * 1024;
/** Reliable data held for a subscriber whose channel has not opened yet: a few seconds of busy chat. */
const maxUnopenedDataBytes = 256 * 1024;
const unopenedDataWindowMs = 10_000;

/**
 * A participant's server-side state: identity, info and grants, its signalling, its peer connections
 * (LiveKit's dual-PC mode, `/rtc`: it offers on `publisher`, we offer on `subscriber`; single-PC mode,
 * `/rtc/v1`: `subscriber` is `publisher`, the client offers every change and we ask it for the media
 * sections our down tracks need with MediaSectionsRequirement), the tracks it
 * publishes (`tracks`, an UpTrackManager) and those it subscribes to (`subscriptions`, a
 * SubscriptionManager). The room decides who sees what and wires the media.
 */
export class Participant {
  readonly sid = newId('PA_');
  readonly identity: string;
  name: string;
  metadata: string;
  readonly attributes: Record<string, string>;
  readonly kind: ParticipantInfo_Kind;
  readonly permissions: ParticipantPermissions;
  readonly autoSubscribe: boolean;
  readonly singlePeerConnection: boolean;
  readonly joinedAt = Date.now();
  state = ParticipantInfo_State.JOINING;
  private version = 1;
  private signal: SignalSink | undefined;
  readonly publisher: Transport;
  readonly subscriber: Transport;
  readonly tracks: UpTrackManager;
  readonly subscriptions: SubscriptionManager;
  /** Where data goes to this client: our channels on `subscriber`, or (single PC) the client's own. */
  private readonly subscriberChannels = new Map<DataPacket_Kind, RTCDataChannel>();
  /** Reliable data for the subscriber channel before it opened (see `sendData`). */
  private unopened: { packets: Buffer[]; bytes: number } = { packets: [], bytes: 0 };
  private readonly log: Logger;
  private pendingCandidates = 0;
  private readonly events: ParticipantEvents;
  private closed = false;

  constructor(init: ParticipantInit) {
    this.identity = init.identity;
    this.name = init.name.slice(0, maxNameLength);
    this.metadata = init.metadata;
    this.attributes = { ...init.attributes };
    this.kind = init.kind;
    this.permissions = init.permissions;
    this.autoSubscribe = init.autoSubscribe;
    this.singlePeerConnection = init.singlePeerConnection ?? false;
    this.events = init.events;
    this.log = init.log.child({ participant: this.identity, sid: this.sid });
    this.publisher = new Transport('publisher', init.rtc, this.log);
    this.subscriber = this.singlePeerConnection
      ? this.publisher
      : new Transport('subscriber', init.rtc, this.log);
    this.tracks = new UpTrackManager(this.permissions, this.log);
    this.subscriptions = new SubscriptionManager(
      this.subscriber,
      init.adaptiveStream,
      this.singlePeerConnection ? this.requestMediaSections : undefined,
      this.log,
      (subscription, paused) =>
        this.send({
          case: 'streamStateUpdate',
          value: new StreamStateUpdate({
            streamStates: [
              new StreamStateInfo({
                participantSid: subscription.publisherSid,
                trackSid: subscription.id,
                state: paused ? StreamState.PAUSED : StreamState.ACTIVE,
              }),
            ],
          }),
        }),
      init.subscriberAllowPause,
    );
    this.wireTransports();
  }

  get subscriberPrimary(): boolean {
    return this.permissions.canSubscribe && !this.singlePeerConnection;
  }

  get isActive(): boolean {
    return this.state === ParticipantInfo_State.ACTIVE;
  }

  get hidden(): boolean {
    return this.permissions.hidden;
  }

  // ---- signalling ----

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
    if (!quietResponses.has(message.case ?? ''))
      this.log.trace({ response: message.case, signal: this.signal !== undefined }, 'signal response');
    this.signal?.send(new SignalResponse({ message }));
  }

  // ---- info ----

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
      tracks: [...this.tracks.values()].map((t) => t.info),
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

  /**
   * The one way to change name, metadata, attributes and rights, for the client's own request and for
   * RoomService alike: checked against the limits first (nothing changes when one is exceeded), then
   * applied, and everyone is told once.
   */
  updateInfo(update: InfoUpdate): void {
    if (update.name && update.name.length > maxNameLength) {
      throw new SfuError('limit_exceeded', 'exceeds name length limit');
    }
    if (update.metadata && Buffer.byteLength(update.metadata) > maxMetadataBytes) {
      throw new SfuError('limit_exceeded', 'exceeds metadata size limit');
    }
    if (update.name) this.name = update.name;
    if (update.metadata) this.metadata = update.metadata;
    for (const [key, value] of Object.entries(update.attributes ?? {})) {
      if (value === '') delete this.attributes[key];
      else this.attributes[key] = value;
    }
    if (update.permission) this.applyPermission(update.permission);
    this.changed();
  }

  /** New rights from the server API: tracks they no longer cover are unpublished (the room unsubscribes). */
  private applyPermission(permission: ParticipantPermission): void {
    this.permissions.update({
      canSubscribe: permission.canSubscribe,
      canPublish: permission.canPublish,
      canPublishData: permission.canPublishData,
      canUpdateOwnMetadata: permission.canUpdateMetadata,
      hidden: permission.hidden,
      canPublishSources: permission.canPublishSources.length > 0 ? permission.canPublishSources : undefined,
    });
    for (const track of this.tracks.disallowed()) this.removeTrack(track.sid);
  }

  /** Bump the version clients use to discard stale updates, then tell the room. */
  private changed(): void {
    this.version += 1;
    this.events.onInfoChanged(this);
  }

  /** The server opens the subscriber connection at once (with its data channels), as LiveKit does. */
  start(join: JoinResponse): void {
    this.send({ case: 'join', value: join });
    if (this.singlePeerConnection) return; // the client offers, with its data channels
    for (const [kind, label, options] of [
      [DataPacket_Kind.RELIABLE, '_reliable', { ordered: true }],
      [DataPacket_Kind.LOSSY, '_lossy', { ordered: false, maxRetransmits: 0 }],
    ] as const) {
      this.addSubscriberChannel(kind, this.subscriber.pc.createDataChannel(label, options));
    }
    void this.subscriber.negotiate();
  }

  // ---- negotiation (requests from the client) ----

  /** Answers the client's offer (on the socket, and returned for WHIP, which answers over HTTP). */
  async handleOffer(description: SessionDescription): Promise<string> {
    this.tracks.offered(description.sdp);
    const sdp = configureAudioAnswer(
      await this.publisher.handleOffer(description.sdp),
      this.tracks.audioSettingsByMid(),
    );
    this.send({
      case: 'answer',
      value: new SessionDescription({
        type: 'answer',
        sdp,
        id: description.id,
        midToTrackId: this.midToTrackId(),
      }),
    });
    this.subscriptions.offerAnswered();
    return sdp;
  }

  async handleAnswer(description: SessionDescription): Promise<void> {
    if (this.singlePeerConnection)
      throw new SfuError('invalid_argument', 'no offer to answer: the client offers');
    await this.subscriber.handleAnswer(description.sdp, description.id);
  }

  /** Single PC: which of our sending sections carries which track (the client reads it with the answer). */
  private midToTrackId(): Record<string, string> {
    const map: Record<string, string> = {};
    if (!this.singlePeerConnection) return map;
    for (const subscription of this.subscriptions.values()) {
      const mid = subscription.transceiver.mid;
      if (mid != null) map[mid] = subscription.track.sid;
    }
    return map;
  }

  /** Single PC: ask the client for an offer with this many more media sections (0, 0: just an offer). */
  private readonly requestMediaSections = (numAudios: number, numVideos: number) => {
    this.send({
      case: 'mediaSectionsRequirement',
      value: new MediaSectionsRequirement({ numAudios, numVideos }),
    });
  };

  handleTrickle(trickle: TrickleRequest): void {
    let candidate: IceCandidateJson | undefined;
    try {
      candidate = JSON.parse(trickle.candidateInit) as IceCandidateJson;
    } catch {
      // handled below
    }
    if (!candidate || typeof candidate.candidate !== 'string') {
      throw new SfuError('malformed', 'bad ICE candidate');
    }
    const transport = trickle.target === SignalTarget.SUBSCRIBER ? this.subscriber : this.publisher;
    // A client gathers a handful of candidates: more pending at once is a flood, each an mDNS query.
    if (this.pendingCandidates >= maxPendingCandidates)
      throw new SfuError('limit_exceeded', 'too many ICE candidates pending');
    this.pendingCandidates += 1;
    // Not awaited: werift resolves a browser's mDNS (.local) host candidate first and waits up to 10 s
    // for an answer that never comes from another subnet, and requests are handled in order — the
    // answer to the next offer and every subscription waited behind it (a viewer's reconnect took 10 s
    // longer). The browser's checks reach us anyway (a peer-reflexive candidate).
    transport
      .addIceCandidate(candidate)
      .catch((error: Error) => {
        metrics.signalErrors.inc({ reason: 'invalid_request' });
        this.log.debug({ err: error.message }, 'ICE candidate refused');
      })
      .finally(() => {
        this.pendingCandidates -= 1;
      });
  }

  // ---- published tracks ----

  /** AddTrackRequest: reserve a track sid; it is published to the room once its media arrives. */
  addTrack(request: AddTrackRequest): MediaTrack {
    return this.tracks.announce(request);
  }

  /** Mute or unmute a published track; undefined when there is no such track. */
  setTrackMuted(sid: string, muted: boolean): MediaTrack | undefined {
    const track = this.tracks.get(sid);
    if (!track || track.info.muted === muted) return track;
    track.info.muted = muted;
    track.receiver?.setMuted(muted);
    this.changed();
    return track;
  }

  unpublish(sid: string): void {
    if (this.removeTrack(sid)) this.changed();
  }

  private removeTrack(sid: string): boolean {
    const track = this.tracks.remove(sid);
    if (track) this.events.onTrackUnpublished(this, track);
    return track !== undefined;
  }

  // ---- data ----

  sendData(kind: DataPacket_Kind, payload: Uint8Array): boolean {
    const channel =
      this.subscriberChannels.get(kind) ?? this.subscriberChannels.get(DataPacket_Kind.RELIABLE);
    const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    if (channel?.readyState === 'open') {
      if (this.unopened.packets.length > 0) this.channelOpened(channel); // what waited goes first
      channel.send(bytes);
      metrics.dataPackets.inc({ direction: 'out' });
      return true;
    }
    // A participant that joined a moment ago: its channel opens after its connection does (on one peer
    // connection the client's channel is not even known until then). Reliable data (chat) waits for it, up
    // to a bound and for the first seconds only (a WHIP publisher never opens one); lossy is not held.
    if (kind !== DataPacket_Kind.RELIABLE || (channel !== undefined && channel.readyState !== 'connecting'))
      return false;
    if (Date.now() - this.joinedAt > unopenedDataWindowMs) {
      this.unopened = { packets: [], bytes: 0 };
      return false;
    }
    if (this.unopened.bytes + bytes.byteLength > maxUnopenedDataBytes) return false;
    this.unopened.packets.push(Buffer.from(bytes));
    this.unopened.bytes += bytes.byteLength;
    return true;
  }

  /** A channel data reaches this participant on; once the reliable one opens, what waited goes out. */
  private addSubscriberChannel(kind: DataPacket_Kind, channel: RTCDataChannel): void {
    this.subscriberChannels.set(kind, channel);
    if (channel.readyState === 'open') this.channelOpened(channel);
    channel.stateChanged.subscribe(
      this.guarded('data_channel_state', (state: string) => {
        if (state === 'open') this.channelOpened(channel);
      }),
    );
  }

  private channelOpened(channel: RTCDataChannel): void {
    if (channel !== this.subscriberChannels.get(DataPacket_Kind.RELIABLE)) return;
    for (const packet of this.unopened.packets) {
      channel.send(packet);
      metrics.dataPackets.inc({ direction: 'out' });
    }
    this.unopened = { packets: [], bytes: 0 };
  }

  /** LiveKit's grade of this participant's connection: its primary transport, and what it receives. */
  connectionQuality(): ConnectionQualityInfo {
    const primary = this.subscriberPrimary ? this.subscriber : this.publisher;
    const quality =
      this.subscriptions.size > 0
        ? this.subscriptions.quality()
        : primary.connected
          ? ConnectionQuality.EXCELLENT
          : ConnectionQuality.LOST;
    return new ConnectionQualityInfo({ participantSid: this.sid, quality, score: qualityScores[quality] });
  }

  // ---- lifecycle ----

  /**
   * Whether a resume can bring this session back. Not once a peer connection failed (ICE): werift's ICE
   * restart on a transport whose DTLS is still up skips ICE (`RTCPeerConnection.connect` returns early),
   * so the connection says "connected" again with no nominated pair and no consent to send (RFC 7675) and
   * werift drops every packet — seen in the slow-link test's outage (after the restart: ICE "completed",
   * nominated none, consent false). Such a client is asked for a full reconnect instead.
   */
  get resumable(): boolean {
    return !this.transports.some((transport) => transport.failed);
  }

  /**
   * A peer connection failed (ICE): tell the client to reconnect in full (new peer connections; its new
   * session replaces this one, as a duplicate identity does) and close its signalling. LiveKit's server
   * asks for a resume (an ICE restart) here; see `resumable` for why that does not work on werift. When
   * the failure is the client's downlink, this never reaches it: its own resume is refused instead.
   */
  requestReconnect(): void {
    this.send({
      case: 'leave',
      value: new LeaveRequest({
        canReconnect: true,
        reason: DisconnectReason.CONNECTION_TIMEOUT,
        action: LeaveRequest_Action.RECONNECT,
      }),
    });
    this.signal?.close(1000, 'peer connection failed');
  }

  /** Resume after a signal reconnect: restart ICE on our side so the client's new path is found. */
  resume(): void {
    if (this.singlePeerConnection) return; // the client restarts ICE with its next offer
    this.subscriber.resetNegotiation();
    void this.subscriber.negotiate({ iceRestart: true });
  }

  /** Leave for good: the room has unsubscribed it; its tracks are unpublished (the room is told). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.state = ParticipantInfo_State.DISCONNECTED;
    this.subscriptions.close();
    for (const sid of [...this.tracks.keys()]) this.unpublish(sid);
    this.tracks.closePending();
    await Promise.all(this.transports.map((transport) => transport.close()));
  }

  /** Peer-connection callbacks run from werift's sockets: a fault there drops this participant only. */
  private guarded<A extends unknown[]>(where: string, fn: (...args: A) => unknown): (...args: A) => void {
    return guard(where, this.log, fn, () => this.events.onFault(this));
  }

  private get transports(): Transport[] {
    return this.singlePeerConnection ? [this.publisher] : [this.publisher, this.subscriber];
  }

  private wireTransports(): void {
    for (const transport of this.transports) {
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
        // One connection: the client's channels carry data both ways.
        if (this.singlePeerConnection && (channel.label === '_lossy' || channel.label === '_reliable'))
          this.addSubscriberChannel(kind, channel);
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

  /** Media arrived on the publisher connection: the first of a track publishes it to the room. */
  private onMediaTrack(rtcTrack: MediaStreamTrack, transceiver: RTCRtpTransceiver): void {
    const published = this.tracks.attachMedia(rtcTrack, transceiver);
    if (!published) return;
    this.version += 1;
    this.events.onTrackPublished(this, published);
  }
}
