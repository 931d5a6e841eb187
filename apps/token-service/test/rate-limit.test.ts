// The per-client limit on its own, with a window short enough to watch it pass.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { perClientRateLimit } from '../src/http/rate-limit.js';

let server: Server;
let url: string;

beforeAll(async () => {
  const app = express();
  app.get(
    '/',
    perClientRateLimit({
      limit: 2,
      windowMs: 2_000, // long enough for three requests on a loaded machine, short enough to wait out
      name: 'test',
      onLimited: (res) => res.status(429).end(),
    }),
    (_req, res) => res.end('ok'),
  );
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

it('refuses a client beyond its limit until its window has passed, then counts afresh', async () => {
  const statuses = async (n: number) => {
    const out = [];
    for (let i = 0; i < n; i++) out.push((await fetch(url)).status);
    return out;
  };
  expect(await statuses(3)).toEqual([200, 200, 429]);
  await new Promise((resolve) => setTimeout(resolve, 2_100));
  expect(await statuses(3)).toEqual([200, 200, 429]);
});
