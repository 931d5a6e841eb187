#!/usr/bin/env node
// `pnpm sfu`: the embedded engine, like `livekit-server --dev` (127.0.0.1:7880, devkey / secret).
import { startSfu } from './server.js';

/** LIVEKIT_KEYS as LiveKit reads it: "key1: secret1, key2: secret2" (or one pair per line). */
function parseKeys(value: string | undefined): Record<string, string> | undefined {
  if (!value) return undefined;
  const pairs = value
    .split(/[,\n]/)
    .map((pair) => pair.split(':').map((s) => s.trim()))
    .filter((pair): pair is [string, string] => pair.length === 2 && !!pair[0] && !!pair[1]);
  return pairs.length > 0 ? Object.fromEntries(pairs) : undefined;
}

const keys = parseKeys(process.env.LIVEKIT_KEYS) ?? { devkey: 'secret' };
const webhookUrls = (process.env.LIVEKIT_WEBHOOK_URLS ?? '').split(',').filter(Boolean);
const sfu = await startSfu({
  port: Number(process.env.PORT ?? 7880),
  bindAddress: process.env.LIVEKIT_BIND ?? '127.0.0.1',
  keys,
  webhook: webhookUrls.length > 0 ? { urls: webhookUrls, apiKey: Object.keys(keys)[0]! } : undefined,
});
console.log(`scenecast sfu ready: ${sfu.url}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sfu.close().then(() => process.exit(0));
  });
}
