import {
  dispose,
  LocalVideoTrack,
  Room,
  RoomEvent,
  TrackPublishOptions,
  TrackSource,
  VideoBufferType,
  VideoCodec,
  VideoFrame,
  VideoSource,
} from '@livekit/rtc-node';
import { AccessToken } from 'livekit-server-sdk';
import { type Logger, pino } from 'pino';
import { SceneRenderer } from './renderer.js';

/** Where the camera gets its right to publish: a ready token, a feed of the token service, or API keys. */
export type CameraAuth =
  | { kind: 'token'; url: string; token: string }
  | { kind: 'feed'; tokenServiceUrl: string; brandKey: string; feedId: string }
  | { kind: 'keys'; url: string; apiKey: string; apiSecret: string; show: string };

export interface CameraOptions {
  scene: string;
  auth: CameraAuth;
  width?: number;
  height?: number;
  fps?: number;
  /** Top-layer bitrate in bit/s; libwebrtc derives the lower simulcast layers from the resolution. */
  maxBitrate?: number;
  productName?: string;
  /** Let the SFU pause layers nobody watches (default). Off keeps every layer encoding, e.g. to measure. */
  dynacast?: boolean;
  log?: Logger;
}

export interface CameraStats {
  framesSent: number;
  connected: boolean;
  reconnects: number;
}

export interface RunningCamera {
  stats: CameraStats;
  stop(): Promise<void>;
}

/** Sensible top-layer bitrates for VP8 at 15–30 fps. */
function defaultBitrate(width: number): number {
  if (width >= 3840) return 12_000_000;
  if (width >= 1920) return 4_500_000;
  if (width >= 1280) return 2_000_000;
  return 800_000;
}

async function credentials(auth: CameraAuth, scene: string): Promise<{ url: string; token: string }> {
  switch (auth.kind) {
    case 'token':
      return { url: auth.url, token: auth.token };
    case 'feed': {
      const response = await fetch(
        `${auth.tokenServiceUrl}/v1/feeds/${encodeURIComponent(auth.feedId)}/token`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${auth.brandKey}`, 'content-type': 'application/json' },
          body: '{}',
        },
      );
      if (!response.ok) throw new Error(`feed token refused (${response.status}): ${await response.text()}`);
      return (await response.json()) as { url: string; token: string };
    }
    case 'keys': {
      const token = new AccessToken(auth.apiKey, auth.apiSecret, {
        identity: `camera-${scene}`,
        name: `${scene} camera`,
        ttl: '6h',
        attributes: { 'scenecast.scene': scene },
      });
      token.addGrant({
        roomJoin: true,
        room: auth.show,
        canPublish: true,
        canSubscribe: false,
        canPublishData: false,
      });
      return { url: auth.url, token: await token.toJwt() };
    }
  }
}

/**
 * A synthetic scene camera: renders the scene's picture and publishes it as a simulcast camera track.
 * When the room drops (the SFU restarted, the network went away) it reconnects with exponential backoff
 * and jitter, and publishes again; stop() unpublishes and leaves cleanly.
 */
export async function startCamera(options: CameraOptions): Promise<RunningCamera> {
  const width = options.width ?? 3840;
  const height = options.height ?? 2160;
  const fps = options.fps ?? 15;
  const log = options.log ?? pino({ name: `camera-${options.scene}` });
  const renderer = new SceneRenderer(options.scene, width, height, options.productName);
  const source = new VideoSource(width, height);
  const stats: CameraStats = { framesSent: 0, connected: false, reconnects: 0 };
  let room: Room | undefined;
  let stopped = false;

  const capture = setInterval(() => {
    if (!stats.connected) return;
    const frame = renderer.next();
    source.captureFrame(new VideoFrame(frame.data, width, height, VideoBufferType.I420));
    stats.framesSent += 1;
  }, 1000 / fps);

  const connect = async (): Promise<void> => {
    const { url, token } = await credentials(options.auth, options.scene);
    const next = new Room();
    await next.connect(url, token, { autoSubscribe: false, dynacast: options.dynacast ?? true });
    const track = LocalVideoTrack.createVideoTrack(`${options.scene}-camera`, source);
    await next.localParticipant!.publishTrack(
      track,
      new TrackPublishOptions({
        source: TrackSource.SOURCE_CAMERA,
        simulcast: true,
        videoCodec: VideoCodec.VP8,
        videoEncoding: { maxBitrate: BigInt(options.maxBitrate ?? defaultBitrate(width)), maxFramerate: fps },
      }),
    );
    next.once(RoomEvent.Disconnected, (reason) => {
      stats.connected = false;
      if (stopped) return;
      log.warn({ reason }, 'disconnected; reconnecting');
      void reconnect();
    });
    room = next;
    stats.connected = true;
    log.info({ url, width, height, fps }, 'camera live');
  };

  const reconnect = async (): Promise<void> => {
    for (let attempt = 0; !stopped; attempt++) {
      const delay = Math.min(30_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (stopped) return;
      try {
        await connect();
        stats.reconnects += 1;
        return;
      } catch (error) {
        log.warn({ err: (error as Error).message, attempt }, 'reconnect failed');
      }
    }
  };

  try {
    await connect();
  } catch (error) {
    log.warn({ err: (error as Error).message }, 'first connection failed; retrying');
    void reconnect();
  }

  return {
    stats,
    async stop() {
      stopped = true;
      clearInterval(capture);
      stats.connected = false;
      await room?.disconnect().catch(() => undefined);
      await source.close().catch(() => undefined);
    },
  };
}

/** Releases rtc-node's native runtime; call once when the process is done with every camera. */
export const disposeCameras = dispose;
