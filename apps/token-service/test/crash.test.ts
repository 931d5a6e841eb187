// Acknowledged writes survive a process crash: the service is killed with SIGKILL mid-burst, restarted on
// the same database (SQLite file or PostgreSQL database), and every show that got a 201 must be there.
// SIGKILL leaves the OS page cache intact, so this proves process-crash safety, not power-loss safety;
// what power loss would need is the durability settings checked below, on a disk that honours flushes.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { skipWhen, waitFor } from '@scenecast/testkit';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { adminToken, backends, client, demoShow, freshDatabase, startTestService } from './helpers.js';

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

      // Every attempt is counted by its outcome: a 201, another answer, or no answer (the process is gone).
      const writers = 8;
      const perWriter = 200;
      const acknowledged: string[] = [];
      const otherAnswers: string[] = [];
      const unanswered: string[] = [];
      const burst = Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < perWriter; i++) {
          const id = `crash-${w}-${i}`;
          try {
            const r = await api.call('POST', '/v1/shows', { ...demoShow, id }, key);
            if (r.status === 201) acknowledged.push(id);
            else otherAnswers.push(`${id}: ${r.status} ${JSON.stringify(r.body)}`);
          } catch {
            unanswered.push(id);
            return; // the process is gone: this writer's burst is cut here
          }
        }
      });
      // Kill it while the burst is in flight.
      await waitFor(() => acknowledged.length >= 50, { what: 'a few writes', intervalMs: 5 });
      child.kill('SIGKILL');
      await Promise.all(burst);
      // Until the kill every answer was a 201; the kill cut every writer mid-way, with requests in flight.
      expect(otherAnswers).toEqual([]);
      expect(unanswered).toHaveLength(writers);
      expect(acknowledged.length).toBeLessThan(writers * perWriter - writers);

      child = await launch(database.url, port);
      try {
        const shows = (await api.call('GET', '/v1/shows', undefined, key)).body.shows as {
          id: string;
          scenes: unknown[];
        }[];
        const stored = new Set(shows.map((s) => s.id));
        const lost = acknowledged.filter((id) => !stored.has(id));
        expect(lost).toEqual([]);
        // Nothing appears that was never sent; a request cut in flight may or may not have committed.
        const sent = new Set([...acknowledged, ...unanswered]);
        expect([...stored].filter((id) => !sent.has(id))).toEqual([]);
        // Transactions are whole: no show without its scenes.
        expect(shows.every((s) => s.scenes.length === 3)).toBe(true);
      } finally {
        await kill(child);
        await database.drop();
      }
    });

    it('runs with the durability settings a power loss would need, on the live connection', async () => {
      const service = await startTestService(backend);
      try {
        if (backend.name === 'sqlite') {
          // 2 = FULL: the WAL is synced at every commit, before the answer (NORMAL, 1, may lose the last ones).
          const synchronous = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(
            service.store.db,
          );
          expect(synchronous.rows).toEqual([{ synchronous: 2 }]);
          const journal = await sql<{ journal_mode: string }>`PRAGMA journal_mode`.execute(service.store.db);
          expect(journal.rows).toEqual([{ journal_mode: 'wal' }]);
        } else {
          // A commit is acknowledged only once its WAL record is flushed (the server's fsync is the
          // deployment's setting; the throwaway test cluster runs without it).
          const commit = await sql<{ synchronous_commit: string }>`SHOW synchronous_commit`.execute(
            service.store.db,
          );
          expect(commit.rows).toEqual([{ synchronous_commit: 'on' }]);
        }
      } finally {
        await service.close();
      }
    });
  });
}
