import { randomFillSync } from 'node:crypto';
import {
  AudioSource,
  dispose,
  LocalAudioTrack,
  type LocalTrackPublication,
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
import { cameraIdentity, ScenecastClient, schemas } from '@scenecast/contract';
import { feedGrant, signGrant } from '@scenecast/contract/grants';
import { type Logger, pino } from 'pino';
import { SceneRenderer } from './renderer.js';
import { SceneSound, type SoundKind, soundBitrate, soundQueueMs, soundSampleRate } from './sound.js';

/** Where the camera gets its right to publish: a ready token, a feed of the token service, or API keys. */
export type CameraAuth =
  | { kind: 'token'; url: string; token: string }
  /**
   * The feed's token from the token service (the brand's key may ask for it). `url` replaces the token's
   * engine URL: a camera beside the engine while browsers reach it through a TLS proxy (npm start --https).
   */
  | { kind: 'feed'; tokenServiceUrl: string; brandKey: string; feedId: string; url?: string }
  /**
   * Mints its own token, with exactly the grant the token service gives a feed of this scene (the contract's
   * feedGrant): identity `camera-<scene>` (or `identity`), which is also its feed id.
   */
  | { kind: 'keys'; url: string; apiKey: string; apiSecret: string; show: string; identity?: string };

export interface CameraOptions {
  scene: string;
  auth: CameraAuth;
  /** Default 3840x2160. Even numbers. */
  width?: number;
  height?: number;
  /** Frames per second, default 15 (the encoder's cost scales with it). */
  fps?: number;
  /** Top-layer bitrate in bit/s (default from the resolution and fps, see {@link defaultBitrate}). */
  maxBitrate?: number;
  productName?: string;
  /**
   * Dynacast (default on): the SFU pauses layers nobody watches, so an unwatched camera costs almost
   * nothing. Off keeps every layer encoding (for measuring the worst case).
   */
  dynacast?: boolean;
  /**
   * Load-test knob: the bottom `noise` fraction of the picture (0–0.5) gets fresh random luma every
   * frame, which the encoder cannot compress, so the top layer runs at its full bitrate as real camera
   * footage does. Default 0. The renderer never draws there, so the scene's own picture is unaffected.
   */
  noise?: number;
  /**
   * Publish the scene's sound as a microphone track (default on): the studio's host voice, the other
   * scenes' ambience, each over its pilot tone (see {@link SceneSound}).
   */
  audio?: boolean;
  /** Reconnection after the room is lost: exponential backoff with jitter, between these bounds. */
  backoff?: { initialMs?: number; maxMs?: number };
  log?: Logger;
}

export interface CameraStats {
  scene: string;
  width: number;
  height: number;
  fps: number;
  /** Frames handed to the encoder. */
  framesSent: number;
  /** Publishing now (frames are being rendered and sent). */
  connected: boolean;
  /** Times the camera joined again and republished after losing the room. */
  reconnects: number;
  /** Times rtc-node recovered the session by itself (resume or full reconnect inside the SDK). */
  sdkReconnects: number;
  /** Connection attempts that failed (SFU down, token refused, …). */
  failedAttempts: number;
  lastError?: string;
  identity?: string;
  trackSid?: string;
  /** What the microphone track carries (undefined when audio is off). */
  sound?: SoundKind;
  /** The microphone track, while published. */
  audioTrackSid?: string;
  /** Mean time to render and capture one frame, in ms (JavaScript side; encoding happens on rtc-node's threads). */
  frameMs: number;
}

/** One simulcast layer as the camera's encoder sends it (its WebRTC outbound-rtp stats). */
export interface CameraLayer {
  /** q, h or f. */
  rid: string;
  width: number;
  height: number;
  framesPerSecond: number;
  /** What the encoder was given for this layer (bit/s); 0 when the uplink estimate leaves none for it. */
  targetBitrate: number;
  /** Enabled by the camera (dynacast turns off the layers no subscriber needs). */
  active: boolean;
  /** Why the encoder sends less than asked: none, cpu, bandwidth or other. */
  limitation: string;
}

/** The camera's uplink toward the SFU as its own WebRTC stack sees it. */
export interface CameraUplink {
  /** The send-side bandwidth estimate (bit/s): what the encoder's layers share. */
  estimateBps: number;
  /** The highest share of video packets lost, as the SFU's receiver reports say (0–1). */
  fractionLost: number;
  roundTripMs: number;
  /** NACKs the SFU sent for its video, and the packets it sent again for them, since it began. */
  nacksReceived: number;
  retransmittedPackets: number;
  /** Keyframes the SFU asked its video for (PLI and FIR), since it began. */
  keyframeRequests: number;
}

export interface RunningCamera {
  stats: CameraStats;
  renderer: SceneRenderer;
  /**
   * What the camera sends on each simulcast layer now, lowest first (empty while not publishing): a layer
   * can be off (dynacast) or starved (a low uplink estimate), so this is where "which layers exist" is read.
   */
  layers(): Promise<CameraLayer[]>;
  /** Its uplink estimate, loss and round trip now; undefined while not publishing. */
  uplink(): Promise<CameraUplink | undefined>;
  /** Resolves when the camera is publishing (at once if it is); rejects after `timeoutMs`. */
  live(timeoutMs?: number): Promise<void>;
  /** Unpublishes, leaves the room and releases the video source. Idempotent. */
  stop(): Promise<void>;
}

/**
 * A sensible top-layer VP8 bitrate: LiveKit's presets at 30 fps (2160p 8 Mbps, 1440p 5, 1080p 3, 720p 1.7,
 * 540p 0.8, 360p 0.45), scaled by sqrt(fps / 30) but to no less than half. rtc-node derives the lower
 * simulcast layers itself (for 16:9: 320x180 at 160 kbps / 15 fps and 640x360 at 450 kbps / 20 fps).
 */
export function defaultBitrate(width: number, height: number, fps: number): number {
  const lines = Math.min(width, height);
  const at30 =
    lines >= 2160
      ? 8_000_000
      : lines >= 1440
        ? 5_000_000
        : lines >= 1080
          ? 3_000_000
          : lines >= 720
            ? 1_700_000
            : lines >= 540
              ? 800_000
              : 450_000;
  return Math.round(at30 * Math.min(1, Math.max(0.5, Math.sqrt(fps / 30))));
}

export function cameraLogger(name: string): Logger {
  return pino({ name, level: process.env.LOG_LEVEL ?? 'info' });
}

/** A minted token's lifetime, as the token service's feed tokens: each (re)connection mints a fresh one. */
const keysTokenTtlSeconds = 3600;
/** How long rtc-node may try to get a lost connection back before the camera joins afresh. */
const sdkReconnectLimitMs = 10_000;

async function credentials(
  auth: CameraAuth,
  scene: string,
): Promise<{ url: string; token: string; identity?: string }> {
  switch (auth.kind) {
    case 'token':
      return { url: auth.url, token: auth.token };
    case 'feed': {
      const issued = await new ScenecastClient({
        baseUrl: auth.tokenServiceUrl,
        key: auth.brandKey,
      }).feedToken(auth.feedId);
      return { ...issued, url: auth.url ?? issued.url };
    }
    case 'keys': {
      const identity = auth.identity ?? cameraIdentity(scene);
      const kind = schemas.sceneKind.safeParse(scene);
      const grant = feedGrant({
        id: identity,
        showId: auth.show,
        sceneId: scene,
        sceneKind: kind.success ? kind.data : 'custom',
        identity,
        label: `${scene} camera`,
      });
      return { url: auth.url, token: await signGrant(auth, grant, keysTokenTtlSeconds), identity };
    }
  }
}

/** The simulcast rids rtc-node publishes, lowest layer first. */
const ridOrder = ['q', 'h', 'f'];
/** rtc-node's QualityLimitationReason, by value. */
const limitations = ['none', 'cpu', 'bandwidth', 'other'];

/**
 * Video bytes the room's publisher connection has sent over its active layers; undefined without a video
 * sender; 'paused' when dynacast has paused every layer (nobody watches: nothing is meant to go out).
 */
async function videoBytesSent(room: Room): Promise<bigint | 'paused' | undefined> {
  if (!room.isConnected) return undefined;
  let total: bigint | undefined;
  let active = false;
  for (const { stats: entry } of (await room.getRtcStats()).publisherStats) {
    if (entry.case !== 'outboundRtp' || entry.value.stream?.kind !== 'video') continue;
    total = (total ?? 0n) + (entry.value.sent?.bytesSent ?? 0n);
    active ||= entry.value.outbound?.active ?? false;
  }
  return total !== undefined && !active ? 'paused' : total;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

/** Settles with `promise`, or resolves undefined after `ms` (for cleanup that must not hang). */
function bounded<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    }),
  ]);
}

/**
 * A synthetic scene camera: renders the scene's picture and publishes it as a VP8 simulcast camera track.
 *
 * rtc-node recovers short outages by itself (resume, or a full reconnect that republishes the track).
 * When it gives up and the room disconnects — the SFU was restarted or stayed away — the camera joins
 * again with exponential backoff and jitter (fetching a fresh token each time) and republishes, until
 * stop(). If the first connection fails, startCamera still resolves and keeps trying; use live() to wait.
 */
export async function startCamera(options: CameraOptions): Promise<RunningCamera> {
  const width = options.width ?? 3840;
  const height = options.height ?? 2160;
  const fps = options.fps ?? 15;
  if (!(fps > 0 && fps <= 60)) throw new Error(`fps must be in (0, 60] (got ${fps})`);
  const log = options.log ?? cameraLogger(`camera-${options.scene}`);
  const renderer = new SceneRenderer(options.scene, width, height, { productName: options.productName, fps });
  const source = new VideoSource(width, height);
  const maxBitrate = options.maxBitrate ?? defaultBitrate(width, height, fps);
  const noise = options.noise ?? 0;
  if (!(noise >= 0 && noise <= 0.5)) throw new Error(`noise must be in [0, 0.5] (got ${noise})`);
  const noiseRows = Math.floor(height * noise);
  const initialMs = options.backoff?.initialMs ?? 500;
  const maxMs = options.backoff?.maxMs ?? 15_000;
  const sound = options.audio === false ? undefined : new SceneSound(options.scene);
  if (sound?.fallback) log.warn({ reason: sound.fallback }, 'no host voice; the studio publishes ambience');
  const audioSource = sound ? new AudioSource(soundSampleRate, 1, soundQueueMs) : undefined;
  const stats: CameraStats = {
    sound: sound?.kind,
    scene: options.scene,
    width,
    height,
    fps,
    framesSent: 0,
    connected: false,
    reconnects: 0,
    sdkReconnects: 0,
    failedAttempts: 0,
    frameMs: 0,
  };
  const stopping = new AbortController();
  let room: Room | undefined;
  let track: LocalVideoTrack | undefined;
  let audioTrack: LocalAudioTrack | undefined;
  let publication: LocalTrackPublication | undefined;
  let reconnecting: Promise<void> | undefined;
  let liveWaiters: Array<() => void> = [];
  let frameMsTotal = 0;

  // Sound waits soundQueueMs in rtc-node's queue and a frame does not: the picture shows the moment whose sound
  // leaves with it (lip-sync, #21; without this the sound came ~300 ms after the picture).
  const pictureLagMs = audioSource ? soundQueueMs : 0;
  const capture = setInterval(() => {
    if (!stats.connected) return;
    const began = performance.now();
    const frame = renderer.next(new Date(Date.now() - pictureLagMs));
    if (noiseRows > 0) randomFillSync(frame.data, (height - noiseRows) * width, noiseRows * width);
    try {
      source.captureFrame(new VideoFrame(frame.data, width, height, VideoBufferType.I420));
    } catch (error) {
      log.warn({ err: (error as Error).message }, 'capture failed');
      return;
    }
    stats.framesSent += 1;
    frameMsTotal += performance.now() - began;
    stats.frameMs = frameMsTotal / stats.framesSent;
  }, 1000 / fps);

  // rtc-node paces the audio: captureFrame resolves once its queue (soundQueueMs) has room.
  const pumping = (async () => {
    if (!sound || !audioSource) return;
    while (!stopping.signal.aborted) {
      try {
        await audioSource.captureFrame(sound.next());
      } catch (error) {
        if (stopping.signal.aborted) return;
        log.warn({ err: (error as Error).message }, 'audio capture failed');
        await sleep(100, stopping.signal);
      }
    }
  })();

  /** Leaves a room we are done with, without waiting long for a dead server. */
  const release = async (
    old: Room | undefined,
    oldTrack: LocalVideoTrack | undefined,
    oldAudio?: LocalAudioTrack,
  ) => {
    old?.removeAllListeners();
    await bounded(old?.disconnect().catch(() => undefined) ?? Promise.resolve(), 3000);
    await bounded(oldTrack?.close(false).catch(() => undefined) ?? Promise.resolve(), 1000);
    await bounded(oldAudio?.close(false).catch(() => undefined) ?? Promise.resolve(), 1000);
  };

  const connect = async (): Promise<void> => {
    const { url, token, identity } = await credentials(options.auth, options.scene);
    const next = new Room();
    let nextTrack: LocalVideoTrack | undefined;
    let nextAudio: LocalAudioTrack | undefined;
    let audioSid: string | undefined;
    try {
      await next.connect(url, token, { autoSubscribe: false, dynacast: options.dynacast ?? true });
      nextTrack = LocalVideoTrack.createVideoTrack(`${options.scene}-camera`, source);
      publication = await next.localParticipant!.publishTrack(
        nextTrack,
        new TrackPublishOptions({
          source: TrackSource.SOURCE_CAMERA,
          simulcast: true,
          videoCodec: VideoCodec.VP8,
          videoEncoding: { maxBitrate: BigInt(maxBitrate), maxFramerate: fps },
          // Keep the top layer at full resolution under CPU or bandwidth pressure: drop frames instead.
          degradationPreference: 2 as TrackPublishOptions['degradationPreference'], // MAINTAIN_RESOLUTION
        }),
      );
      if (audioSource && sound) {
        nextAudio = LocalAudioTrack.createAudioTrack(`${options.scene}-sound`, audioSource);
        // A token without microphone rights (an older token service) still gets the picture out.
        audioSid = await next
          .localParticipant!.publishTrack(
            nextAudio,
            new TrackPublishOptions({
              source: TrackSource.SOURCE_MICROPHONE,
              audioEncoding: { maxBitrate: BigInt(soundBitrate[sound.kind]) },
            }),
          )
          .then((published) => published.sid)
          .catch((error: Error) => {
            log.warn({ err: error.message }, 'publishing the sound was refused; video only');
            return undefined;
          });
      }
    } catch (error) {
      await release(next, nextTrack, nextAudio);
      throw error;
    }
    if (stopping.signal.aborted) {
      await release(next, nextTrack, nextAudio);
      return;
    }
    // rtc-node retries a lost connection on its own — against a restarted server for a minute or more; a camera
    // not back within sdkReconnectLimitMs leaves and joins afresh (a new session takes a second or two).
    let sdkRetry: NodeJS.Timeout | undefined;
    const joinAgain = (why: string, detail: object = {}) => {
      clearTimeout(sdkRetry);
      if (room !== next) return;
      stats.connected = false;
      if (stopping.signal.aborted) return;
      log.warn(detail, why);
      reconnecting ??= reconnect().finally(() => {
        reconnecting = undefined;
      });
    };
    next.on(RoomEvent.Reconnecting, () => {
      log.warn('connection lost; rtc-node is reconnecting');
      clearTimeout(sdkRetry);
      sdkRetry = setTimeout(
        () => joinAgain(`rtc-node not back after ${sdkReconnectLimitMs} ms; joining again`),
        sdkReconnectLimitMs,
      );
      sdkRetry.unref();
    });
    next.on(RoomEvent.Reconnected, () => {
      clearTimeout(sdkRetry);
      stats.sdkReconnects += 1;
      log.info('rtc-node reconnected');
      // rtc-node can say "reconnected" while its picture never goes out again (after livekit-server
      // restarted, the e2e restart test saw a scene offline for good, rtc-node logging "failed to negotiate
      // the publisher"): a few seconds on, the video must be flowing, else the camera joins afresh.
      sdkRetry = setTimeout(() => {
        void (async () => {
          const before = await videoBytesSent(next);
          await sleep(2000, stopping.signal);
          const after = await videoBytesSent(next);
          if (before === 'paused' || after === 'paused') return;
          if (before === undefined || after === undefined || after <= before)
            joinAgain('rtc-node reconnected but no video goes out; joining again');
        })().catch((error: Error) =>
          log.warn({ err: error.message }, 'checking the video after a reconnect failed'),
        );
      }, 5000);
      sdkRetry.unref();
    });
    next.on(RoomEvent.LocalTrackRepublished, (pub) => {
      stats.trackSid = pub.sid;
      log.info({ trackSid: pub.sid }, 'track republished by rtc-node');
    });
    next.once(RoomEvent.Disconnected, (reason) => joinAgain('room disconnected; joining again', { reason }));
    room = next;
    track = nextTrack;
    audioTrack = nextAudio;
    stats.audioTrackSid = audioSid;
    stats.identity = identity ?? next.localParticipant?.identity;
    stats.trackSid = publication?.sid;
    stats.connected = true;
    stats.lastError = undefined;
    for (const resolve of liveWaiters) resolve();
    liveWaiters = [];
    log.info(
      {
        url,
        room: next.name,
        identity: stats.identity,
        width,
        height,
        fps,
        maxBitrate,
        trackSid: stats.trackSid,
        sound: stats.sound,
      },
      'camera live',
    );
  };

  const reconnect = async (): Promise<void> => {
    const old = room;
    const oldTrack = track;
    const oldAudio = audioTrack;
    room = undefined;
    track = undefined;
    audioTrack = undefined;
    await release(old, oldTrack, oldAudio);
    for (let attempt = 0; !stopping.signal.aborted; attempt++) {
      const ceiling = Math.min(maxMs, initialMs * 2 ** attempt);
      await sleep(ceiling / 2 + (Math.random() * ceiling) / 2, stopping.signal);
      if (stopping.signal.aborted) return;
      try {
        await connect();
        if (old) stats.reconnects += 1;
        return;
      } catch (error) {
        stats.failedAttempts += 1;
        stats.lastError = (error as Error).message;
        log.warn({ err: stats.lastError, attempt }, 'joining failed; backing off');
      }
    }
  };

  try {
    await connect();
  } catch (error) {
    stats.failedAttempts += 1;
    stats.lastError = (error as Error).message;
    log.warn({ err: stats.lastError }, 'first connection failed; retrying in the background');
    reconnecting = reconnect().finally(() => {
      reconnecting = undefined;
    });
  }

  let stopped: Promise<void> | undefined;
  return {
    stats,
    renderer,
    async layers() {
      const current = room;
      if (!current?.isConnected) return [];
      const { publisherStats } = await current.getRtcStats();
      const layers: CameraLayer[] = [];
      for (const { stats: entry } of publisherStats) {
        if (entry.case !== 'outboundRtp' || entry.value.stream?.kind !== 'video') continue;
        const out = entry.value.outbound;
        if (!out) continue;
        layers.push({
          rid: out.rid ?? '',
          width: out.frameWidth ?? 0,
          height: out.frameHeight ?? 0,
          framesPerSecond: out.framesPerSecond ?? 0,
          targetBitrate: out.targetBitrate ?? 0,
          active: out.active ?? false,
          limitation: limitations[out.qualityLimitationReason ?? 0] ?? 'other',
        });
      }
      return layers.sort((a, b) => ridOrder.indexOf(a.rid) - ridOrder.indexOf(b.rid));
    },
    async uplink() {
      const current = room;
      if (!current?.isConnected) return undefined;
      const uplink: CameraUplink = {
        estimateBps: 0,
        fractionLost: 0,
        roundTripMs: 0,
        nacksReceived: 0,
        retransmittedPackets: 0,
        keyframeRequests: 0,
      };
      for (const { stats: entry } of (await current.getRtcStats()).publisherStats) {
        // The pair in use carries the estimate (its `nominated` flag is not set on every engine).
        const pair = entry.case === 'candidatePair' ? entry.value.candidatePair : undefined;
        if (pair && (pair.availableOutgoingBitrate ?? 0) > uplink.estimateBps) {
          uplink.estimateBps = pair.availableOutgoingBitrate ?? 0;
          uplink.roundTripMs = 1000 * (pair.currentRoundTripTime ?? 0);
        }
        if (entry.case === 'outboundRtp' && entry.value.stream?.kind === 'video') {
          uplink.nacksReceived += entry.value.outbound?.nackCount ?? 0;
          uplink.retransmittedPackets += Number(entry.value.outbound?.retransmittedPacketsSent ?? 0n);
          uplink.keyframeRequests +=
            (entry.value.outbound?.pliCount ?? 0) + (entry.value.outbound?.firCount ?? 0);
        }
        if (entry.case === 'remoteInboundRtp' && entry.value.stream?.kind === 'video')
          uplink.fractionLost = Math.max(uplink.fractionLost, entry.value.remoteInbound?.fractionLost ?? 0);
      }
      return uplink;
    },
    live(timeoutMs = 30_000) {
      if (stats.connected) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          liveWaiters = liveWaiters.filter((w) => w !== done);
          reject(
            new Error(`camera ${options.scene} not live after ${timeoutMs} ms: ${stats.lastError ?? ''}`),
          );
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        liveWaiters.push(done);
      });
    },
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        clearInterval(capture);
        stats.connected = false;
        await bounded(reconnecting ?? Promise.resolve(), 5000);
        const current = room;
        room = undefined;
        if (current && publication?.sid && current.isConnected)
          await bounded(
            current.localParticipant!.unpublishTrack(publication.sid, false).catch(() => undefined),
            2000,
          );
        await release(current, track, audioTrack);
        track = undefined;
        audioTrack = undefined;
        await source.close().catch(() => undefined);
        await audioSource?.close().catch(() => undefined);
        await bounded(pumping, 1000);
        log.info({ framesSent: stats.framesSent }, 'camera stopped');
      })();
      return stopped;
    },
  };
}

/** Releases rtc-node's native runtime; call once when the process is done with every camera. */
export const disposeCameras = dispose;
