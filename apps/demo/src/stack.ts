// The whole demo show on one machine — SFU, token service (seeded), scene cameras and the viewer — assembled
// in one place for `npm start`, the end-to-end tests and the benchmarks.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { endpoints, ScenecastClient } from '@scenecast/contract';
import { type RunningTokenService, startTokenService } from '@scenecast/token-service';
import { demoShow, type Seeded, seedDemo } from './seed.js';
import { type ServiceSpec, Supervisor } from './supervisor.js';

const require = createRequire(import.meta.url);

export interface CameraSpec {
  /** A scene of the demo show: studio, factory or farm. */
  scene: string;
  width: number;
  height: number;
  fps: number;
}

/** The demo's cameras: the studio in 4K, the others in 720p, at 15 fps. */
export const demoCameras: CameraSpec[] = [
  { scene: 'studio', width: 3840, height: 2160, fps: 15 },
  { scene: 'factory', width: 1280, height: 720, fps: 15 },
  { scene: 'farm', width: 1280, height: 720, fps: 15 },
];

export interface StackOptions {
  /** The interface every part listens on; default 127.0.0.1. */
  host?: string;
  /** 0 (the default) gives a part any free port; the stack's URLs say which it got. */
  ports?: { sfu?: number; tokenService?: number; viewer?: number };
  /** The token service's database and the seeded show's keys; a later start in the same place reuses them. */
  stateDir: string;
  /** Default {@link demoCameras}. */
  cameras?: CameraSpec[];
  /** A part kept crashing and was given up on (see Supervisor). */
  onCrashLoop?(name: string): void;
}

export interface Stack {
  readonly tokenService: RunningTokenService;
  /** The SFU's LiveKit URL, e.g. `ws://127.0.0.1:7880`; it stays the same across restarts. */
  readonly sfuUrl: string;
  /** The viewer app, e.g. `http://127.0.0.1:5173`. */
  readonly viewerUrl: string;
  /** The demo show in the viewer. */
  readonly showUrl: string;
  /** The demo show's brand, through the contract's client. */
  readonly brand: ScenecastClient;
  readonly seeded: Seeded;
  /** Starts the scene's camera; resolves when the token service reports its feed live. */
  startCamera(scene: string): Promise<void>;
  /** Stops the scene's camera; resolves when the token service reports its feed offline. */
  stopCamera(scene: string): Promise<void>;
  /** Stops the SFU and starts it again on the same port: every connection drops, as on a network loss. */
  restartSfu(): Promise<void>;
  /** Stops everything, the token service last. */
  close(): Promise<void>;
}

/** LiveKit's dev keys: the SFU accepts them, the token service signs with them. */
const livekitKeys = { apiKey: 'devkey', apiSecret: 'secret' };

/** Polls until `check` is true; fails after `timeoutMs` with what it waited for. */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The first http(s):// or ws:// URL after `label` in a process's output. */
const announced = (output: string, label: string) =>
  new RegExp(`${label}\\s*((?:https?|ws)://\\S+?)/?(?:\\s|$)`).exec(stripVTControlCharacters(output))?.[1];

/**
 * Starts the demo show. The token service runs in this process: the stack seeds it and tells it the SFU's
 * URL. The SFU, the cameras and the viewer's server run as supervised processes of their own (restarted
 * when they crash, so a fault in one never takes the show down). The token service starts first on its
 * port, so the SFU can be given its webhook URL; then it learns the SFU's URL: no port is guessed.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const host = options.host ?? '127.0.0.1';
  const ports = { sfu: 0, tokenService: 0, viewer: 0, ...options.ports };
  const cameraSpecs = new Map((options.cameras ?? demoCameras).map((c) => [c.scene, c]));
  mkdirSync(options.stateDir, { recursive: true });
  const stateFile = join(options.stateDir, 'demo-seed.json');
  const dbFile = join(options.stateDir, 'demo.db');
  // The seed state and the database belong together: without the one, start the other afresh.
  if (!existsSync(stateFile))
    for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) rmSync(f, { force: true });

  const supervisor = new Supervisor({ onCrashLoop: options.onCrashLoop });
  let tokenService: RunningTokenService | undefined;
  // The token service last: the SFU's last webhooks (feeds offline, room finished) reach it.
  const close = async () => {
    await supervisor.stopAll();
    await tokenService?.close();
  };

  try {
    const adminToken = randomBytes(24).toString('hex');
    tokenService = await startTokenService({
      host,
      port: ports.tokenService,
      databaseUrl: `file:${dbFile}`,
      adminToken,
      livekit: { url: '', ...livekitKeys },
    });
    const service = tokenService;

    // The SFU, on its port; restarts come back on the port it got, so every client's URL stays valid.
    const sfu: ServiceSpec = {
      name: 'sfu',
      command: process.execPath,
      args: [join(dirname(require.resolve('@scenecast/sfu/package.json')), 'dist', 'main.js')],
      env: {
        PORT: String(ports.sfu),
        LIVEKIT_BIND: host,
        LIVEKIT_KEYS: `${livekitKeys.apiKey}: ${livekitKeys.apiSecret}`,
        LIVEKIT_WEBHOOK_URLS: service.url + endpoints.livekitWebhook.path,
      },
      ready: (output) => announced(output, 'sfu ready:') !== undefined,
    };
    const sfuUrl = announced(await supervisor.start(sfu), 'sfu ready:')!;
    sfu.env!.PORT = new URL(sfuUrl).port;
    service.setLivekitUrl(sfuUrl);

    const api = new ScenecastClient({ baseUrl: service.url });
    const seeded = await seedDemo(api, adminToken, stateFile);
    const feedLive = async (feedId: string) =>
      (await api.getShow(demoShow.id)).scenes.some((scene) =>
        scene.feeds.some((f) => f.id === feedId && f.live),
      );
    const cameraCli = join(dirname(require.resolve('@scenecast/camera-sim/package.json')), 'dist', 'cli.js');

    const startCamera = async (scene: string) => {
      const camera = cameraSpecs.get(scene);
      const feedId = seeded.feeds[scene];
      if (!camera || !feedId) throw new Error(`no camera for scene "${scene}" in the demo show`);
      await supervisor.start({
        name: `camera ${scene}`,
        command: process.execPath,
        args: [
          cameraCli,
          ...['--scene', scene, '--feed', feedId],
          ...[
            '--width',
            String(camera.width),
            '--height',
            String(camera.height),
            '--fps',
            String(camera.fps),
          ],
        ],
        env: { TOKEN_SERVICE_URL: service.url, SCENECAST_BRAND_KEY: seeded.brandKey },
        ready: () => feedLive(feedId),
      });
    };

    // The built viewer app, served by `vite preview`, which proxies /v1 to the token service.
    const startViewer = async () => {
      const args = [
        join(dirname(require.resolve('vite/package.json')), 'bin', 'vite.js'),
        ...['preview', dirname(require.resolve('@scenecast/viewer/package.json'))],
        ...['--host', host, '--port', String(ports.viewer), '--strictPort'],
      ];
      const viewer: ServiceSpec = {
        name: 'viewer',
        command: process.execPath,
        args,
        env: { TOKEN_SERVICE_URL: service.url, NO_COLOR: '1' },
        ready: (output) => announced(output, 'Local:') !== undefined,
      };
      const url = announced(await supervisor.start(viewer), 'Local:')!;
      args[args.indexOf('--port') + 1] = new URL(url).port;
      return url;
    };

    const [viewerUrl] = await Promise.all([
      startViewer(),
      ...[...cameraSpecs.keys()].map((scene) => startCamera(scene)),
    ]);
    return {
      tokenService: service,
      sfuUrl,
      viewerUrl,
      showUrl: `${viewerUrl}/show/${demoShow.id}`,
      brand: api.withKey(seeded.brandKey),
      seeded,
      startCamera,
      async stopCamera(scene) {
        await supervisor.stop(`camera ${scene}`);
        const feedId = seeded.feeds[scene]!;
        await until(async () => !(await feedLive(feedId)), `camera ${scene} offline`);
      },
      async restartSfu() {
        await supervisor.stop('sfu');
        await supervisor.start(sfu);
      },
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
