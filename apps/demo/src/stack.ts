// The whole demo show on one machine — the engine (embedded SFU or livekit-server), token service (seeded),
// chat moderator, scene cameras, the viewer and the brand console — assembled in one place for `npm start`, the end-to-end tests and the
// benchmarks.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { endpoints, ScenecastClient } from '@scenecast/contract';
import { devKeys, type EngineName, engineCommand, freeTcpPort, selectedEngine } from '@scenecast/engine';
import { type RunningTokenService, startTokenService } from '@scenecast/token-service';
import { demoShow, type Seeded, seedDemo } from './seed.js';
import { type ServiceSpec, Supervisor } from './supervisor.js';
import { type DemoCertificate, demoCertificate } from './tls.js';

const require = createRequire(import.meta.url);

export interface CameraSpec {
  /** A scene of the demo show: studio, factory or farm. */
  scene: string;
  width: number;
  height: number;
  fps: number;
  /** More scenecast-camera flags, e.g. `--bitrate`, `--noise` or `--no-audio` for a load test. */
  args?: string[];
}

/** The demo's cameras: the studio in 4K, the others in 720p, at 15 fps. */
export const demoCameras: CameraSpec[] = [
  { scene: 'studio', width: 3840, height: 2160, fps: 15 },
  { scene: 'factory', width: 1280, height: 720, fps: 15 },
  { scene: 'farm', width: 1280, height: 720, fps: 15 },
];

export interface StackOptions {
  /** Default SCENECAST_ENGINE (embedded when unset). */
  engine?: EngineName;
  /** The interface every part listens on; default 127.0.0.1. */
  host?: string;
  /** 0 (the default) gives a part any free port; the stack's URLs say which it got. */
  ports?: { engine?: number; tokenService?: number; viewer?: number; console?: number };
  /** The token service's database and the seeded show's keys; a later start in the same place reuses them. */
  stateDir: string;
  /**
   * Serve the viewer and the console over TLS with the demo's certificate (see tls.ts), the console
   * proxying the engine's signalling on its origin (`npm start -- --https`: a phone's camera on the LAN).
   */
  https?: boolean;
  /** Default {@link demoCameras}. */
  cameras?: CameraSpec[];
  /** A part kept crashing and was given up on (see Supervisor). */
  onCrashLoop?(name: string): void;
}

export interface Stack {
  readonly engine: EngineName;
  readonly tokenService: RunningTokenService;
  /** The engine's LiveKit URL, e.g. `ws://127.0.0.1:7880`; it stays the same across restarts. */
  readonly engineUrl: string;
  /** The LiveKit URL the pages are given: engineUrl, or with https the console's `wss://` origin. */
  readonly publicEngineUrl: string;
  /** With https: the certificate the viewer and the console serve. */
  readonly certificate?: DemoCertificate;
  /** The viewer app, e.g. `http://127.0.0.1:5173` (https:// with https). */
  readonly viewerUrl: string;
  /** The demo show in the viewer. */
  readonly showUrl: string;
  /** The brand console (and its publish page), e.g. `http://127.0.0.1:5174`. */
  readonly consoleUrl: string;
  /** The demo show's brand, through the contract's client. */
  readonly brand: ScenecastClient;
  readonly seeded: Seeded;
  /** Starts the scene's camera; resolves when the token service reports its feed live. */
  startCamera(scene: string): Promise<void>;
  /** Stops the scene's camera; resolves when the token service reports its feed offline. */
  stopCamera(scene: string): Promise<void>;
  /** Kills the engine (SIGKILL, not restarted): every connection drops with no goodbye, as on a crash. */
  killEngine(): Promise<void>;
  /** Starts the engine again, on its port, after killEngine(). */
  startEngine(): Promise<void>;
  /** Stops everything, the token service last. */
  close(): Promise<void>;
}

/** Polls until `check` is true; fails after `timeoutMs` with what it waited for. */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** True when an HTTP GET answers 2xx. */
const httpOk = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(1000) }).then(
    (r) => r.ok,
    () => false,
  );

/** The first http(s):// or ws:// URL after `label` in a process's output. */
const announced = (output: string, label: string) =>
  new RegExp(`${label}\\s*((?:https?|ws)://\\S+?)/?(?:\\s|$)`).exec(stripVTControlCharacters(output))?.[1];

/** The browser apps `npm start` serves, each from its build. */
const webApps = {
  viewer: () => dirname(require.resolve('@scenecast/viewer/package.json')),
  console: () => dirname(require.resolve('@scenecast/console/package.json')),
};
type WebApp = keyof typeof webApps;

/**
 * A built web app served by `vite preview` (which proxies /v1 to the token service) under the
 * supervisor, on the port (0: any free one); resolves with its URL. A restart comes back on that port.
 */
async function serveApp(
  supervisor: Supervisor,
  app: WebApp,
  options: { tokenServiceUrl: string; host: string; port: number; env?: Record<string, string> },
): Promise<string> {
  const args = [
    join(dirname(require.resolve('vite/package.json')), 'bin', 'vite.js'),
    ...['preview', webApps[app]()],
    ...['--host', options.host, '--port', String(options.port), '--strictPort'],
  ];
  // vite announces a loopback host as "Local:", any other (a network namespace's host side) as "Network:",
  // sometimes beside a "Local:" localhost; the URL is the host asked for, on the port it announced.
  const appUrl = (output: string) => announced(output, 'Local:') ?? announced(output, 'Network:');
  const announcedUrl = appUrl(
    await supervisor.start({
      name: app,
      command: process.execPath,
      args,
      env: { TOKEN_SERVICE_URL: options.tokenServiceUrl, NO_COLOR: '1', ...options.env },
      ready: (output) => appUrl(output) !== undefined,
    }),
  )!;
  const { protocol, port } = new URL(announcedUrl);
  args[args.indexOf('--port') + 1] = port;
  return `${protocol}//${options.host}:${port}`;
}

/**
 * The viewer alone, for a test that runs its own engines and token service (the LiveKit cluster, the slow link):
 * `url` is where it serves, `close()` stops it.
 */
export async function startViewer(options: {
  tokenServiceUrl: string;
  livekitUrl: string;
  host?: string;
}): Promise<{ url: string; close(): Promise<void> }> {
  const supervisor = new Supervisor();
  // LIVEKIT_URL: the one place besides its own origin the page may connect to (its Content-Security-Policy).
  const url = await serveApp(supervisor, 'viewer', {
    host: options.host ?? '127.0.0.1',
    port: 0,
    tokenServiceUrl: options.tokenServiceUrl,
    env: { LIVEKIT_URL: options.livekitUrl },
  });
  return { url, close: () => supervisor.stopAll() };
}

/**
 * Starts the demo show. The token service runs in this process: the stack seeds it and tells it the
 * engine's URL. The engine, the cameras and the viewer's server run as supervised processes of their own
 * (restarted when they crash, so a fault in one never takes the show down). The token service starts
 * first on its port, so the engine can be given its webhook URL; then it learns the engine's URL.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const engine = options.engine ?? selectedEngine();
  const host = options.host ?? '127.0.0.1';
  const ports = { engine: 0, tokenService: 0, viewer: 0, console: 0, ...options.ports };
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
      livekit: { url: '', ...devKeys },
      // The console's proxy reaches it from `host` (not loopback, on a LAN address): its X-Forwarded-Proto
      // says https, and the session cookie is then Secure.
      trustProxy: ['loopback', host],
    });
    const service = tokenService;

    // The engine. The embedded SFU takes port 0 and says the port it got; livekit-server reads its port
    // from its config, so it is given a free one. Restarts come back on that port, so URLs stay valid.
    const enginePort = engine === 'livekit' && !ports.engine ? await freeTcpPort() : ports.engine;
    const command = await engineCommand(engine, {
      port: enginePort,
      host,
      webhookUrls: [service.url + endpoints.livekitWebhook.path],
      keys: devKeys,
    });
    const engineSpec: ServiceSpec = {
      name: engine === 'livekit' ? 'livekit-server' : 'sfu',
      ...command,
      env: command.env,
      ready: (output) =>
        engine === 'embedded'
          ? announced(output, 'sfu ready:') !== undefined
          : httpOk(`http://${host}:${enginePort}/`),
    };
    const engineOutput = await supervisor.start(engineSpec);
    const engineUrl =
      engine === 'embedded' ? announced(engineOutput, 'sfu ready:')! : `ws://${host}:${enginePort}`;
    if (engine === 'embedded') engineSpec.env!.PORT = new URL(engineUrl).port;
    // With https the pages reach the engine through the console's origin (its /rtc proxy): one certificate
    // warning to accept, and no mixed content. The console's port is chosen now, so the viewer's policy can name it.
    const certificate = options.https ? await demoCertificate(options.stateDir, host) : undefined;
    if (certificate && !ports.console) ports.console = await freeTcpPort();
    const publicEngineUrl = certificate ? `wss://${host}:${ports.console}` : engineUrl;
    service.setLivekitUrl(engineUrl, publicEngineUrl);
    const tls: Record<string, string> = certificate
      ? { TLS_CERT_FILE: certificate.certFile, TLS_KEY_FILE: certificate.keyFile }
      : {};

    const api = new ScenecastClient({ baseUrl: service.url });
    const seeded = await seedDemo(api, adminToken, stateFile);
    // The chat moderator: viewers and the host chat through it (apps/moderator), on either engine.
    await supervisor.start({
      name: 'moderator',
      command: process.execPath,
      args: [join(dirname(require.resolve('@scenecast/moderator/package.json')), 'dist', 'main.js')],
      env: {
        HOST: host,
        PORT: '0',
        LIVEKIT_URL: engineUrl,
        LIVEKIT_API_KEY: devKeys.apiKey,
        LIVEKIT_API_SECRET: devKeys.apiSecret,
        TOKEN_SERVICE_URL: service.url,
        SCENECAST_ADMIN_TOKEN: adminToken,
      },
      ready: (output) => output.includes('scenecast moderator ready'),
    });
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
          // The engine itself, not the pages' URL the token carries (with https, the console's proxy).
          ...['--scene', scene, '--feed', feedId, '--url', engineUrl],
          ...[
            '--width',
            String(camera.width),
            '--height',
            String(camera.height),
            '--fps',
            String(camera.fps),
          ],
          ...(camera.args ?? []),
        ],
        env: { TOKEN_SERVICE_URL: service.url, SCENECAST_BRAND_KEY: seeded.brandKey },
        ready: () => feedLive(feedId),
      });
    };

    // The console after the viewer: it links each show to it. Publish links point at the console.
    // Both servers name the engine in their CSP (LIVEKIT_URL).
    const serveApps = async () => {
      const viewerUrl = await serveApp(supervisor, 'viewer', {
        tokenServiceUrl: service.url,
        host,
        port: ports.viewer,
        env: { LIVEKIT_URL: publicEngineUrl, ...tls },
      });
      const consoleUrl = await serveApp(supervisor, 'console', {
        tokenServiceUrl: service.url,
        host,
        port: ports.console,
        env: {
          VIEWER_URL: viewerUrl,
          LIVEKIT_URL: publicEngineUrl,
          ...tls,
          ...(certificate && { ENGINE_PROXY_URL: engineUrl }),
        },
      });
      service.setConsoleUrl(consoleUrl);
      return { viewerUrl, consoleUrl };
    };
    const [{ viewerUrl, consoleUrl }] = await Promise.all([
      serveApps(),
      ...[...cameraSpecs.keys()].map((scene) => startCamera(scene)),
    ]);
    return {
      engine,
      tokenService: service,
      engineUrl,
      publicEngineUrl,
      certificate,
      viewerUrl,
      showUrl: `${viewerUrl}/show/${demoShow.id}`,
      consoleUrl,
      brand: api.withKey(seeded.brandKey),
      seeded,
      startCamera,
      async stopCamera(scene) {
        await supervisor.stop(`camera ${scene}`);
        const feedId = seeded.feeds[scene]!;
        await until(async () => !(await feedLive(feedId)), `camera ${scene} offline`);
      },
      async killEngine() {
        await supervisor.stop(engineSpec.name, 'SIGKILL');
      },
      async startEngine() {
        await supervisor.start(engineSpec);
      },
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
