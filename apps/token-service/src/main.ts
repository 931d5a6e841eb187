#!/usr/bin/env node
// `pnpm token-service` serves the API; `pnpm token-service brand create "Name"` creates a brand in the
// database DATABASE_URL names and prints its key, once (only its hash is kept).
import { schemas } from '@scenecast/contract';
import { loadConfig } from './config.js';
import { openDatabase } from './db/connect.js';
import { Store } from './domain/store.js';
import { startTokenService } from './index.js';

const usage = 'usage: token-service [brand create "Brand name"]';
const args = process.argv.slice(2);

async function createBrand(name: string | undefined): Promise<void> {
  const parsed = schemas.createBrand.safeParse({ name });
  if (!parsed.success) throw new Error(`the brand's name: ${parsed.error.issues[0]?.message}\n${usage}`);
  const db = await openDatabase(loadConfig().databaseUrl);
  try {
    const brand = await new Store(db).createBrand(parsed.data.name);
    console.log(`brand ${brand.id} "${brand.name}" created. Its key (shown this once; keep it secret):\n`);
    console.log(`  ${brand.apiKey}\n`);
  } finally {
    await db.destroy();
  }
}

try {
  if (args[0] === 'brand' && args[1] === 'create' && args.length <= 3) {
    await createBrand(args[2]);
  } else if (args.length > 0) {
    throw new Error(usage);
  } else {
    const service = await startTokenService();
    console.log(`scenecast token service ready: ${service.url}`);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => void service.close().then(() => process.exit(0)));
    }
  }
} catch (error) {
  console.error(`token service: ${(error as Error).message}`);
  process.exit(1);
}
