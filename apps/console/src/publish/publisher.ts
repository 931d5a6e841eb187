import type { PublishGrant } from '@scenecast/contract';
import {
  ConnectionState,
  createLocalAudioTrack,
  createLocalVideoTrack,
  DisconnectReason,
  type LocalAudioTrack,
  type LocalVideoTrack,
  Room,
  RoomEvent,
  Track,
  VideoPresets,
} from 'livekit-client';

export type PublishState =
  | 'preview'
  | 'connecting'
  | 'live'
  | 'reconnecting'
  | 'stopped'
  /** The show team revoked this device's publishing. */
  | 'revoked'
  | 'failed';

/** What the camera really sends, per simulcast layer, from the sender's own RTP stats. */
export interface SentLayer {
  rid: string;
  width: number;
  height: number;
  fps: number;
  /** Bits per second the encoder aims for. */
  targetBitrate: number;
  /** What keeps the encoder below what it was asked for: 'cpu', 'bandwidth', or 'none'. */
  limitedBy: string;
}

/** The simulcast layers under the top one (LiveKit sends the capture itself on top): 2160p → 720p, 180p. */
function layersFor(height: number) {
  if (height >= 1440) return [VideoPresets.h180, VideoPresets.h720];
  if (height >= 720) return [VideoPresets.h180, VideoPresets.h360];
  return [VideoPresets.h180];
}

/**
 * One feed's camera on this device: a preview first, then published into the show's room with simulcast
 * under the feed's token; a studio feed (the host) sends its microphone too. livekit-client reconnects by
 * itself after a network drop; this says so.
 */
export class Publisher {
  readonly room = new Room({ adaptiveStream: false, dynacast: true });
  private track?: LocalVideoTrack;
  /** The host's voice: only a studio feed opens the microphone. */
  microphone?: LocalAudioTrack;
  private facing: 'user' | 'environment' = 'environment';
  private wakeLock?: WakeLockSentinel;
  /** The simulcast layers published, the capture's own on top. */
  layerCount = 0;

  constructor(
    private readonly grant: PublishGrant,
    private readonly onState: (state: PublishState, detail?: string) => void,
  ) {
    this.room
      .on(RoomEvent.Reconnecting, () => onState('reconnecting'))
      .on(RoomEvent.Reconnected, () => onState('live'))
      .on(RoomEvent.Disconnected, (reason) =>
        onState(reason === DisconnectReason.PARTICIPANT_REMOVED ? 'revoked' : 'stopped'),
      );
  }

  /** Opens the camera at up to 3840x2160 (what it gives is what is sent) and shows it in `video`. */
  async preview(video: HTMLVideoElement): Promise<void> {
    this.track?.stop();
    this.track = await createLocalVideoTrack({
      facingMode: this.facing,
      resolution: { width: 3840, height: 2160, frameRate: 30 },
    });
    this.track.attach(video);
    if (this.grant.feed.sceneKind === 'studio' && !this.microphone)
      // A phone held by the host: its speaker must not come back into the microphone, nor the room's noise.
      this.microphone = await createLocalAudioTrack({
        echoCancellation: true,
        noiseSuppression: true,
        autoGainControl: true,
      });
  }

  get capture() {
    const settings = this.track?.mediaStreamTrack.getSettings();
    return settings?.width && settings.height
      ? { width: settings.width, height: settings.height }
      : undefined;
  }

  async start(): Promise<void> {
    if (!this.track) throw new Error('the camera is not open');
    this.onState('connecting');
    await this.room.connect(this.grant.url, this.grant.token);
    const layers = layersFor(this.capture?.height ?? 720);
    this.layerCount = layers.length + 1;
    await this.room.localParticipant.publishTrack(this.track, {
      source: Track.Source.Camera,
      simulcast: true,
      videoSimulcastLayers: layers,
    });
    if (this.microphone)
      await this.room.localParticipant.publishTrack(this.microphone, {
        source: Track.Source.Microphone,
        dtx: true,
        red: true,
      });
    this.wakeLock = await navigator.wakeLock?.request('screen').catch(() => undefined);
    this.onState('live');
  }

  async stop(): Promise<void> {
    for (const track of [this.track, this.microphone])
      if (track) await this.room.localParticipant.unpublishTrack(track, false).catch(() => undefined);
    await this.room.disconnect();
    await this.wakeLock?.release().catch(() => undefined);
    this.wakeLock = undefined;
  }

  /** Front or back camera; a published track switches in place. */
  async flip(video: HTMLVideoElement): Promise<void> {
    this.facing = this.facing === 'user' ? 'environment' : 'user';
    if (this.track && this.room.state === ConnectionState.Connected)
      await this.track.restartTrack({ facingMode: this.facing });
    else await this.preview(video);
  }

  async setPaused(paused: boolean): Promise<void> {
    if (paused) await this.track?.mute();
    else await this.track?.unmute();
  }

  async setMicrophoneMuted(muted: boolean): Promise<void> {
    if (muted) await this.microphone?.mute();
    else await this.microphone?.unmute();
  }

  async sent(): Promise<SentLayer[]> {
    if (!this.track || this.room.state !== ConnectionState.Connected) return [];
    const stats = await this.track.getSenderStats();
    return stats
      .filter((s) => s.frameWidth > 0)
      .map((s) => ({
        rid: s.rid,
        width: s.frameWidth,
        height: s.frameHeight,
        fps: Math.round(s.framesPerSecond ?? 0),
        targetBitrate: s.targetBitrate ?? 0,
        limitedBy: s.qualityLimitationReason ?? 'none',
      }))
      .sort((a, b) => b.width - a.width);
  }

  close(): void {
    void this.stop();
    this.track?.stop();
    this.microphone?.stop();
  }
}
