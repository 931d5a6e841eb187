import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningTokenService, startTokenService } from '../src/index.js';

export const adminToken = 'test-admin-token-0123456789';

/** A real service on a free port over a fresh SQLite file (or DATABASE_URL when the suite runs on PostgreSQL). */
export async function startTestService(
  overrides: Record<string, unknown> = {},
): Promise<RunningTokenService> {
  const dir = mkdtempSync(join(tmpdir(), 'token-service-'));
  return startTokenService({
    port: 0,
    databaseUrl: process.env.TEST_DATABASE_URL ?? `file:${join(dir, 'test.db')}`,
    adminToken,
    logLevel: 'warn',
    viewerTokenRateLimit: 1000,
    ...overrides,
  });
}

export interface Client {
  call(
    method: string,
    path: string,
    body?: unknown,
    key?: string,
  ): Promise<{ status: number; body: any; headers: Headers }>;
}

export function client(baseUrl: string): Client {
  return {
    async call(method, path, body, key) {
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
    },
  };
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
};
