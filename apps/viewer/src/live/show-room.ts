import { sceneOf } from '@scenecast/contract';
import {
  type RemoteParticipant,
  type RemoteTrackPublication,
  type RemoteVideoTrack,
  Room,
  RoomEvent,
  Track,
  VideoQuality,
} from 'livekit-client';

export interface SceneFeed {
  sceneId: string;
  participant: RemoteParticipant;
  publication: RemoteTrackPublication;
  track: RemoteVideoTrack | undefined;
}

export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

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
  readonly room = new Room({ adaptiveStream: false, dynacast: false, singlePeerConnection: false });
  private listeners = new Set<() => void>();
  private stage: StageRequest = { sceneId: undefined };
  status: ConnectionStatus = 'connecting';

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
      .on(RoomEvent.Reconnecting, () => this.setStatus('reconnecting'))
      .on(RoomEvent.SignalReconnecting, () => this.setStatus('reconnecting'))
      .on(RoomEvent.Reconnected, () => this.setStatus('connected'))
      .on(RoomEvent.Disconnected, () => this.setStatus('disconnected'));
  }

  async connect(url: string, token: string): Promise<void> {
    this.setStatus('connecting');
    await this.room.connect(url, token, { autoSubscribe: true });
    this.setStatus('connected');
    this.refresh();
  }

  disconnect(): Promise<void> {
    return this.room.disconnect();
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
      feeds.set(sceneId, {
        sceneId,
        participant,
        publication,
        track: publication.videoTrack as RemoteVideoTrack | undefined,
      });
    }
    return feeds;
  }

  /** Say what the stage shows and at what size; every other scene drops back to its lowest layer. */
  setStage(request: StageRequest): void {
    this.stage = request;
    this.applyQualities();
  }

  private applyQualities(): void {
    for (const feed of this.feeds().values()) {
      const publication = feed.publication;
      if (!publication.isSubscribed) publication.setSubscribed(true);
      if (feed.sceneId !== this.stage.sceneId) {
        publication.setVideoQuality(VideoQuality.LOW);
      } else if (this.stage.width && this.stage.height) {
        publication.setVideoDimensions({
          width: Math.round(this.stage.width),
          height: Math.round(this.stage.height),
        });
      } else {
        publication.setVideoQuality(VideoQuality.HIGH);
      }
    }
  }

  private refresh(): void {
    this.applyQualities();
    for (const listener of this.listeners) listener();
  }

  private setStatus(status: ConnectionStatus): void {
    this.status = status;
    for (const listener of this.listeners) listener();
  }
}
