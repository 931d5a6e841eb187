import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import pg from 'pg';
import { migrationProvider } from './migrations.js';
import type { Database } from './schema.js';

/**
 * One query layer for both engines: a SQLite file by default (zero setup), PostgreSQL when DATABASE_URL
 * says so (several instances behind a load balancer). Migrates to the latest schema before returning.
 */
export async function openDatabase(url: string): Promise<Kysely<Database>> {
  const db = new Kysely<Database>({ dialect: dialectFor(url) });
  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`database migration ${failed ?? ''} failed: ${(error as Error).message}`);
  }
  return db;
}

function dialectFor(url: string) {
  if (/^postgres(ql)?:\/\//.test(url)) {
    return new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 10 }) });
  }
  const path = url === ':memory:' ? ':memory:' : url.replace(/^file:/, '');
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SQLite(path);
  // WAL with synchronous=FULL: an acknowledged write is on disk before we answer, even if killed.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  return new SqliteDialect({ database: sqlite });
}
