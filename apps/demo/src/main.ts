#!/usr/bin/env node
// `npm start`: the demo show — SFU, token service (seeded), three scene cameras and the viewer — on
// this machine, with one Ctrl-C to stop it all.
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { seedDemo } from './seed.js';
import { httpOk, Supervisor } from './supervisor.js';
import { viewerPreviewArgs } from './viewer.js';

const require = createRequire(import.meta.url);
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

const host = process.env.DEMO_HOST ?? '127.0.0.1';
const sfuPort = Number(process.env.SFU_PORT ?? 7880);
const tokenPort = Number(process.env.TOKEN_SERVICE_PORT ?? 8080);
const viewerPort = Number(process.env.VIEWER_PORT ?? 5173);
/** Frame rate and studio resolution of the synthetic cameras; lower them on a slow machine. */
const fps = process.env.DEMO_FPS ?? '15';
const studioSize = (process.env.DEMO_STUDIO_SIZE ?? '3840x2160').split('x');
const stateDir = resolve(process.env.DEMO_STATE_DIR ?? '.scenecast');
const stateFile = join(stateDir, 'demo-seed.json');
const dbFile = join(stateDir, 'demo.db');
const tokenService = `http://${host}:${tokenPort}`;
const adminToken = randomBytes(24).toString('hex');

// The seed state and the database belong together: without the one, start the other afresh.
if (!existsSync(stateFile))
  for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) rmSync(f, { force: true });

const supervisor = new Supervisor();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void supervisor.stopAll(0));

try {
  await supervisor.start({
    name: 'sfu',
    command: process.execPath,
    args: [join(packageDir('@scenecast/sfu'), 'dist', 'main.js')],
    env: {
      PORT: String(sfuPort),
      LIVEKIT_WEBHOOK_URLS: `${tokenService}/v1/livekit/webhook`,
      LOG_LEVEL: process.env.SFU_LOG_LEVEL ?? 'warn',
    },
    ready: () => httpOk(`http://${host}:${sfuPort}/`),
  });
  await supervisor.start({
    name: 'token-service',
    command: process.execPath,
    args: [join(packageDir('@scenecast/token-service'), 'dist', 'main.js')],
    env: {
      PORT: String(tokenPort),
      DATABASE_URL: `file:${dbFile}`,
      LIVEKIT_URL: `ws://${host}:${sfuPort}`,
      SCENECAST_ADMIN_TOKEN: adminToken,
      CORS_ORIGINS: `http://${host}:${viewerPort},http://localhost:${viewerPort}`,
      LOG_LEVEL: 'warn',
    },
    ready: () => httpOk(`${tokenService}/readyz`),
  });
  const seeded = await seedDemo(tokenService, adminToken, stateFile);
  const cameraCli = join(packageDir('@scenecast/camera-sim'), 'dist', 'cli.js');
  for (const scene of ['studio', 'factory', 'farm']) {
    const [width, height] = scene === 'studio' ? studioSize : ['1280', '720'];
    await supervisor.start({
      name: `camera ${scene}`,
      command: process.execPath,
      args: [
        cameraCli,
        '--scene',
        scene,
        '--feed',
        seeded.feeds[scene]!,
        '--width',
        width!,
        '--height',
        height!,
        '--fps',
        fps,
      ],
      env: { TOKEN_SERVICE_URL: tokenService, SCENECAST_BRAND_KEY: seeded.brandKey, LOG_LEVEL: 'warn' },
    });
  }
  await supervisor.start({
    name: 'viewer',
    command: process.execPath,
    args: viewerPreviewArgs(host, viewerPort),
    env: { TOKEN_SERVICE_URL: tokenService },
    ready: () => httpOk(`http://${host}:${viewerPort}/`),
  });
} catch (error) {
  console.error(`demo failed to start: ${(error as Error).message}`);
  await supervisor.stopAll(1);
}

console.log(`
  scenecast demo is live — Ctrl-C stops everything

  Watch the show     http://${host}:${viewerPort}/show/demo
  Token service      ${tokenService}   (public show: ${tokenService}/v1/shows/demo, API: ${tokenService}/v1/openapi.json)
  SFU (LiveKit API)  ws://${host}:${sfuPort}     api key devkey / secret secret
`);
