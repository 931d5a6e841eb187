#!/usr/bin/env node
// `npm start`: the demo show — the engine (embedded SFU, or `--engine livekit` / SCENECAST_ENGINE=livekit for
// the real livekit-server), token service (seeded), chat moderator, three scene cameras, the viewer and the brand
// console — on this machine, with one Ctrl-C to stop it all. `--https` serves the viewer and the console over TLS
// on the machine's LAN address (DEMO_HOST, else its first non-internal IPv4), for a phone's camera.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type EngineName, selectedEngine } from '@scenecast/engine';
import { formatBanner } from './banner.js';
import { demoCameras, type Stack, startStack } from './stack.js';
import { lanAddress } from './tls.js';

// The demo's own parts log warnings only, unless asked for more.
process.env.LOG_LEVEL ??= 'warn';

let engine: EngineName;
let https: boolean;
try {
  const { values } = parseArgs({ options: { engine: { type: 'string' }, https: { type: 'boolean' } } });
  engine = selectedEngine({ SCENECAST_ENGINE: values.engine ?? process.env.SCENECAST_ENGINE });
  https = values.https ?? false;
} catch (error) {
  console.error(
    `npm start: ${(error as Error).message} (usage: npm start [-- --engine embedded|livekit] [--https])`,
  );
  process.exit(2);
}
// A phone reaches the machine at its LAN address; with no network but loopback, https still serves there.
const host = process.env.DEMO_HOST ?? (https ? (lanAddress() ?? '127.0.0.1') : '127.0.0.1');
const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
/** Frame rate and studio resolution of the synthetic cameras; lower them on a slow machine. */
const fps = Number(process.env.DEMO_FPS ?? 15);
const [studioWidth, studioHeight] = (process.env.DEMO_STUDIO_SIZE ?? '3840x2160').split('x').map(Number);

let stack: Stack | undefined;
let stopping = false;
/** Set by Ctrl-C during start-up: startStack is left to finish or fail (cleaning up after itself) first. */
let stopRequested = false;

/** Stops every part, once, and leaves with the code: Ctrl-C, or a part that keeps crashing. */
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await stack?.close().catch((error: Error) => console.error(`stopping the demo: ${error.message}`));
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    if (stack) void stop(0);
    else stopRequested = true;
  });

try {
  stack = await startStack({
    engine,
    host,
    https,
    ports: {
      engine: port('SFU_PORT', 7880),
      tokenService: port('TOKEN_SERVICE_PORT', 8080),
      viewer: port('VIEWER_PORT', 5173),
      console: port('CONSOLE_PORT', 5174),
    },
    stateDir: resolve(process.env.DEMO_STATE_DIR ?? '.scenecast'),
    cameras: demoCameras.map((camera) =>
      camera.scene === 'studio'
        ? { ...camera, width: studioWidth!, height: studioHeight!, fps }
        : { ...camera, fps },
    ),
    onCrashLoop: (name) => {
      console.error(`${name} keeps crashing; stopping the demo`);
      void stop(1);
    },
  });
} catch (error) {
  if (!stopRequested) console.error(`demo failed to start: ${(error as Error).message}`);
  process.exit(stopRequested ? 0 : 1);
}

if (stopRequested) await stop(0);
console.log(
  formatBanner({
    engine,
    showUrl: stack.showUrl,
    tokenService: stack.tokenService.url,
    engineUrl: stack.engineUrl,
    consoleUrl: stack.consoleUrl,
    brandKey: stack.seeded.brandKey,
    certificateFingerprint: stack.certificate?.fingerprint,
  }),
);
