#!/usr/bin/env node
// `npm start`: brings up the demo show on the embedded SFU and prints where to open it.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { httpOk, Supervisor } from './supervisor.js';

const require = createRequire(import.meta.url);
const sfuPort = Number(process.env.SFU_PORT ?? 7880);
const host = process.env.DEMO_HOST ?? '127.0.0.1';
const sfuMain = join(dirname(require.resolve('@scenecast/sfu/package.json')), 'dist', 'main.js');

const supervisor = new Supervisor();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void supervisor.stopAll(0));

try {
  await supervisor.start({
    name: 'sfu',
    command: process.execPath,
    args: [sfuMain],
    env: { PORT: String(sfuPort) },
    ready: () => httpOk(`http://${host}:${sfuPort}/`),
  });
} catch (error) {
  console.error(`demo failed to start: ${(error as Error).message}`);
  await supervisor.stopAll(1);
}

console.log(`
  scenecast demo is up (Ctrl-C stops everything)

  SFU (LiveKit-compatible)  ws://${host}:${sfuPort}   api key devkey / secret secret
`);
