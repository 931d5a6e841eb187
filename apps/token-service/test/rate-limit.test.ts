// The limiter on its own, with windows short enough to watch them pass.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { rateLimit } from '../src/http/rate-limit.js';

let server: Server;
let url: string;

beforeAll(async () => {
  const app = express();
  // Two quotas as the viewer-token path has them: per client (the `c` query parameter here) and shared.
  app.get(
    '/',
    rateLimit({
      quotas: [
        {
          name: 'client',
          limit: 2,
          // Long enough for a dozen requests on a loaded machine, short enough to wait out.
          windowMs: 3000,
          key: (req) => String(req.query.c),
          refusal: 'client',
        },
        { name: 'shared', limit: 5, windowMs: 8000, key: () => 'all', refusal: 'shared' },
      ],
      onLimited: (res, detail) => res.status(429).end(detail),
    }),
    (_req, res) => res.end('ok'),
  );
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

const call = async (client: string) => {
  const r = await fetch(`${url}?c=${client}`);
  return { status: r.status, body: await r.text(), headers: r.headers };
};
const statuses = async (client: string, n: number) => {
  const out = [];
  for (let i = 0; i < n; i++) out.push((await call(client)).status);
  return out;
};

it('refuses a client beyond its quota until its window has passed; refused requests spend no shared quota', async () => {
  expect(await statuses('a', 10)).toEqual([200, 200, 429, 429, 429, 429, 429, 429, 429, 429]);
  const refused = await call('a');
  expect(refused.body).toBe('client');
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(3);
  expect(refused.headers.get('ratelimit-policy')).toBe('"client"; q=2; w=3, "shared"; q=5; w=8');
  expect(refused.headers.get('ratelimit')).toMatch(/^"client"; r=0; t=[0-3], "shared"; r=3; t=[5-8]$/);
  // a's eight refusals cost the shared quota nothing: three more clients fit in it.
  expect(await statuses('b', 2)).toEqual([200, 200]);
  expect(await statuses('c', 2)).toEqual([200, 429]);
  const shared = await call('d');
  expect([shared.status, shared.body]).toEqual([429, 'shared']);
  // The client's window passes, but the shared one still refuses; then both have passed.
  await new Promise((resolve) => setTimeout(resolve, 3100));
  expect(await statuses('a', 1)).toEqual([429]);
  await new Promise((resolve) => setTimeout(resolve, 5000));
  expect(await statuses('a', 3)).toEqual([200, 200, 429]);
});
