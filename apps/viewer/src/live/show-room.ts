import { sceneOf } from '@scenecast/contract';
import {
  ConnectionQuality,
  DisconnectReason,
  type Participant,
  type ReconnectPolicy,
  type RemoteAudioTrack,
  type RemoteParticipant,
  type RemoteTrackPublication,
  type RemoteVideoTrack,
  Room,
  RoomEvent,
  Track,
  VideoQuality,
} from 'livekit-client';
import { type SceneAudio, ShowAudio } from './show-audio';

export interface SceneFeed {
  sceneId: string;
  participant: RemoteParticipant;
  publication: RemoteTrackPublication;
  track: RemoteVideoTrack | undefined;
  /** The SFU paused it: the viewer's connection cannot carry it now (it resumes by itself). */
  paused: boolean;
}

export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

/** Where to join: the LiveKit URL and a viewer token, asked anew for every attempt (tokens expire). */
export type GrantSource = () => Promise<{ url: string; token: string }>;

/** Disconnects that end the session: the viewer left, or the show or the server sent it away. */
const finalReasons = new Set<DisconnectReason | undefined>([
  DisconnectReason.CLIENT_INITIATED,
  DisconnectReason.DUPLICATE_IDENTITY,
  DisconnectReason.PARTICIPANT_REMOVED,
  DisconnectReason.ROOM_DELETED,
  DisconnectReason.ROOM_CLOSED,
  DisconnectReason.USER_REJECTED,
]);
const rejoinFirstDelayMs = 1_000;
const rejoinMaxDelayMs = 15_000;

/**
 * livekit-client's default waits up to 7 s between its attempts to resume, and each signal attempt may
 * wait 15 s for its socket: after a dropped link the picture would come back up to ~20 s after the
 * network did. A viewer retries every half second or so (with jitter, so a restarted server is not
 * stormed) for two minutes before giving up to our own rejoin loop. Short, because the attempt after a
 * refused resume (the server's side of the connection failed: it asks for a full reconnect) waits this
 * delay too — livekit-client skips it only for a leave that comes outside an attempt.
 */
const reconnectPolicy: ReconnectPolicy = {
  nextRetryDelayInMs: ({ retryCount, elapsedMs }) =>
    elapsedMs > 120_000 ? null : retryCount === 0 ? 0 : 250 + Math.random() * 500,
};
const websocketTimeoutMs = 4_000;

export interface StageRequest {
  sceneId: string | undefined;
  /** Device pixels the stage needs: its size times zoom; undefined asks for the top layer. */
  width?: number;
  height?: number;
}

/**
 * The viewer's side of a show's LiveKit room: which camera feeds which scene, and which layer each
 * feed should arrive at. Every scene stays subscribed at its lowest layer (the thumbnails, and what the
 * stage shows the instant you switch); only the stage scene is asked for more.
 */
export class ShowRoom {
  /** The show's sound: livekit-client plays into its context, so startAudio/canPlaybackAudio govern it. */
  readonly audio: ShowAudio = new ShowAudio(() => this.room.canPlaybackAudio);
  readonly room = new Room({
    adaptiveStream: false,
    dynacast: false,
    reconnectPolicy,
    webAudioMix: { audioContext: this.audio.context },
  });
  private listeners = new Set<() => void>();
  private stage: StageRequest = { sceneId: undefined };
  status: ConnectionStatus = 'connecting';
  /** How the SFU grades this viewer's connection (LiveKit's ConnectionQualityUpdate). */
  quality: ConnectionQuality = ConnectionQuality.Unknown;
  private grants: GrantSource | undefined;
  private rejoinTimer: ReturnType<typeof setTimeout> | undefined;
  private rejoinDelayMs = rejoinFirstDelayMs;
  private left = false;

  constructor() {
    const changed = () => this.refresh();
    this.room
      .on(RoomEvent.TrackSubscribed, changed)
      .on(RoomEvent.TrackUnsubscribed, changed)
      .on(RoomEvent.TrackPublished, changed)
      .on(RoomEvent.TrackUnpublished, changed)
      .on(RoomEvent.ParticipantConnected, changed)
      .on(RoomEvent.ParticipantDisconnected, changed)
      .on(RoomEvent.ParticipantAttributesChanged, changed)
      .on(RoomEvent.TrackMuted, changed)
      .on(RoomEvent.TrackUnmuted, changed)
      .on(RoomEvent.TrackStreamStateChanged, changed)
      .on(RoomEvent.ConnectionQualityChanged, (quality: ConnectionQuality, participant: Participant) => {
        if (participant !== this.room.localParticipant) return;
        this.quality = quality;
        this.notify();
      })
      .on(RoomEvent.AudioPlaybackStatusChanged, () => this.audio.update())
      .on(RoomEvent.ActiveSpeakersChanged, (speakers: Participant[]) =>
        this.audio.setSpeakers(speakers.map((p) => p.identity)),
      )
      .on(RoomEvent.Reconnecting, () => this.setStatus('reconnecting'))
      .on(RoomEvent.SignalReconnecting, () => this.setStatus('reconnecting'))
      .on(RoomEvent.Reconnected, () => this.setStatus('connected'))
      .on(RoomEvent.Disconnected, (reason?: DisconnectReason) => this.onDisconnected(reason));
  }

  /** Joins the show, and rejoins by itself (fresh token, backoff) whenever the connection is lost. */
  async connect(grants: GrantSource): Promise<void> {
    this.grants = grants;
    this.left = false;
    this.setStatus('connecting');
    const { url, token } = await grants();
    // Subscribed by hand (applyQualities), each camera together with the layer it should come at: the
    // server's own subscription would start every camera at its top layer — a 4K keyframe and two 720p
    // ones to every viewer who joins, and a 3840 frame on a stage that asked for less.
    await this.room.connect(url, token, { autoSubscribe: false, websocketTimeout: websocketTimeoutMs });
    this.rejoinDelayMs = rejoinFirstDelayMs;
    this.setStatus('connected');
    this.refresh();
  }

  disconnect(): Promise<void> {
    this.left = true;
    clearTimeout(this.rejoinTimer);
    this.audio.sync([]);
    return this.room.disconnect();
  }

  /** Call from a tap or key press: browsers play sound only after a gesture. */
  async startAudio(): Promise<void> {
    await Promise.all([this.room.startAudio(), this.audio.context.resume()]);
    this.audio.update();
  }

  /**
   * livekit-client resumes and reconnects on its own for a while; once it gives up (a viewer's network
   * gone for longer, a server restart) we keep trying, since the show is still on.
   */
  private onDisconnected(reason: DisconnectReason | undefined): void {
    if (this.left || finalReasons.has(reason) || !this.grants) {
      this.setStatus('disconnected');
      return;
    }
    this.setStatus('reconnecting');
    this.refresh();
    const delay = this.rejoinDelayMs * (0.75 + Math.random() / 2);
    this.rejoinDelayMs = Math.min(this.rejoinDelayMs * 2, rejoinMaxDelayMs);
    clearTimeout(this.rejoinTimer);
    this.rejoinTimer = setTimeout(() => {
      if (this.left || !this.grants) return;
      this.connect(this.grants).catch(() => this.onDisconnected(undefined));
    }, delay);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The live camera feed of each scene, by scene id. */
  feeds(): Map<string, SceneFeed> {
    const feeds = new Map<string, SceneFeed>();
    for (const participant of this.room.remoteParticipants.values()) {
      const sceneId = sceneOf(participant);
      if (!sceneId) continue;
      const publication = participant.getTrackPublication(Track.Source.Camera) as
        | RemoteTrackPublication
        | undefined;
      if (!publication || publication.isMuted) continue;
      const track = publication.videoTrack as RemoteVideoTrack | undefined;
      feeds.set(sceneId, {
        sceneId,
        participant,
        publication,
        track,
        paused: track?.streamState === Track.StreamState.Paused,
      });
    }
    return feeds;
  }

  /** Each scene's microphone track, subscribed (every scene's, so a switch need not wait for one). */
  sceneAudio(): SceneAudio[] {
    const audio: SceneAudio[] = [];
    for (const participant of this.room.remoteParticipants.values()) {
      const sceneId = sceneOf(participant);
      const publication = participant.getTrackPublication(Track.Source.Microphone);
      const track = publication?.audioTrack as RemoteAudioTrack | undefined;
      if (!sceneId || !publication || !track || publication.isMuted) continue;
      audio.push({
        sceneId,
        participantIdentity: participant.identity,
        trackSid: publication.trackSid,
        track,
      });
    }
    return audio;
  }

  /** Say what the stage shows and at what size; every other scene drops back to its lowest layer. */
  setStage(request: StageRequest): void {
    this.stage = request;
    this.audio.setStage(request.sceneId);
    this.applyQualities();
  }

  private applyQualities(): void {
    this.subscribeSceneAudio();
    for (const feed of this.feeds().values()) {
      const publication = feed.publication;
      // setSubscribed goes first, so the engine has the subscription when the layer request arrives.
      if (!publication.isDesired) publication.setSubscribed(true);
      if (feed.sceneId !== this.stage.sceneId) {
        publication.setVideoQuality(VideoQuality.LOW);
      } else if (this.stage.width && this.stage.height) {
        publication.setVideoDimensions({
          width: Math.round(this.stage.width),
          height: Math.round(this.stage.height),
        });
      } else {
        // The stage has no size yet (not laid out): a middle layer until it says, never the 4K top one,
        // which an unzoomed stage would show for seconds until its size reached the engine.
        publication.setVideoQuality(VideoQuality.MEDIUM);
      }
    }
  }

  /** Every scene's microphone, so a switch never waits for one (the host's plays throughout). */
  private subscribeSceneAudio(): void {
    for (const participant of this.room.remoteParticipants.values()) {
      if (!sceneOf(participant)) continue;
      const publication = participant.getTrackPublication(Track.Source.Microphone) as
        | RemoteTrackPublication
        | undefined;
      if (publication && !publication.isDesired) publication.setSubscribed(true);
    }
  }

  private refresh(): void {
    this.applyQualities();
    this.audio.sync(this.sceneAudio());
    this.notify();
  }

  private setStatus(status: ConnectionStatus): void {
    this.status = status;
    this.notify();
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
