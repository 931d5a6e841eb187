#!/usr/bin/env node
// scenecast-camera --scene factory [--show demo] [--width 1920 --height 1080 --fps 15] [auth options]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startWatchdog } from './watchdog.js';

const usage = `usage: scenecast-camera --scene <id> [options]

picture:   --width 3840 --height 2160 --fps 15 [--bitrate <bit/s>] [--product <name>]
auth, one of:
  --feed <id> --token-service <url> --brand-key <key>   a feed's token from the token service
                                                         (env TOKEN_SERVICE_URL, SCENECAST_BRAND_KEY);
                                                         --url (env LIVEKIT_URL) replaces the token's engine URL
  --token <jwt> --url <ws url>                          a ready token
  --show demo --url ws://127.0.0.1:7880 --api-key devkey --api-secret secret [--identity camera-<scene>]
                                                         mint one with the token service's feed grant
                                                         (env LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET)
other:     --no-dynacast          keep every simulcast layer encoding even when nobody watches
           --no-audio             publish no microphone track (default: the studio speaks with
                                  espeak-ng, other scenes publish ambience; each over its pilot tone)
           --noise <fraction>     bottom fraction of the picture made of fresh noise each frame, so the
                                  encoder spends its whole bitrate (load tests; default 0)
           --stats <s>            log frames/s, this process's CPU and each simulcast layer's state
                                  every s seconds (default 30, 0 = off)
           --duration <s>         stop after s seconds
           --snapshot <file.png>  render one frame to a PNG and exit (no LiveKit)
Stops cleanly on SIGINT/SIGTERM (unpublish, leave, release). Logs are pino JSON; LOG_LEVEL sets the level.`;

const { values } = parseArgs({
  options: {
    scene: { type: 'string' },
    show: { type: 'string', default: 'demo' },
    width: { type: 'string', default: '3840' },
    height: { type: 'string', default: '2160' },
    fps: { type: 'string', default: '15' },
    bitrate: { type: 'string' },
    product: { type: 'string' },
    url: { type: 'string', default: process.env.LIVEKIT_URL },
    'api-key': { type: 'string', default: process.env.LIVEKIT_API_KEY ?? 'devkey' },
    'api-secret': { type: 'string', default: process.env.LIVEKIT_API_SECRET ?? 'secret' },
    identity: { type: 'string' },
    token: { type: 'string' },
    'token-service': { type: 'string', default: process.env.TOKEN_SERVICE_URL ?? 'http://127.0.0.1:8080' },
    'brand-key': { type: 'string', default: process.env.SCENECAST_BRAND_KEY },
    feed: { type: 'string' },
    'no-dynacast': { type: 'boolean', default: false },
    'no-audio': { type: 'boolean', default: false },
    noise: { type: 'string', default: '0' },
    stats: { type: 'string', default: '30' },
    duration: { type: 'string' },
    snapshot: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help || !values.scene) {
  console.log(usage);
  process.exit(values.help ? 0 : 2);
}

const number = (name: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) {
    console.error(`--${name} must be a non-negative number (got ${text})\n\n${usage}`);
    process.exit(2);
  }
  return value;
};
const width = number('width', values.width)!;
const height = number('height', values.height)!;
const fps = number('fps', values.fps)!;

if (values.snapshot) {
  const { SceneRenderer } = await import('./renderer.js');
  const { pictureToPng } = await import('./snapshot.js');
  const renderer = new SceneRenderer(values.scene, width, height, { productName: values.product, fps });
  writeFileSync(values.snapshot, pictureToPng(renderer.next()));
  console.log(`wrote ${values.snapshot} (${values.scene}, ${width}x${height})`);
  process.exit(0);
}

if (values.feed && !values['brand-key']) {
  console.error('--feed needs --brand-key (or SCENECAST_BRAND_KEY)');
  process.exit(2);
}

// rtc-node logs at debug level unless NODE_ENV is production; a camera's own logs are enough.
process.env.NODE_ENV ??= 'production';
const { cameraLogger, disposeCameras, startCamera } = await import('./camera.js');
type Auth = Parameters<typeof startCamera>[0]['auth'];

const defaultUrl = 'ws://127.0.0.1:7880';
const auth: Auth = values.feed
  ? {
      kind: 'feed',
      tokenServiceUrl: values['token-service']!,
      brandKey: values['brand-key']!,
      feedId: values.feed,
      url: values.url,
    }
  : values.token
    ? { kind: 'token', url: values.url ?? defaultUrl, token: values.token }
    : {
        kind: 'keys',
        url: values.url ?? defaultUrl,
        apiKey: values['api-key']!,
        apiSecret: values['api-secret']!,
        show: values.show!,
        identity: values.identity,
      };

const log = cameraLogger(`camera-${values.scene}`);
// A camera whose loop is stuck for 20 s sends nothing and never recovers by itself: end it (see watchdog.ts).
const stopWatchdog = startWatchdog({ stallMs: 20_000, name: `camera-${values.scene}` });
const camera = await startCamera({
  scene: values.scene,
  auth,
  width,
  height,
  fps,
  maxBitrate: number('bitrate', values.bitrate),
  productName: values.product,
  dynacast: !values['no-dynacast'],
  audio: !values['no-audio'],
  noise: number('noise', values.noise),
  log,
}).catch((error: Error) => {
  // Options startCamera refuses (fps, noise out of range): a usage error, not a crash.
  console.error(`${error.message}\n\n${usage}`);
  process.exit(2);
});

const statsSeconds = number('stats', values.stats) ?? 0;
let lastCpu = process.cpuUsage();
let lastAt = performance.now();
let lastFrames = 0;
const statsTimer =
  statsSeconds > 0
    ? setInterval(async () => {
        const cpu = process.cpuUsage(lastCpu);
        const now = performance.now();
        const seconds = (now - lastAt) / 1000;
        const { stats } = camera;
        const layers = await camera.layers().catch(() => []);
        log.info(
          {
            fps: Number(((stats.framesSent - lastFrames) / seconds).toFixed(1)),
            cpuPercent: Number((((cpu.user + cpu.system) / 1e6 / seconds) * 100).toFixed(1)),
            frameMs: Number(stats.frameMs.toFixed(3)),
            framesSent: stats.framesSent,
            connected: stats.connected,
            reconnects: stats.reconnects,
            rssMb: Math.round(process.memoryUsage.rss() / 2 ** 20),
            // Each simulcast layer: size, frames/s, the encoder's bitrate, off (dynacast), what limits it.
            layers: layers.map(
              (l) =>
                `${l.rid} ${l.width}x${l.height} ${l.framesPerSecond} fps ${Math.round(l.targetBitrate / 1000)} kbit/s` +
                `${l.active ? '' : ' off'}${l.limitation === 'none' ? '' : ` (${l.limitation})`}`,
            ),
          },
          'stats',
        );
        lastCpu = process.cpuUsage();
        lastAt = now;
        lastFrames = stats.framesSent;
      }, statsSeconds * 1000)
    : undefined;

let stopping = false;
async function shutdown(signal: string, code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping');
  clearInterval(statsTimer);
  stopWatchdog();
  // A stuck native call must not keep the process alive forever.
  setTimeout(() => {
    log.error('stop timed out; exiting');
    process.exit(1);
  }, 10_000).unref();
  await camera.stop();
  await disposeCameras();
  process.exit(code);
}
process.on('SIGINT', () => void shutdown('SIGINT', 0));
process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
const duration = number('duration', values.duration);
if (duration) setTimeout(() => void shutdown('duration', 0), duration * 1000);
