// Viewer-token issuance: our token service (helmet, CORS, rate limiter, body limit, zod, show lookup,
// signing) side by side with a bare Express endpoint that only signs an AccessToken, as LiveKit's docs show.
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScenecastClient } from '@scenecast/contract';
import { startTokenService } from '@scenecast/token-service';
import autocannon from 'autocannon';
import express from 'express';
import { AccessToken } from 'livekit-server-sdk';

// Many short alternating rounds: on a shared machine the load from others comes and goes, and a pair of
// rounds run back to back is disturbed alike; the median of the per-round ratios is the headline.
const durationSeconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 6);
const connections = 20;

interface Result {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  /** CPU time of this process (servers and load generator) per request: what a token costs, whoever waits. */
  cpuUs: number;
}

async function load(url: string): Promise<Result> {
  const cpu = process.cpuUsage();
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
    connections,
    duration: durationSeconds,
  });
  if (result.non2xx > 0) throw new Error(`${url}: ${result.non2xx} non-2xx responses`);
  const used = process.cpuUsage(cpu);
  return {
    cpuUs: (used.user + used.system) / result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
  };
}

export async function run(): Promise<void> {
  const admin = 'bench-admin-token-0123456789';
  const service = await startTokenService({
    port: 0,
    databaseUrl: `file:${join(mkdtempSync(join(tmpdir(), 'bench-')), 'bench.db')}`,
    adminToken: admin,
    logLevel: 'warn',
    // The limiters still run; their limits must not be what we measure.
    viewerTokenRateLimit: 10_000_000,
    viewerTokenAddressRateLimit: 10_000_000,
    viewerTokenShowRateLimit: 10_000_000,
  });
  const operator = new ScenecastClient({ baseUrl: service.url, key: admin });
  const { apiKey } = await operator.createBrand({ name: 'Bench' });
  await operator.withKey(apiKey).createShow({
    id: 'bench',
    title: 'Bench',
    product: 'Ham',
    scenes: [{ id: 'studio', kind: 'studio', label: 'S' }],
  });

  const bare = express();
  bare.post('/token', async (_req, res) => {
    const token = new AccessToken('devkey', 'secret', { identity: `viewer-${Math.random()}`, ttl: '15m' });
    token.addGrant({
      roomJoin: true,
      room: 'bench',
      canSubscribe: true,
      canPublish: false,
      canPublishData: true,
    });
    res.json({ token: await token.toJwt() });
  });
  const bareServer = bare.listen(0, '127.0.0.1');
  await new Promise((resolve) => bareServer.once('listening', resolve));
  const bareUrl = `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}/token`;
  const oursUrl = `${service.url}/v1/shows/bench/viewer-token`;

  const ours: Result[] = [];
  const base: Result[] = [];
  for (let i = 0; i < rounds; i++) {
    // Alternate so drift on a shared machine hits both sides alike.
    base.push(await load(bareUrl));
    ours.push(await load(oursUrl));
  }
  const mean = (xs: Result[], k: keyof Result) => xs.reduce((a, x) => a + x[k], 0) / xs.length;
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  const row = (name: string, xs: Result[]) =>
    `| ${name} | ${mean(xs, 'rps').toFixed(0)} | ${mean(xs, 'p50').toFixed(1)} | ` +
    `${mean(xs, 'p90').toFixed(1)} | ${mean(xs, 'p99').toFixed(1)} | ${mean(xs, 'cpuUs').toFixed(0)} |`;
  const perRound = ours.map((o, i) => o.rps / base[i]!.rps);
  console.log(
    `${rounds} alternating rounds × ${durationSeconds} s, ${connections} connections, same process and machine\n`,
  );
  console.log(
    '| endpoint | tokens/s | p50 ms | p90 ms | p99 ms | CPU µs/token |\n| --- | --- | --- | --- | --- | --- |',
  );
  console.log(row('bare AccessToken().toJwt() (baseline)', base));
  console.log(row('scenecast POST /v1/shows/:id/viewer-token', ours));
  console.log(
    `\nratio ours/baseline: throughput ${median(perRound).toFixed(2)}x median of rounds ` +
      `(${perRound.map((r) => r.toFixed(2)).join(', ')}; ${(mean(ours, 'rps') / mean(base, 'rps')).toFixed(2)}x ` +
      `of the means), p50 ${(mean(ours, 'p50') / mean(base, 'p50')).toFixed(2)}x, ` +
      `p99 ${(mean(ours, 'p99') / mean(base, 'p99')).toFixed(2)}x, ` +
      `CPU per token ${(mean(ours, 'cpuUs') / mean(base, 'cpuUs')).toFixed(2)}x`,
  );
  bareServer.close();
  await service.close();
}
