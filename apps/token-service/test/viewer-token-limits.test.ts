// Viewer tokens for a real audience (#20): a carrier puts thousands of subscribers behind one IPv4
// address, so the limits must let a whole audience in from one address while one client hammering the
// endpoint is still slowed, and a show admits at most its ceiling a minute. Run on the defaults.
import { randomBytes } from 'node:crypto';
import { ApiError, clientIdHeader, honouringRetryAfter, ScenecastClient } from '@scenecast/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type RunningTokenService } from '../src/index.js';
import { adminToken, apiClient, demoShow, sqlite, startTestService } from './helpers.js';

const defaults = loadConfig({});
const carrierAddress = '198.51.100.20';

/** One viewer's request, from `address` (X-Forwarded-For through the trusted loopback proxy). */
async function ask(service: RunningTokenService, show: string, address: string, clientId?: string) {
  const headers: Record<string, string> = { 'x-forwarded-for': address };
  if (clientId) headers[clientIdHeader] = clientId;
  const response = await fetch(`${service.url}/v1/shows/${show}/viewer-token`, { method: 'POST', headers });
  const body = (await response.json()) as { detail?: string };
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body };
}

const newClientId = () => randomBytes(12).toString('base64url');

async function serviceWithShows(overrides: Record<string, unknown>, ...ids: string[]) {
  const service = await startTestService(sqlite, overrides);
  const { apiKey } = await apiClient(service, adminToken).createBrand({ name: 'Carrier test' });
  for (const id of ids) await apiClient(service, apiKey).createShow({ ...demoShow, id });
  return service;
}

describe('under the default limits', () => {
  let service: RunningTokenService;

  beforeAll(async () => {
    service = await serviceWithShows(
      {
        viewerTokenRateLimit: defaults.viewerTokenRateLimit,
        viewerTokenAddressRateLimit: defaults.viewerTokenAddressRateLimit,
        viewerTokenShowRateLimit: defaults.viewerTokenShowRateLimit,
      },
      'big-show',
    );
  });
  afterAll(() => service.close());

  it('gives 1,000 viewers joining from one address within a minute a token each', async () => {
    const started = Date.now();
    const statuses = new Map<number, number>();
    const viewers = Array.from({ length: 1000 }, newClientId);
    // Ten at a time, as an audience arriving together does.
    for (let i = 0; i < viewers.length; i += 10) {
      const batch = await Promise.all(
        viewers.slice(i, i + 10).map((id) => ask(service, 'big-show', carrierAddress, id)),
      );
      for (const r of batch) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(Object.fromEntries(statuses)).toEqual({ 200: 1000 });
  });

  it('still slows one client hammering from that address, without using up the address for others', async () => {
    for (const clientId of [newClientId(), undefined]) {
      const answers = [];
      for (let i = 0; i < 100; i++) answers.push(await ask(service, 'big-show', carrierAddress, clientId));
      const admitted = answers.filter((a) => a.status === 200).length;
      expect(admitted).toBe(defaults.viewerTokenRateLimit);
      for (const refused of answers.slice(admitted)) {
        expect(refused.status).toBe(429);
        expect(refused.body.detail).toMatch(
          /too many viewer tokens requested by this client; try again in \d+ s/,
        );
        expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
        expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
      }
    }
    // The hammering spent nothing of what the address allows: the next viewer behind it gets in.
    expect((await ask(service, 'big-show', carrierAddress, newClientId())).status).toBe(200);
  });
});

it('holds a client that invents a new id for every request at the address limit', async () => {
  const service = await serviceWithShows({ viewerTokenAddressRateLimit: 50 }, 'show');
  try {
    const statuses = [];
    for (let i = 0; i < 60; i++)
      statuses.push((await ask(service, 'show', carrierAddress, newClientId())).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    expect(statuses.slice(50)).toEqual(Array(10).fill(429));
    const refused = await ask(service, 'show', carrierAddress, newClientId());
    expect(refused.body.detail).toMatch(/from this address/);
    // Another address is not held by this one's count.
    expect((await ask(service, 'show', '203.0.113.9', newClientId())).status).toBe(200);
  } finally {
    await service.close();
  }
});

it('admits at most the per-show ceiling a minute, from any number of addresses; other shows unaffected', async () => {
  const service = await serviceWithShows({ viewerTokenShowRateLimit: 20 }, 'ceiling', 'other');
  try {
    // Unknown shows answer 404 and spend nothing of any show's ceiling.
    for (let i = 0; i < 5; i++)
      expect((await ask(service, 'nope', `192.0.2.${i}`, newClientId())).status).toBe(404);
    const answers = [];
    for (let i = 0; i < 30; i++) answers.push(await ask(service, 'ceiling', `10.1.0.${i}`, newClientId()));
    expect(answers.map((a) => a.status)).toEqual([...Array(20).fill(200), ...Array(10).fill(429)]);
    expect(answers[20]!.body.detail).toMatch(
      /this show is admitting as many viewers as it can; try again in \d+ s/,
    );
    expect(Number(answers[20]!.retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await ask(service, 'other', '10.1.0.99', newClientId())).status).toBe(200);
  } finally {
    await service.close();
  }
});

it("a viewer refused a token asks again after the service's Retry-After plus jitter, and gets in", async () => {
  const service = await serviceWithShows(
    { viewerTokenRateLimit: 2, viewerTokenRateWindowSeconds: 3 },
    'show',
  );
  try {
    // The viewer app's client: its tab's id, and the contract's retry.
    const viewer = new ScenecastClient({ baseUrl: service.url, clientId: newClientId() });
    await viewer.viewerToken('show');
    await viewer.viewerToken('show');
    const refusal = await viewer.viewerToken('show').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ApiError);
    const { status, retryAfterSeconds } = refusal as ApiError;
    expect(status).toBe(429);
    expect(retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(retryAfterSeconds).toBeLessThanOrEqual(3);

    const asked: number[] = [];
    const started = performance.now();
    const token = await honouringRetryAfter(
      () => {
        asked.push(performance.now() - started);
        return viewer.viewerToken('show');
      },
      { random: () => 0.5 },
    );
    expect(token.token).toBeTruthy();
    expect(asked.length).toBeGreaterThanOrEqual(2);
    // Each wait was the Retry-After it was given and half as much again (the jitter), never less.
    const [, second] = asked;
    expect(second!).toBeGreaterThanOrEqual(1.5 * 1000 - 50);
    // A refusal without Retry-After (an unknown show) is not retried.
    const missing = honouringRetryAfter(() => viewer.viewerToken('nope'));
    await expect(missing).rejects.toMatchObject({ status: 404 });
  } finally {
    await service.close();
  }
});
