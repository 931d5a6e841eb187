#!/usr/bin/env node
// `pnpm sfu`: the embedded engine, like `livekit-server --dev` (127.0.0.1:7880, devkey / secret).
// Flags: --config livekit.yaml --port --bind --keys "k: s" --node-ip --udp-port --port-range 50000-60000
import { loadConfig } from './config/load-config.js';
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
for (const warning of loaded.warnings) logger.warn(warning);
const sfu = await startSfu({ ...loaded.config, logger });
console.log(`scenecast sfu ready: ${sfu.url} (keys: ${Object.keys(loaded.config.keys).join(', ')})`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sfu.close().then(() => process.exit(0));
  });
}
