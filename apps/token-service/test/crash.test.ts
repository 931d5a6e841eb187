// Acknowledged writes survive SIGKILL: the service is killed mid-burst, restarted on the same database
// (SQLite file or PostgreSQL database), and every show that got a 201 must be there.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from '@scenecast/testkit';
import { describe, expect, it } from 'vitest';
import { adminToken, apiClient, backends, demoShow, freshDatabase } from './helpers.js';

const main = join(import.meta.dirname, '..', 'dist', 'main.js');

/** Starts dist/main.js on the port (0: any free one); resolves with its URL once it says it is ready. */
async function launch(databaseUrl: string, port: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      SCENECAST_ADMIN_TOKEN: adminToken,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => {
    output += chunk;
  });
  const url = await waitFor(() => /token service ready: (http\S+)/.exec(output)?.[1], {
    what: 'token service ready',
  });
  return { child, url };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

for (const backend of backends) {
  describe.skipIf(backend.skip)(`crash safety on ${backend.name}`, () => {
    it('keeps every acknowledged write after SIGKILL during a burst', async () => {
      const database = await freshDatabase(backend);
      let { child, url } = await launch(database.url, 0);
      const { apiKey } = await apiClient({ url }, adminToken).createBrand({ name: 'Crash' });
      const brand = apiClient({ url }, apiKey);

      const acknowledged: string[] = [];
      let attempted = 0;
      const writers = Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; i < 200; i++) {
          const id = `crash-${w}-${i}`;
          attempted++;
          try {
            await brand.createShow({ ...demoShow, id });
            acknowledged.push(id);
          } catch {
            return; // the process is gone
          }
        }
      });
      // Kill it while the burst is in flight.
      await waitFor(() => acknowledged.length >= 50, { what: 'a few writes', intervalMs: 5 });
      child.kill('SIGKILL');
      await Promise.all(writers);
      expect(attempted).toBeGreaterThan(acknowledged.length);

      // Restarted on the same port, so the client finds it where it was.
      ({ child } = await launch(database.url, Number(new URL(url).port)));
      try {
        const { shows } = await brand.listShows();
        const stored = new Set(shows.map((s) => s.id));
        const lost = acknowledged.filter((id) => !stored.has(id));
        expect(lost).toEqual([]);
        // Transactions are whole: no show without its scenes.
        expect(shows.every((s) => s.scenes.length === 3)).toBe(true);
      } finally {
        await kill(child);
        await database.drop();
      }
    });
  });
}
