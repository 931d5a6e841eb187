#!/usr/bin/env node
import { startSfu } from './server.js';

const sfu = await startSfu({ port: Number(process.env.PORT ?? 7880) });
console.log(`scenecast sfu ready: ${sfu.url} (api key devkey / secret secret)`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sfu.close().then(() => process.exit(0));
  });
}
