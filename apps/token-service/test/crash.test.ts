// Acknowledged writes survive SIGKILL: the service is killed mid-burst, restarted on the same database
// (SQLite file or PostgreSQL database), and every show that got a 201 must be there.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { skipWhen, waitFor } from '@scenecast/testkit';
import { describe, expect, it } from 'vitest';
import { adminToken, backends, client, demoShow, freshDatabase } from './helpers.js';

const main = join(import.meta.dirname, '..', 'dist', 'main.js');

async function launch(databaseUrl: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      SCENECAST_ADMIN_TOKEN: adminToken,
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, {
    what: 'token service ready',
  });
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

for (const backend of backends) {
  describe(`crash safety on ${backend.name}`, skipWhen(backend.skip), () => {
    it('keeps every acknowledged write after SIGKILL during a burst', async () => {
      const database = await freshDatabase(backend);
      const port = 20_000 + Math.floor(Math.random() * 20_000);
      const api = client(`http://127.0.0.1:${port}`);
      let child = await launch(database.url, port);
      const key = (await api.call('POST', '/v1/brands', { name: 'Crash' }, adminToken)).body.apiKey as string;

      const acknowledged: string[] = [];
      let attempted = 0;
      const writers = Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; i < 200; i++) {
          const id = `crash-${w}-${i}`;
          attempted++;
          try {
            const r = await api.call('POST', '/v1/shows', { ...demoShow, id }, key);
            if (r.status === 201) acknowledged.push(id);
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

      child = await launch(database.url, port);
      try {
        const shows = (await api.call('GET', '/v1/shows', undefined, key)).body.shows as {
          id: string;
          scenes: unknown[];
        }[];
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
