// The whole demo show on one machine — SFU, token service (seeded), scene cameras and the viewer — assembled
// in one place for `npm start`, the end-to-end tests and the benchmarks.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { endpoints, ScenecastClient } from '@scenecast/contract';
import { type RunningSfu, startSfu } from '@scenecast/sfu';
import { type RunningTokenService, startTokenService } from '@scenecast/token-service';
import { demoShow, type Seeded, seedDemo } from './seed.js';

const require = createRequire(import.meta.url);
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

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
  /** A part running as a process of its own (a camera, the viewer) ended by itself. */
  onExit?(name: string, code: number | null, signal: NodeJS.Signals | null): void;
}

export interface Stack {
  /** The running SFU (a new one after restartSfu). */
  readonly sfu: RunningSfu;
  readonly tokenService: RunningTokenService;
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
  /** Closes the SFU and starts a new one on the same port: every connection drops, as on a network loss. */
  restartSfu(): Promise<void>;
  /** Stops everything: cameras first, so the SFU's last webhooks reach a token service still up. */
  close(): Promise<void>;
}

/** LiveKit's dev keys: the SFU accepts them, the token service signs with them. */
const livekitKeys = { apiKey: 'devkey', apiSecret: 'secret' };
const colors = [36, 35, 33, 32, 34, 31];

/** A part that runs as a process of its own, its output prefixed with its name as a process manager does. */
interface Part {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Polls until `check` is true; fails after `timeoutMs` with what it waited for. */
async function until(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Starts the demo show. The SFU and the token service run in this process, the cameras and the viewer's
 * server as processes of their own (they are the CPU-heavy and the long-lived-tool parts). The token service
 * starts first, so the SFU can be given its webhook URL, and then learns the SFU's URL: no port is guessed.
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

  const parts = new Map<string, Part>();
  let closing = false;
  let sfu: RunningSfu | undefined;
  let tokenService: RunningTokenService | undefined;

  const spawnPart = (name: string, args: string[], env: Record<string, string>): Part => {
    const prefix = `\x1b[${colors[parts.size % colors.length]}m${name.padEnd(14)}\x1b[0m| `;
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream.on('data', (chunk: Buffer) => {
        output = (output + chunk).slice(-10_000);
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) process.stdout.write(`${prefix}${line}\n`);
      });
    }
    let stopping = false;
    const exited = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        if (parts.get(name)?.child === child) parts.delete(name);
        if (!stopping && !closing) {
          process.stdout.write(`${prefix}exited (${signal ?? code})\n`);
          options.onExit?.(name, code, signal);
        }
        resolve();
      }),
    );
    const part: Part = {
      child,
      output: () => output,
      async stop() {
        stopping = true;
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 5000).unref();
        }
        await exited;
      },
    };
    parts.set(name, part);
    return part;
  };

  const close = async () => {
    closing = true;
    await Promise.all([...parts.values()].map((part) => part.stop()));
    await sfu?.close();
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
    const webhook = { urls: [tokenService.url + endpoints.livekitWebhook.path], apiKey: livekitKeys.apiKey };
    const sfuOptions = { bindAddress: host, keys: { [livekitKeys.apiKey]: livekitKeys.apiSecret }, webhook };
    sfu = await startSfu({ ...sfuOptions, port: ports.sfu });
    tokenService.setLivekitUrl(sfu.url);
    const api = new ScenecastClient({ baseUrl: tokenService.url });
    const seeded = await seedDemo(api, adminToken, stateFile);
    const brand = api.withKey(seeded.brandKey);
    const feedLive = async (feedId: string) =>
      (await api.getShow(demoShow.id)).scenes.some((scene) =>
        scene.feeds.some((f) => f.id === feedId && f.live),
      );
    const cameraCli = join(packageDir('@scenecast/camera-sim'), 'dist', 'cli.js');

    const startCamera = async (scene: string) => {
      const spec = cameraSpecs.get(scene);
      const feedId = seeded.feeds[scene];
      if (!spec || !feedId) throw new Error(`no camera for scene "${scene}" in the demo show`);
      const name = `camera ${scene}`;
      const part = spawnPart(
        name,
        [
          cameraCli,
          ...['--scene', scene, '--feed', feedId],
          ...['--width', String(spec.width), '--height', String(spec.height), '--fps', String(spec.fps)],
        ],
        { TOKEN_SERVICE_URL: tokenService!.url, SCENECAST_BRAND_KEY: seeded.brandKey },
      );
      await until(async () => {
        if (part.child.exitCode !== null) throw new Error(`${name} exited: ${part.output().slice(-500)}`);
        return feedLive(feedId);
      }, `${name} live`);
    };

    // The built viewer app, served by `vite preview`, which proxies /v1 to the token service.
    const startViewer = async () => {
      const part = spawnPart(
        'viewer',
        [
          join(packageDir('vite'), 'bin', 'vite.js'),
          ...['preview', packageDir('@scenecast/viewer'), '--host', host, '--port', String(ports.viewer)],
          '--strictPort',
        ],
        { TOKEN_SERVICE_URL: tokenService!.url },
      );
      let url: string | undefined;
      await until(() => {
        if (part.child.exitCode !== null) throw new Error(`the viewer exited: ${part.output().slice(-500)}`);
        url = /Local:\s+(http\S+?)\/?\s/.exec(stripVTControlCharacters(part.output()))?.[1];
        return url !== undefined;
      }, 'the viewer serving');
      return url!;
    };

    const [viewerUrl] = await Promise.all([
      startViewer(),
      ...[...cameraSpecs.keys()].map((scene) => startCamera(scene)),
    ]);
    const running = tokenService;
    return {
      get sfu() {
        return sfu!;
      },
      tokenService: running,
      viewerUrl,
      showUrl: `${viewerUrl}/show/${demoShow.id}`,
      brand,
      seeded,
      startCamera,
      async stopCamera(scene) {
        await parts.get(`camera ${scene}`)?.stop();
        const feedId = seeded.feeds[scene]!;
        await until(async () => !(await feedLive(feedId)), `camera ${scene} offline`);
      },
      async restartSfu() {
        const port = sfu!.port;
        await sfu!.close();
        sfu = await startSfu({ ...sfuOptions, port });
      },
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
