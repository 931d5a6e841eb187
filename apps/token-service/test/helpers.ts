import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type endpoints, type RequestOf, ScenecastClient } from '@scenecast/contract';
import pg from 'pg';
import { expect, inject } from 'vitest';
import { type RunningTokenService, startTokenService } from '../src/index.js';

export const adminToken = 'test-admin-token-0123456789';

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** Why this backend cannot run here; undefined when it runs. */
  skip: string | undefined;
}

/**
 * The storage engines the suite runs on: SQLite always, PostgreSQL when test/postgres.setup.ts found or
 * started a server (TEST_DATABASE_URL, or a throwaway cluster from the installed binaries). Under CI=true
 * that setup fails instead of leaving a reason here.
 */
export const sqlite: Backend = { name: 'sqlite', skip: undefined };
export const backends: Backend[] = [
  sqlite,
  {
    name: 'postgres',
    skip: inject('postgresUrl') ? undefined : inject('postgresSkipReason') || 'PostgreSQL not available',
  },
];

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** An empty database of its own for one service: a fresh SQLite file, or a new PostgreSQL database. */
export async function freshDatabase(backend: Backend): Promise<TestDatabase> {
  if (backend.name === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'token-service-'));
    return { url: `file:${join(dir, 'test.db')}`, drop: async () => rmSync(dir, { recursive: true }) };
  }
  const server = inject('postgresUrl');
  if (!server) throw new Error(`PostgreSQL is not available: ${backend.skip}`);
  const name = `token_service_test_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const c = new pg.Client({ connectionString: server });
    await c.connect();
    try {
      await c.query(statement);
    } finally {
      await c.end();
    }
  };
  await admin(`create database ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}

/** A real service on a free port over an empty database of the given backend; closing drops it. */
export async function startTestService(
  backend: Backend,
  overrides: Record<string, unknown> = {},
): Promise<RunningTokenService & { databaseUrl: string }> {
  const database = await freshDatabase(backend);
  const service = await startTokenService({
    port: 0,
    databaseUrl: database.url,
    adminToken,
    logLevel: 'warn',
    viewerTokenRateLimit: 1000,
    ...overrides,
  }).catch(async (error) => {
    await database.drop();
    throw error;
  });
  return {
    ...service,
    databaseUrl: database.url,
    async close() {
      await service.close();
      await database.drop();
    },
  };
}

/** The contract's client for a running service, with a brand's key or the operator token. */
export const apiClient = (service: { url: string }, key?: string) =>
  new ScenecastClient({ baseUrl: service.url, key });

export interface RawAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: an answer of any shape, which the test then examines
  body: any;
  headers: Headers;
}

/**
 * Requests as they come over the wire, malformed ones included, for the cases a typed client cannot
 * send (bad JSON, unknown fields, missing keys) and for the exact bytes and headers of an answer.
 */
export function raw(baseUrl: string) {
  return async (method: string, path: string, body?: unknown, key?: string): Promise<RawAnswer> => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (key) headers.authorization = `Bearer ${key}`;
    const response = await fetch(baseUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // leave as text
    }
    return { status: response.status, body: parsed, headers: response.headers };
  };
}

/** The answer is a problem+json of this status, its detail matching `detail` when given. */
export function expectProblem(r: RawAnswer, status: number, detail?: RegExp): void {
  expect(r.status).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
  expect(r.body.status).toBe(status);
  if (detail) expect(r.body.detail).toMatch(detail);
}

export const demoShow = {
  id: 'demo',
  title: 'Jinhua ham, from pasture to plate',
  product: 'Jinhua dry-cured ham, 500 g',
  scenes: [
    { id: 'studio', kind: 'studio', label: 'Studio' },
    { id: 'factory', kind: 'factory', label: 'Curing house' },
    { id: 'farm', kind: 'farm', label: 'Pig farm' },
  ],
} satisfies RequestOf<typeof endpoints.createShow>;
