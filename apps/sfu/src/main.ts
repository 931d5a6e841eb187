#!/usr/bin/env node
// `pnpm sfu`: the embedded engine, like `livekit-server --dev` (127.0.0.1:7880, devkey / secret).
// Flags: --config livekit.yaml --port --bind --keys "k: s" --node-ip --udp-port --port-range 50000-60000
import { loadConfig } from './config/load-config.js';
import { reportFault } from './guard.js';
import { createLogger } from './logging.js';
import { startSfu } from './server.js';

let loaded: ReturnType<typeof loadConfig>;
try {
  loaded = loadConfig(process.argv.slice(2), process.env);
} catch (error) {
  console.error(`scenecast sfu: ${(error as Error).message}`);
  process.exit(2);
}
const logger = createLogger(loaded.logLevel);
// Our own callbacks are guarded where they are registered (guard.ts). These catch what still escapes,
// from inside werift's socket handlers: a fault there belongs to one connection, and exiting would drop
// every viewer of every show on this server.
process.on('uncaughtException', (error) => reportFault('process', logger, error));
process.on('unhandledRejection', (reason) => reportFault('process', logger, reason));
for (const warning of loaded.warnings) logger.warn(warning);
const sfu = await startSfu({ ...loaded.config, logger });
console.log(`scenecast sfu ready: ${sfu.url} (keys: ${Object.keys(loaded.config.keys).join(', ')})`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sfu.close().then(() => process.exit(0));
  });
}
