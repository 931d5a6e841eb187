import { attributes, type IssuedToken } from '@scenecast/contract';
import {
  type RemoteTrackPublication,
  type RemoteVideoTrack,
  Room,
  RoomEvent,
  Track,
  VideoQuality,
} from 'livekit-client';

/** What the console itself receives of a feed: real receive stats, not what the camera claims. */
export interface ReceivedStats {
  width: number;
  height: number;
  fps: number;
  /** Bits per second over the last interval. */
  bitrate: number;
  /** Share of packets lost over the last interval, 0–1. */
  loss: number;
}

interface Watched {
  track: RemoteVideoTrack;
  last?: { at: number; frames: number; bytes: number; received: number; lost: number };
  stats?: ReceivedStats;
}

/**
 * The console's hidden participant in a show's room (a monitor token: subscribe only, invisible to
 * viewers and cameras): subscribes to every feed's lowest simulcast layer and measures it each second.
 */
export class FeedMonitor {
  private readonly room = new Room({ adaptiveStream: false, dynacast: false });
  private readonly feeds = new Map<string, Watched>();
  private readonly listeners = new Set<() => void>();
  private timer?: ReturnType<typeof setInterval>;
  /** Grows with every change, for React's useSyncExternalStore. */
  version = 0;

  constructor() {
    this.room
      .on(RoomEvent.TrackSubscribed, (track, publication, participant) => {
        const feedId = participant.attributes[attributes.feed];
        if (track.kind !== Track.Kind.Video || !feedId) return;
        // The thumbnail and the health numbers need only the lowest layer.
        (publication as RemoteTrackPublication).setVideoQuality(VideoQuality.LOW);
        this.feeds.set(feedId, { track: track as RemoteVideoTrack });
        this.changed();
      })
      .on(RoomEvent.TrackUnsubscribed, (_track, _publication, participant) => {
        const feedId = participant.attributes[attributes.feed];
        if (feedId && this.feeds.delete(feedId)) this.changed();
      });
  }

  async connect(token: () => Promise<IssuedToken>): Promise<void> {
    const { url, token: jwt } = await token();
    await this.room.connect(url, jwt, { autoSubscribe: true });
    this.timer = setInterval(() => void this.measure(), 1000);
  }

  track(feedId: string): RemoteVideoTrack | undefined {
    return this.feeds.get(feedId)?.track;
  }

  stats(feedId: string): ReceivedStats | undefined {
    return this.feeds.get(feedId)?.stats;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    clearInterval(this.timer);
    void this.room.disconnect();
  }

  private changed(): void {
    this.version++;
    for (const listener of this.listeners) listener();
  }

  private async measure(): Promise<void> {
    for (const watched of this.feeds.values()) {
      const s = await watched.track.getReceiverStats().catch(() => undefined);
      if (!s) continue;
      const now = {
        at: s.timestamp,
        frames: s.framesDecoded ?? 0,
        bytes: s.bytesReceived ?? 0,
        received: s.packetsReceived ?? 0,
        lost: s.packetsLost ?? 0,
      };
      const last = watched.last;
      watched.last = now;
      if (!last || now.at <= last.at) continue;
      const seconds = (now.at - last.at) / 1000;
      const packets = now.received - last.received + (now.lost - last.lost);
      watched.stats = {
        width: s.frameWidth ?? 0,
        height: s.frameHeight ?? 0,
        fps: Math.round((now.frames - last.frames) / seconds),
        bitrate: Math.round(((now.bytes - last.bytes) * 8) / seconds),
        loss: packets > 0 ? Math.max(0, now.lost - last.lost) / packets : 0,
      };
    }
    this.changed();
  }
}
