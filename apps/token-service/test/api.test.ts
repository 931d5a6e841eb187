import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { AccessToken } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningTokenService } from '../src/index.js';
import { adminToken, backends, type Client, client, demoShow, startTestService } from './helpers.js';

const livekit = { url: 'ws://127.0.0.1:7880', apiKey: 'devkey', apiSecret: 'secret' };

/** What LiveKit sends: the JSON event and a JWT signed with the API secret carrying the body's SHA-256. */
async function webhook(event: unknown, secret = livekit.apiSecret) {
  const body = JSON.stringify(event);
  const token = new AccessToken(livekit.apiKey, secret);
  token.sha256 = createHash('sha256').update(body).digest('base64');
  return { body, authorization: await token.toJwt() };
}

const problem = (r: { status: number; body: any; headers: Headers }, status: number, detail?: RegExp) => {
  expect(r.status).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
  expect(r.body.status).toBe(status);
  if (detail) expect(r.body.detail).toMatch(detail);
};

// The whole API, once per storage engine: the same behaviour is the contract on SQLite and PostgreSQL.
for (const backend of backends) {
  describe.skipIf(backend.skip)(`API on ${backend.name}`, () => {
    let service: RunningTokenService;
    let api: Client;
    let keyA: string;
    let keyB: string;

    beforeAll(async () => {
      service = await startTestService(backend, { livekit });
      api = client(service.url);
      keyA = (await api.call('POST', '/v1/brands', { name: 'Brand A' }, adminToken)).body.apiKey;
      keyB = (await api.call('POST', '/v1/brands', { name: 'Brand B' }, adminToken)).body.apiKey;
    });

    afterAll(() => service?.close());

    describe('brands', () => {
      it('creates a brand with the operator secret and shows its key once', async () => {
        const r = await api.call('POST', '/v1/brands', { name: 'Tea Co' }, adminToken);
        expect(r.status).toBe(201);
        expect(r.body.apiKey).toMatch(/^sck_br_/);
        const rows = await service.store.db
          .selectFrom('brands')
          .selectAll()
          .where('id', '=', r.body.id)
          .execute();
        expect(JSON.stringify(rows)).not.toContain(r.body.apiKey.split('.')[1]);
      });

      it('refuses a missing or wrong operator secret, and unknown fields', async () => {
        problem(await api.call('POST', '/v1/brands', { name: 'X' }), 401);
        problem(await api.call('POST', '/v1/brands', { name: 'X' }, 'nope-nope-nope-nope'), 401);
        problem(await api.call('POST', '/v1/brands', { name: 'X', admin: true }, adminToken), 400, /admin/);
      });
    });

    describe('shows', () => {
      it('creates a show with its scenes; the owner lists it, the public sees it without secrets', async () => {
        const created = await api.call('POST', '/v1/shows', demoShow, keyA);
        expect(created.status).toBe(201);
        expect(created.body.scenes.map((s: { id: string }) => s.id)).toEqual(['studio', 'factory', 'farm']);
        const mine = await api.call('GET', '/v1/shows', undefined, keyA);
        expect(mine.body.shows.map((s: { id: string }) => s.id)).toContain('demo');
        const theirs = await api.call('GET', '/v1/shows', undefined, keyB);
        expect(theirs.body.shows.map((s: { id: string }) => s.id)).not.toContain('demo');
        const pub = await api.call('GET', '/v1/shows/demo');
        expect(pub.status).toBe(200);
        expect(pub.body.brandId).toBeUndefined();
        expect(pub.body.scenes[0]).toMatchObject({ id: 'studio', kind: 'studio', live: false });
      });

      it('rejects duplicates, bad JSON, unknown fields, oversized bodies and wrong content types', async () => {
        problem(await api.call('POST', '/v1/shows', demoShow, keyA), 409, /taken/);
        problem(await api.call('POST', '/v1/shows', '{"title": ', keyA), 400, /JSON/);
        problem(await api.call('POST', '/v1/shows', { ...demoShow, id: 'x2', price: 3 }, keyA), 400, /price/);
        problem(
          await api.call('POST', '/v1/shows', { ...demoShow, id: 'x3', scenes: [] }, keyA),
          400,
          /scenes/,
        );
        const huge = { ...demoShow, id: 'x4', title: 'a'.repeat(100_000) };
        problem(await api.call('POST', '/v1/shows', huge, keyA), 413);
        const r = await fetch(`${service.url}/v1/shows`, {
          method: 'POST',
          headers: { authorization: `Bearer ${keyA}`, 'content-type': 'text/plain' },
          body: 'hello',
        });
        expect(r.status).toBe(415);
      });

      it('never lets a brand see or change another brand’s show', async () => {
        problem(await api.call('PATCH', '/v1/shows/demo', { title: 'pwned' }, keyB), 404);
        problem(await api.call('DELETE', '/v1/shows/demo', undefined, keyB), 404);
        problem(await api.call('POST', '/v1/shows/demo/scenes', { kind: 'custom', label: 'X' }, keyB), 404);
        problem(
          await api.call(
            'POST',
            '/v1/shows/demo/feeds',
            { sceneId: 'farm', label: 'x', sourceKind: 'browser' },
            keyB,
          ),
          404,
        );
        problem(await api.call('GET', '/v1/shows', undefined, 'sck_br_fake.abcdefghijklmnop'), 401);
        problem(await api.call('GET', '/v1/shows'), 401);
        expect((await api.call('GET', '/v1/shows/demo')).body.title).toBe(demoShow.title);
      });

      it('updates and deletes its own show', async () => {
        await api.call('POST', '/v1/shows', { ...demoShow, id: 'temp' }, keyA);
        const patched = await api.call('PATCH', '/v1/shows/temp', { status: 'live' }, keyA);
        expect(patched.body.status).toBe('live');
        problem(await api.call('PATCH', '/v1/shows/temp', {}, keyA), 400, /nothing to update/);
        expect((await api.call('DELETE', '/v1/shows/temp', undefined, keyA)).status).toBe(204);
        problem(await api.call('GET', '/v1/shows/temp'), 404);
      });
    });

    describe('scenes, trace and feeds', () => {
      it('adds a scene, a trace record tied to a scene, and a feed', async () => {
        const scene = await api.call(
          'POST',
          '/v1/shows/demo/scenes',
          { id: 'warehouse', kind: 'custom', label: 'Warehouse' },
          keyA,
        );
        expect(scene.status).toBe(201);
        const trace = await api.call(
          'POST',
          '/v1/shows/demo/trace',
          {
            stage: 'farm',
            batch: 'PIG-2026-0412',
            place: 'Dongyang',
            time: '2025-09-01T08:00:00Z',
            evidence: { name: 'Organic certificate', number: 'ORG-88231', url: 'https://example.org/cert' },
            sceneId: 'farm',
          },
          keyA,
        );
        expect(trace.status).toBe(201);
        const feed = await api.call(
          'POST',
          '/v1/shows/demo/feeds',
          { sceneId: 'farm', label: 'Phone at the farm', sourceKind: 'browser' },
          keyA,
        );
        expect(feed.status).toBe(201);
        expect(feed.body.identity).toMatch(/^feed-/);
        const pub = (await api.call('GET', '/v1/shows/demo')).body;
        expect(pub.trace[0]).toMatchObject({ stage: 'farm', batch: 'PIG-2026-0412', sceneId: 'farm' });
        expect(pub.scenes.find((s: { id: string }) => s.id === 'farm').feeds[0].label).toBe(
          'Phone at the farm',
        );
      });

      it('refuses a trace record or feed for a missing scene', async () => {
        problem(
          await api.call('POST', '/v1/shows/demo/trace', { stage: 'farm', sceneId: 'nowhere' }, keyA),
          404,
          /scene/,
        );
        problem(
          await api.call(
            'POST',
            '/v1/shows/demo/feeds',
            { sceneId: 'nowhere', label: 'x', sourceKind: 'browser' },
            keyA,
          ),
          404,
          /scene/,
        );
        problem(
          await api.call('POST', '/v1/shows/demo/trace', { stage: 'farm', time: 'yesterday' }, keyA),
          400,
          /time/,
        );
      });
    });

    describe('tokens', () => {
      it('issues a feed token that may publish only its camera into its own show, not subscribe', async () => {
        const feed = (
          await api.call(
            'POST',
            '/v1/shows/demo/feeds',
            { sceneId: 'factory', label: 'Line cam', sourceKind: 'synthetic' },
            keyA,
          )
        ).body;
        const r = await api.call('POST', `/v1/feeds/${feed.id}/token`, {}, keyA);
        expect(r.status).toBe(200);
        const claims = decodeJwt(r.body.token) as any;
        expect(claims.sub).toBe(feed.identity);
        expect(claims.video).toMatchObject({
          room: 'demo',
          roomJoin: true,
          canPublish: true,
          canSubscribe: false,
        });
        expect(claims.video.canPublishSources).toEqual(['camera']);
        expect(claims.attributes['scenecast.scene']).toBe('factory');
        expect(claims.exp - claims.nbf).toBeLessThanOrEqual(3600);
        const preview = decodeJwt(
          (await api.call('POST', `/v1/feeds/${feed.id}/token`, { preview: true }, keyA)).body.token,
        ) as any;
        expect(preview.video.canSubscribe).toBe(true);
        problem(await api.call('POST', `/v1/feeds/${feed.id}/token`, {}, keyB), 404);
      });

      it('lets the studio feed publish its microphone too', async () => {
        const feed = (
          await api.call(
            'POST',
            '/v1/shows/demo/feeds',
            { sceneId: 'studio', label: 'Host cam', sourceKind: 'browser' },
            keyA,
          )
        ).body;
        const claims = decodeJwt(
          (await api.call('POST', `/v1/feeds/${feed.id}/token`, {}, keyA)).body.token,
        ) as any;
        expect(claims.video.canPublishSources).toEqual(['camera', 'microphone']);
      });

      it('issues anonymous watch-and-chat viewer tokens, short-lived', async () => {
        const a = await api.call('POST', '/v1/shows/demo/viewer-token', {});
        const b = await api.call('POST', '/v1/shows/demo/viewer-token', { name: 'Mei' });
        expect(a.body.identity).not.toBe(b.body.identity);
        const claims = decodeJwt(b.body.token) as any;
        expect(claims.name).toBe('Mei');
        expect(claims.sub).not.toContain('Mei');
        expect(claims.video).toMatchObject({
          room: 'demo',
          roomJoin: true,
          canSubscribe: true,
          canPublish: false,
          canPublishData: true,
        });
        expect(claims.video.roomAdmin).toBeUndefined();
        expect(claims.exp - claims.nbf).toBeLessThanOrEqual(15 * 60);
        problem(await api.call('POST', '/v1/shows/nope/viewer-token', {}), 404);
        problem(await api.call('POST', '/v1/shows/demo/viewer-token', { name: 'x', canPublish: true }), 400);
      });

      it('rate-limits viewer tokens per client', async () => {
        const limited = await startTestService(backend, { viewerTokenRateLimit: 3 });
        try {
          const c = client(limited.url);
          await c
            .call('POST', '/v1/brands', { name: 'L' }, adminToken)
            .then(async (r) => c.call('POST', '/v1/shows', { ...demoShow, id: 'limited' }, r.body.apiKey));
          const statuses = [];
          for (let i = 0; i < 5; i++)
            statuses.push((await c.call('POST', '/v1/shows/limited/viewer-token', {})).status);
          expect(statuses).toEqual([200, 200, 200, 429, 429]);
        } finally {
          await limited.close();
        }
      });
    });

    describe('concurrent writes', () => {
      // Two requests may both see an id as free; the database's unique key decides, and the loser must
      // get the same 409 a sequential duplicate gets, not a 500 (PostgreSQL runs them truly in parallel).
      it('answers one 201 and 409s when the same show id is created at once', async () => {
        const results = await Promise.all(
          Array.from({ length: 8 }, () => api.call('POST', '/v1/shows', { ...demoShow, id: 'race' }, keyA)),
        );
        const statuses = results.map((r) => r.status).sort();
        expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
        for (const r of results.filter((r) => r.status === 409)) problem(r, 409, /taken/);
      });

      it('answers one 201 and 409s when the same scene id is added at once', async () => {
        const scene = { id: 'race-scene', kind: 'custom', label: 'Race' };
        const results = await Promise.all(
          Array.from({ length: 8 }, () => api.call('POST', '/v1/shows/race/scenes', scene, keyA)),
        );
        const statuses = results.map((r) => r.status).sort();
        expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
        for (const r of results.filter((r) => r.status === 409)) problem(r, 409, /already exists/);
      });
    });

    describe('LiveKit webhook', () => {
      const post = (signed: { body: string; authorization?: string }) =>
        fetch(`${service.url}/v1/livekit/webhook`, {
          method: 'POST',
          headers: {
            'content-type': 'application/webhook+json',
            ...(signed.authorization ? { authorization: signed.authorization } : {}),
          },
          body: signed.body,
        });
      const farmFeeds = async () =>
        (await api.call('GET', '/v1/shows/demo')).body.scenes.find((s: { id: string }) => s.id === 'farm')
          .feeds as { id: string; live: boolean; quality: unknown }[];

      it('turns a feed live with its quality, and offline when it leaves or the room ends', async () => {
        const feed = (
          await api.call(
            'POST',
            '/v1/shows/demo/feeds',
            { sceneId: 'farm', label: 'Webhook cam', sourceKind: 'whip' },
            keyA,
          )
        ).body;
        const published = {
          event: 'track_published',
          room: { name: 'demo' },
          participant: { identity: feed.identity },
          track: { type: 'VIDEO', width: 1920, height: 1080, layers: [{}, {}, {}], mimeType: 'video/VP8' },
        };
        expect((await post(await webhook(published))).status).toBe(200);
        expect((await farmFeeds()).find((f) => f.id === feed.id)).toMatchObject({
          live: true,
          quality: { width: 1920, height: 1080, layers: 3, mimeType: 'video/VP8' },
        });

        const left = {
          event: 'participant_left',
          room: { name: 'demo' },
          participant: { identity: feed.identity },
        };
        expect((await post(await webhook(left))).status).toBe(200);
        expect((await farmFeeds()).find((f) => f.id === feed.id)?.live).toBe(false);

        await post(await webhook(published));
        expect((await farmFeeds()).find((f) => f.id === feed.id)?.live).toBe(true);
        expect((await post(await webhook({ event: 'room_finished', room: { name: 'demo' } }))).status).toBe(
          200,
        );
        expect((await farmFeeds()).every((f) => !f.live)).toBe(true);
      });

      it('rejects unsigned, wrongly signed and tampered calls without changing anything', async () => {
        const feed = (
          await api.call(
            'POST',
            '/v1/shows/demo/feeds',
            { sceneId: 'farm', label: 'Forged cam', sourceKind: 'whip' },
            keyA,
          )
        ).body;
        const event = {
          event: 'track_published',
          participant: { identity: feed.identity },
          track: { type: 'VIDEO', width: 640, height: 360, layers: [], mimeType: 'video/VP8' },
        };
        const signed = await webhook(event);
        const tampered = { ...signed, body: signed.body.replace('640', '641') };
        for (const attempt of [{ body: signed.body }, await webhook(event, 'not-the-secret'), tampered]) {
          const r = await post(attempt);
          expect(r.status).toBe(401);
          expect(r.headers.get('content-type')).toMatch(/problem\+json/);
        }
        expect((await farmFeeds()).find((f) => f.id === feed.id)?.live).toBe(false);
      });
    });

    describe('operations', () => {
      it('serves health, readiness, metrics and the OpenAPI contract', async () => {
        expect((await api.call('GET', '/healthz')).status).toBe(200);
        expect((await api.call('GET', '/readyz')).body.ok).toBe(true);
        expect((await api.call('GET', '/metrics')).body).toContain('token_service_');
        const spec = (await api.call('GET', '/v1/openapi.json')).body;
        expect(Object.keys(spec.paths)).toContain('/v1/shows/{id}/viewer-token');
        expect(
          spec.paths['/v1/shows'].post.requestBody.content['application/json'].schema.additionalProperties,
        ).toBe(false);
      });

      it('answers unknown routes with a problem', async () => {
        problem(await api.call('GET', '/v1/nothing'), 404, /no route/);
      });

      it('sends security headers and only allows listed origins', async () => {
        const r = await fetch(`${service.url}/v1/shows/demo`, { headers: { origin: 'http://evil.example' } });
        expect(r.headers.get('x-content-type-options')).toBe('nosniff');
        expect(r.headers.get('access-control-allow-origin')).toBeNull();
        const ok = await fetch(`${service.url}/v1/shows/demo`, {
          headers: { origin: 'http://127.0.0.1:5173' },
        });
        expect(ok.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5173');
      });
    });
  });
}
