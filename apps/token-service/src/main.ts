#!/usr/bin/env node
import { startTokenService } from './index.js';

try {
  const service = await startTokenService();
  console.log(`scenecast token service ready: ${service.url}`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void service.close().then(() => process.exit(0)));
  }
} catch (error) {
  console.error(`token service failed to start: ${(error as Error).message}`);
  process.exit(1);
}
