import {
  type ConnectionQuality,
  type ConnectionQualityInfo,
  ConnectionQualityUpdate,
  DataPacket,
  type DataPacket_Kind,
  DisconnectReason,
  JoinResponse,
  LeaveRequest,
  LeaveRequest_Action,
  ParticipantInfo_State,
  ParticipantUpdate,
  protoInt64,
  Room as RoomInfo,
  RoomUpdate,
  ServerInfo,
  ServerInfo_Edition,
  SpeakersChanged,
  SubscribedCodec,
  SubscribedQuality,
  SubscribedQualityUpdate,
  TrackUnpublishedResponse,
  type UpdateSubscription,
  type UpdateTrackSettings,
  VideoQuality,
} from '@livekit/protocol';
import { guard } from '../guard.js';
import { newId } from '../ids.js';
import type { Logger } from '../logging.js';
import { observeWindowMs } from '../sfu/audio-level.js';
import { DataLimiter, type DataLimits } from '../sfu/data-limiter.js';
import { qualities } from '../sfu/layers.js';
import { metrics } from '../telemetry.js';
import type { MediaTrack } from './media-track.js';
import type { Participant, ParticipantEvents } from './participant.js';
import { SpeakerUpdates } from './speaker-updates.js';

export const serverVersion = '1.9.0';
const pingIntervalSeconds = 5;
const pingTimeoutSeconds = 15;
/** Downgrades of the layers a publisher must send wait this long, so a flapping viewer does not thrash it. */
const dynacastDowngradeDelayMs = 3000;
/** A publisher is told its needed layers again at most this often when subscribers keep waiting for one. */
const dynacastRenewIntervalMs = 1000;
/**
 * How often connection quality is graded and sent when it changed (LiveKit: 5 s). Shorter here: the
 * viewer's "reduced quality" note reads it, and a viewer should not wait 5 s to learn why its picture
 * got softer.
 */
const connectionQualityIntervalMs = 2000;

export interface RoomOptions {
  emptyTimeout: number;
  departureTimeout: number;
  maxParticipants: number;
  metadata: string;
  /** What each participant may send as data (src/sfu/data-limiter.ts). */
  data: DataLimits;
}

/** What the room reports upward: the room manager turns these into webhooks and bookkeeping. */
export interface RoomHooks {
  participantJoined(room: Room, p: Participant): void;
  participantLeft(room: Room, p: Participant): void;
  trackPublished(room: Room, p: Participant, track: MediaTrack): void;
  trackUnpublished(room: Room, p: Participant, track: MediaTrack): void;
  empty(room: Room): void;
}

interface DynacastState {
  sent: VideoQuality | undefined | null;
  timer?: NodeJS.Timeout;
  renewedAt?: number;
}

/**
 * A room: who is in it, who is subscribed to what, and where data goes. Media itself never passes
 * through here; the room wires publishers' receivers to subscribers' down tracks (`subscribe` and
 * `unsubscribe`, the only places that do).
 */
export class Room implements ParticipantEvents {
  readonly sid = newId('RM_');
  readonly createdAt = Date.now();
  readonly participants = new Map<string, Participant>();
  private readonly dynacast = new Map<string, DynacastState>();
  private readonly qualityTimer: NodeJS.Timeout;
  private qualitySent = new Map<Participant, ConnectionQuality>();
  private readonly dataLimiter: DataLimiter<Participant>;
  private readonly speakers = new SpeakerUpdates();
  private readonly speakersTimer: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly name: string,
    readonly options: RoomOptions,
    private readonly hooks: RoomHooks,
    private readonly log: Logger,
  ) {
    this.qualityTimer = setInterval(
      guard('connection_quality', log, () => this.sendConnectionQuality()),
      connectionQualityIntervalMs,
    );
    this.qualityTimer.unref();
    this.dataLimiter = new DataLimiter(options.data, (p) => {
      log.warn({ participant: p.identity }, 'data flood: participant disconnected');
      this.remove(p, DisconnectReason.PARTICIPANT_REMOVED);
    });
    // One judgement per audio window, as LiveKit's audio update interval.
    this.speakersTimer = setInterval(guard('speakers', log, this.sendSpeakers), observeWindowMs);
    this.speakersTimer.unref();
  }

  get metadata(): string {
    return this.options.metadata;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  toProto(): RoomInfo {
    const participants = [...this.participants.values()];
    return new RoomInfo({
      sid: this.sid,
      name: this.name,
      emptyTimeout: this.options.emptyTimeout,
      departureTimeout: this.options.departureTimeout,
      maxParticipants: this.options.maxParticipants,
      creationTime: protoInt64.parse(Math.floor(this.createdAt / 1000)),
      creationTimeMs: protoInt64.parse(this.createdAt),
      metadata: this.options.metadata,
      numParticipants: participants.filter((p) => !p.hidden).length,
      numPublishers: participants.filter((p) => p.tracks.size > 0).length,
    });
  }

  get isFull(): boolean {
    return this.options.maxParticipants > 0 && this.participants.size >= this.options.maxParticipants;
  }

  /** Admit a participant: a duplicate identity replaces the older session, as in LiveKit. */
  join(p: Participant): void {
    const previous = this.participants.get(p.identity);
    if (previous) this.remove(previous, DisconnectReason.DUPLICATE_IDENTITY);
    this.participants.set(p.identity, p);
    this.log.info({ participant: p.identity, sid: p.sid }, 'participant joined');
    p.state = ParticipantInfo_State.JOINED;
    p.start(
      new JoinResponse({
        room: this.toProto(),
        participant: p.toProto(),
        otherParticipants: this.visibleOthers(p).map((o) => o.toProto()),
        serverVersion,
        serverInfo: new ServerInfo({
          edition: ServerInfo_Edition.Standard,
          version: serverVersion,
          protocol: 16,
          nodeId: 'scenecast-sfu',
        }),
        subscriberPrimary: p.subscriberPrimary,
        pingInterval: pingIntervalSeconds,
        pingTimeout: pingTimeoutSeconds,
        fastPublish: p.permissions.canPublish,
      }),
    );
    const speakers = this.speakers.current();
    if (speakers.length > 0) p.send({ case: 'speakersChanged', value: new SpeakersChanged({ speakers }) });
    this.broadcast(p);
    this.hooks.participantJoined(this, p);
  }

  /** Remove a participant for good: tell it why (if still connected) and tell everyone else. */
  remove(p: Participant, reason: DisconnectReason): void {
    if (this.participants.get(p.identity) !== p) return;
    this.participants.delete(p.identity);
    this.log.info(
      { participant: p.identity, sid: p.sid, reason: DisconnectReason[reason] },
      'participant left',
    );
    p.send({
      case: 'leave',
      // A server going away (restart, deploy) asks clients to reconnect; anything else ends the session.
      value:
        reason === DisconnectReason.SERVER_SHUTDOWN
          ? new LeaveRequest({ canReconnect: true, reason, action: LeaveRequest_Action.RECONNECT })
          : new LeaveRequest({ canReconnect: false, reason, action: LeaveRequest_Action.DISCONNECT }),
    });
    for (const sid of [...p.subscriptions.keys()]) this.unsubscribe(p, sid);
    for (const other of this.participants.values()) {
      for (const sid of p.tracks.keys()) this.unsubscribe(other, sid);
    }
    void p.close();
    p.state = ParticipantInfo_State.DISCONNECTED;
    this.broadcast(p);
    this.hooks.participantLeft(this, p);
    if (this.participants.size === 0) this.hooks.empty(this);
  }

  setMetadata(metadata: string): void {
    this.options.metadata = metadata;
    const room = this.toProto();
    for (const p of this.participants.values())
      p.send({ case: 'roomUpdate', value: new RoomUpdate({ room }) });
  }

  // ---- ParticipantEvents ----

  onActive(p: Participant): void {
    if (p.autoSubscribe && p.permissions.canSubscribe) {
      for (const other of this.participants.values()) {
        if (other === p) continue;
        for (const track of other.tracks.values()) this.subscribe(p, track, other);
      }
    }
    this.broadcast(p);
  }

  onTrackPublished(p: Participant, track: MediaTrack): void {
    this.log.info(
      { participant: p.identity, track: track.sid, mime: track.info.mimeType },
      'track published',
    );
    this.broadcast(p);
    for (const other of this.participants.values()) {
      if (other === p || !other.isActive || !other.autoSubscribe || !other.permissions.canSubscribe) continue;
      this.subscribe(other, track, p);
    }
    this.hooks.trackPublished(this, p, track);
    this.sendDynacast(p, track);
    if (track.receiver) track.receiver.onLayerWanted = () => this.renewDynacast(p, track);
  }

  onTrackUnpublished(p: Participant, track: MediaTrack): void {
    for (const other of this.participants.values()) this.unsubscribe(other, track.sid);
    p.send({ case: 'trackUnpublished', value: new TrackUnpublishedResponse({ trackSid: track.sid }) });
    const state = this.dynacast.get(track.sid);
    if (state?.timer) clearTimeout(state.timer);
    this.dynacast.delete(track.sid);
    this.hooks.trackUnpublished(this, p, track);
  }

  /** Name, metadata, attributes or rights changed: rights taken away take their subscriptions along. */
  onInfoChanged(p: Participant): void {
    if (!p.permissions.canSubscribe) for (const sid of [...p.subscriptions.keys()]) this.unsubscribe(p, sid);
    this.broadcast(p);
  }

  onFault(p: Participant): void {
    this.remove(p, DisconnectReason.STATE_MISMATCH);
  }

  /**
   * Before, this only logged and waited for a resume that never came: a viewer whose downlink was
   * saturated lost ICE consent on our side (werift fails after 30 s without a consent response) while its
   * browser, whose checks we still answered, stayed "connected" — so nothing reconnected. Now the client is
   * told to resume, as LiveKit's server does.
   */
  onTransportFailed(p: Participant): void {
    this.log.warn({ participant: p.identity }, 'peer connection failed; asking the client to reconnect');
    p.requestReconnect();
  }

  /** Route a data packet: stamp the sender (clients must not spoof it), then deliver to its audience. */
  onData(p: Participant, kind: DataPacket_Kind, payload: Uint8Array): void {
    if (!p.permissions.canPublishData || !this.dataLimiter.admit(p, payload.byteLength)) return;
    let packet: DataPacket;
    try {
      packet = DataPacket.fromBinary(payload);
    } catch {
      metrics.signalErrors.inc({ reason: 'bad_data_packet' });
      return;
    }
    packet.kind = kind;
    packet.participantSid = p.sid;
    packet.participantIdentity = p.hidden ? '' : p.identity;
    if (packet.value.case === 'user') {
      const user = packet.value.value;
      user.participantSid = p.hidden ? '' : p.sid;
      user.participantIdentity = p.hidden ? '' : p.identity;
      if (packet.destinationIdentities.length === 0)
        packet.destinationIdentities = user.destinationIdentities;
      else user.destinationIdentities = packet.destinationIdentities;
    }
    this.deliver(packet, p);
  }

  /** Send a data packet to its destination identities (all but the sender when none are named). */
  deliver(packet: DataPacket, from?: Participant): number {
    const bytes = packet.toBinary();
    const destinations = new Set(packet.destinationIdentities);
    let delivered = 0;
    for (const other of this.participants.values()) {
      if (other === from) continue;
      if (destinations.size > 0 && !destinations.has(other.identity)) continue;
      if (other.sendData(packet.kind, bytes)) delivered += 1;
    }
    return delivered;
  }

  // ---- subscription requests ----

  updateSubscription(p: Participant, request: UpdateSubscription): void {
    const sids = new Set(request.trackSids);
    for (const pt of request.participantTracks) for (const sid of pt.trackSids) sids.add(sid);
    for (const sid of sids) {
      if (!request.subscribe) {
        this.unsubscribe(p, sid);
        continue;
      }
      const found = this.findTrack(sid);
      if (found && found.owner !== p) this.subscribe(p, found.track, found.owner);
    }
  }

  updateTrackSettings(p: Participant, settings: UpdateTrackSettings): void {
    for (const sid of settings.trackSids) {
      if (!p.subscriptions.applySettings(sid, settings)) continue;
      this.subscribersChanged(p.subscriptions.get(sid)!.track);
    }
  }

  // ---- media wiring ----

  /** Subscribe `p` to a published track: its new down track is fed by the track's receiver. */
  private subscribe(p: Participant, track: MediaTrack, owner: Participant): void {
    if (!p.permissions.canSubscribe || !track.receiver) return;
    const subscription = p.subscriptions.add(track, owner.sid);
    if (!subscription) return;
    track.receiver.attach(subscription.downTrack);
    this.subscribersChanged(track);
  }

  /** Unsubscribe `p` from a track: its down track leaves the receiver and closes. */
  private unsubscribe(p: Participant, trackSid: string): void {
    const subscription = p.subscriptions.remove(trackSid);
    if (!subscription) return;
    subscription.track.receiver?.detach(subscription.downTrack);
    this.subscribersChanged(subscription.track);
  }

  findTrack(sid: string): { owner: Participant; track: MediaTrack } | undefined {
    for (const owner of this.participants.values()) {
      const track = owner.tracks.get(sid);
      if (track) return { owner, track };
    }
    return undefined;
  }

  // ---- dynacast ----

  /** Subscribers' needs changed: tell the publisher which layers to keep encoding. */
  private subscribersChanged(track: MediaTrack): void {
    const found = this.findTrack(track.sid);
    if (found) this.sendDynacast(found.owner, track);
  }

  private sendDynacast(publisher: Participant, track: MediaTrack): void {
    if (track.kind !== 'video') return;
    let needed: VideoQuality | undefined;
    for (const p of this.participants.values()) {
      const q = p.subscriptions.get(track.sid)?.neededQuality;
      if (q !== undefined && (needed === undefined || q > needed)) needed = q;
    }
    let state = this.dynacast.get(track.sid);
    if (!state) {
      state = { sent: null };
      this.dynacast.set(track.sid, state);
    }
    if (state.timer) clearTimeout(state.timer);
    state.timer = undefined;
    if (state.sent === needed) return;
    const send = () => {
      state.timer = undefined;
      state.sent = needed;
      publisher.send({ case: 'subscribedQualityUpdate', value: subscribedQualityUpdate(track, needed) });
    };
    // Upgrades go out at once; downgrades (and the first "nobody needs this yet") wait, in case it flaps.
    const isDowngrade =
      needed === undefined || (state.sent !== null && state.sent !== undefined && needed < state.sent);
    if (isDowngrade) state.timer = setTimeout(guard('dynacast', this.log, send), dynacastDowngradeDelayMs);
    else send();
  }

  /**
   * A subscriber keeps waiting for a layer this publisher is not sending: tell the publisher again which
   * layers are needed, in case it missed the update (it was reconnecting) or has not acted on it.
   */
  private renewDynacast(publisher: Participant, track: MediaTrack): void {
    const state = this.dynacast.get(track.sid);
    if (!state || state.sent === null || state.sent === undefined) return;
    const now = performance.now();
    if (state.renewedAt !== undefined && now - state.renewedAt < dynacastRenewIntervalMs) return;
    state.renewedAt = now;
    metrics.dynacastRenewals.inc();
    this.log.debug(
      { track: track.sid, needed: state.sent },
      'dynacast renewed: a subscriber waits for a layer',
    );
    publisher.send({ case: 'subscribedQualityUpdate', value: subscribedQualityUpdate(track, state.sent) });
  }

  /**
   * The SFU's view of this room (`GET /debug/rooms`, as LiveKit's): each video track's layers (announced
   * size, frames and keyframes as they arrive, keyframe requests) and what dynacast asked its publisher
   * for, and each subscriber's down tracks.
   */
  debugInfo(now = performance.now()) {
    const name = (q: VideoQuality | null | undefined) =>
      q === null || q === undefined ? null : VideoQuality[q];
    const participants = [...this.participants.values()].map((p) => ({
      identity: p.identity,
      sid: p.sid,
      tracks: [...p.tracks.values()]
        .filter((t) => t.kind === 'video')
        .map((t) => ({
          sid: t.sid,
          dynacast: name(this.dynacast.get(t.sid)?.sent),
          layers: (t.receiver?.layerStates(now) ?? []).map((l) => {
            const announced = t.info.layers.find((a) => a.quality === l.quality);
            return { ...l, quality: name(l.quality), width: announced?.width, height: announced?.height };
          }),
        })),
      subscriptions: [...p.subscriptions.values()]
        .filter((s) => s.track.kind === 'video')
        .map((s) => {
          const state = s.downTrack.state(now);
          return {
            trackSid: s.track.sid,
            publisherSid: s.publisherSid,
            // The section it is sent on: how a client's stats name it (on /rtc/v1 a receiver's track id is the client's own).
            mid: s.transceiver.mid,
            ...state,
            current: name(state.current),
            target: name(state.target),
            cap: name(state.cap),
            goal: name(state.goal),
            allocation: state.allocation === 'paused' ? 'paused' : name(state.allocation),
          };
        }),
    }));
    return { name: this.name, sid: this.sid, participants };
  }

  // ---- connection quality ----

  /**
   * LiveKit's connection-quality worker: grade every active participant; when any grade changed (or a
   * participant is new), send each participant its own grade and those of the participants it
   * subscribes to.
   */
  private sendConnectionQuality(): void {
    const grades = new Map<Participant, ConnectionQualityInfo>();
    for (const p of this.participants.values()) if (p.isActive) grades.set(p, p.connectionQuality());
    const changed = [...grades].some(([p, info]) => this.qualitySent.get(p) !== info.quality);
    this.qualitySent = new Map([...grades].map(([p, info]) => [p, info.quality]));
    if (!changed) return;
    for (const [p, own] of grades) {
      const updates = [own];
      const publishers = new Set([...p.subscriptions.values()].map((s) => s.publisherSid));
      for (const [other, info] of grades) if (other !== p && publishers.has(other.sid)) updates.push(info);
      p.send({ case: 'connectionQuality', value: new ConnectionQualityUpdate({ updates }) });
    }
  }

  /** Tells everyone who started or stopped speaking (LiveKit's SpeakersChanged). */
  private readonly sendSpeakers = () => {
    const levels = new Map<string, number>();
    for (const p of this.participants.values()) {
      if (p.hidden) continue;
      let loudest = 0;
      for (const track of p.tracks.values())
        loudest = Math.max(loudest, track.receiver?.audioLevel?.level() ?? 0);
      levels.set(p.sid, loudest);
    }
    const speakers = this.speakers.changes(levels);
    if (speakers.length === 0) return;
    const update = new SpeakersChanged({ speakers });
    for (const p of this.participants.values()) p.send({ case: 'speakersChanged', value: update });
  };

  // ---- helpers ----

  private visibleOthers(p: Participant): Participant[] {
    return [...this.participants.values()].filter((o) => o !== p && !o.hidden);
  }

  /** Everyone (including the participant itself) learns its new state; hidden ones only tell themselves. */
  private broadcast(p: Participant): void {
    const update = new ParticipantUpdate({ participants: [p.toProto()] });
    for (const other of this.participants.values()) {
      if (p.hidden && other !== p) continue;
      other.send({ case: 'update', value: update });
    }
  }

  close(reason = DisconnectReason.ROOM_DELETED): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.qualityTimer);
    clearInterval(this.speakersTimer);
    for (const p of [...this.participants.values()]) this.remove(p, reason);
    for (const state of this.dynacast.values()) if (state.timer) clearTimeout(state.timer);
    this.dynacast.clear();
  }
}

/** Dynacast: the layers of `track` its publisher must send, those up to `needed` (none when undefined). */
function subscribedQualityUpdate(
  track: MediaTrack,
  needed: VideoQuality | undefined,
): SubscribedQualityUpdate {
  const subscribed = qualities.map(
    (quality) => new SubscribedQuality({ quality, enabled: needed !== undefined && quality <= needed }),
  );
  return new SubscribedQualityUpdate({
    trackSid: track.sid,
    subscribedQualities: subscribed,
    subscribedCodecs: [
      new SubscribedCodec({ codec: track.info.mimeType.replace(/^video\//, ''), qualities: subscribed }),
    ],
  });
}
