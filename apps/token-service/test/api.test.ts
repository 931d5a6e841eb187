import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, attributes, type ScenecastClient } from '@scenecast/contract';
import { skipWhen } from '@scenecast/testkit';
import { decodeJwt, type JWTPayload } from 'jose';
import { AccessToken, TokenVerifier } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningTokenService } from '../src/index.js';
import {
  adminToken,
  apiClient,
  backends,
  demoShow,
  expectProblem,
  raw,
  startTestService,
} from './helpers.js';

const livekit = { url: 'ws://127.0.0.1:7880', apiKey: 'devkey', apiSecret: 'secret' };

/** What LiveKit sends: the JSON event and a JWT signed with the API secret carrying the body's SHA-256. */
async function webhook(event: unknown, secret = livekit.apiSecret) {
  const body = JSON.stringify(event);
  const token = new AccessToken(livekit.apiKey, secret);
  token.sha256 = createHash('sha256').update(body).digest('base64');
  return { body, authorization: await token.toJwt() };
}

/** The claims of a LiveKit token we issued. */
const claimsOf = (token: string) =>
  decodeJwt(token) as JWTPayload & {
    name?: string;
    attributes: Record<string, string>;
    video: Record<string, unknown> & { canPublishSources?: string[] };
  };

// The whole API, once per storage engine: the same behaviour is the contract on SQLite and PostgreSQL.
for (const backend of backends) {
  describe(`API on ${backend.name}`, skipWhen(backend.skip), () => {
    let service: RunningTokenService;
    /** The wire, for what a typed client cannot or does not show. */
    let call: ReturnType<typeof raw>;
    /** The contract's client: everything it reads is checked against the contract's schemas. */
    let anyone: ScenecastClient;
    let brandA: ScenecastClient;
    let brandB: ScenecastClient;
    let keyA: string;
    let keyB: string;

    beforeAll(async () => {
      service = await startTestService(backend, { livekit });
      call = raw(service.url);
      anyone = apiClient(service);
      const operator = apiClient(service, adminToken);
      keyA = (await operator.createBrand({ name: 'Brand A' })).apiKey;
      keyB = (await operator.createBrand({ name: 'Brand B' })).apiKey;
      brandA = anyone.withKey(keyA);
      brandB = anyone.withKey(keyB);
    });

    afterAll(() => service?.close());

    describe('brands', () => {
      it('creates a brand with the operator secret and shows its key once', async () => {
        const r = await call('POST', '/v1/brands', { name: 'Tea Co' }, adminToken);
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
        expectProblem(await call('POST', '/v1/brands', { name: 'X' }), 401);
        expectProblem(await call('POST', '/v1/brands', { name: 'X' }, 'nope-nope-nope-nope'), 401);
        expectProblem(await call('POST', '/v1/brands', { name: 'X', admin: true }, adminToken), 400, /admin/);
      });
    });

    describe('shows', () => {
      it('creates a show with its scenes; the owner lists it, the public sees it without secrets', async () => {
        const created = await brandA.createShow(demoShow);
        expect(created.scenes.map((s) => s.id)).toEqual(['studio', 'factory', 'farm']);
        expect((await brandA.listShows()).shows.map((s) => s.id)).toContain('demo');
        expect((await brandB.listShows()).shows.map((s) => s.id)).not.toContain('demo');
        expect((await anyone.getShow('demo')).scenes[0]).toMatchObject({
          id: 'studio',
          kind: 'studio',
          live: false,
        });
        // On the wire: no brand id, no feed identities.
        const pub = await call('GET', '/v1/shows/demo');
        expect(pub.status).toBe(200);
        expect(pub.body.brandId).toBeUndefined();
        expect(JSON.stringify(pub.body)).not.toContain('identity');
      });

      it('rejects duplicates, bad JSON, unknown fields, oversized bodies and wrong content types', async () => {
        expectProblem(await call('POST', '/v1/shows', demoShow, keyA), 409, /taken/);
        expectProblem(await call('POST', '/v1/shows', '{"title": ', keyA), 400, /JSON/);
        expectProblem(
          await call('POST', '/v1/shows', { ...demoShow, id: 'x2', price: 3 }, keyA),
          400,
          /price/,
        );
        expectProblem(
          await call('POST', '/v1/shows', { ...demoShow, id: 'x3', scenes: [] }, keyA),
          400,
          /scenes/,
        );
        const huge = { ...demoShow, id: 'x4', title: 'a'.repeat(100_000) };
        expectProblem(await call('POST', '/v1/shows', huge, keyA), 413);
        const r = await fetch(`${service.url}/v1/shows`, {
          method: 'POST',
          headers: { authorization: `Bearer ${keyA}`, 'content-type': 'text/plain' },
          body: 'hello',
        });
        expect(r.status).toBe(415);
      });

      it('updates and deletes its own show', async () => {
        await brandA.createShow({ ...demoShow, id: 'temp' });
        expect((await brandA.updateShow('temp', { status: 'live' })).status).toBe('live');
        expectProblem(await call('PATCH', '/v1/shows/temp', {}, keyA), 400, /nothing to update/);
        expect(await brandA.deleteShow('temp')).toBeUndefined();
        expectProblem(await call('GET', '/v1/shows/temp'), 404);
      });
    });

    // Every brand-scoped route, called by the owner, another brand, no key and bad keys, on a show (and
    // feed) of its own: the status each gets, and every table unchanged after each refusal.
    describe('brand isolation', () => {
      type Request = [method: string, path: string, body?: unknown];
      const routes: {
        route: string;
        request: (show: string, feed: string) => Request;
        own: number;
        other: number;
      }[] = [
        { route: 'GET /v1/shows', request: () => ['GET', '/v1/shows'], own: 200, other: 200 },
        {
          route: 'POST /v1/shows (a taken id)',
          request: (show) => ['POST', '/v1/shows', { ...demoShow, id: show }],
          own: 409,
          other: 409,
        },
        {
          route: 'PATCH /v1/shows/:id',
          request: (show) => ['PATCH', `/v1/shows/${show}`, { title: 'changed' }],
          own: 200,
          other: 404,
        },
        {
          route: 'DELETE /v1/shows/:id',
          request: (show) => ['DELETE', `/v1/shows/${show}`],
          own: 204,
          other: 404,
        },
        {
          route: 'POST /v1/shows/:id/scenes',
          request: (show) => [
            'POST',
            `/v1/shows/${show}/scenes`,
            { id: 'extra', kind: 'custom', label: 'X' },
          ],
          own: 201,
          other: 404,
        },
        {
          route: 'POST /v1/shows/:id/trace',
          request: (show) => [
            'POST',
            `/v1/shows/${show}/trace`,
            { stage: 'farm', batch: 'B-1', sceneId: 'farm' },
          ],
          own: 201,
          other: 404,
        },
        {
          route: 'POST /v1/shows/:id/feeds',
          request: (show) => [
            'POST',
            `/v1/shows/${show}/feeds`,
            { sceneId: 'farm', label: 'x', sourceKind: 'browser' },
          ],
          own: 201,
          other: 404,
        },
        {
          route: 'POST /v1/feeds/:id/token',
          request: (_show, feed) => ['POST', `/v1/feeds/${feed}/token`, {}],
          own: 200,
          other: 404,
        },
        {
          route: 'PATCH /v1/shows/:id/scenes/:sceneId',
          request: (show) => ['PATCH', `/v1/shows/${show}/scenes/farm`, { label: 'Renamed' }],
          own: 200,
          other: 404,
        },
        {
          route: 'DELETE /v1/shows/:id/scenes/:sceneId',
          request: (show) => ['DELETE', `/v1/shows/${show}/scenes/farm`],
          own: 204,
          other: 404,
        },
        {
          route: 'DELETE /v1/feeds/:id',
          request: (_show, feed) => ['DELETE', `/v1/feeds/${feed}`],
          own: 204,
          other: 404,
        },
        {
          route: 'POST /v1/feeds/:id/publish-link',
          request: (_show, feed) => ['POST', `/v1/feeds/${feed}/publish-link`, {}],
          own: 201,
          other: 404,
        },
        {
          route: 'POST /v1/shows/:id/monitor-token',
          request: (show) => ['POST', `/v1/shows/${show}/monitor-token`],
          own: 200,
          other: 404,
        },
      ];

      /** Every row of every table, in a stable order. */
      const snapshot = async () => {
        const db = service.store.db;
        const tables = await Promise.all(
          (['brands', 'shows', 'scenes', 'feeds', 'trace_records', 'publish_codes'] as const).map((table) =>
            db.selectFrom(table).selectAll().execute(),
          ),
        );
        return tables.map((rows) => rows.map((row) => JSON.stringify(row)).sort());
      };

      let shows = 0;
      it.each(routes)(
        '$route: owner $own, other brand $other, no key or a bad key 401; refusals change nothing',
        async ({ request, own, other }) => {
          const show = `iso-${++shows}`;
          expect((await call('POST', '/v1/shows', { ...demoShow, id: show }, keyA)).status).toBe(201);
          const feed = (
            await call(
              'POST',
              `/v1/shows/${show}/feeds`,
              { sceneId: 'farm', label: 'cam', sourceKind: 'browser' },
              keyA,
            )
          ).body.id as string;
          const [method, path, body] = request(show, feed);
          const callers: [who: string, key: string | undefined, status: number][] = [
            ['another brand', keyB, other],
            ['no key', undefined, 401],
            [
              "the owner's key id with a wrong secret",
              keyA.replace(/\.[^.]+$/, '.wrong-secret-0123456789'),
              401,
            ],
            ['a made-up key', 'sck_br_fake.abcdefghijklmnop', 401],
          ];
          for (const [who, key, status] of callers) {
            const before = await snapshot();
            const r = await call(method, path, body, key);
            expect({ who, status: r.status }).toEqual({ who, status });
            if (status >= 400) expectProblem(r, status);
            else expect(JSON.stringify(r.body)).not.toContain(show);
            expect(await snapshot(), `tables after ${who}: ${method} ${path}`).toEqual(before);
          }
          expect((await call(method, path, body, keyA)).status).toBe(own);
        },
      );
    });

    describe('scenes, trace and feeds', () => {
      it('adds a scene, a trace record tied to a scene, and a feed', async () => {
        const scene = await brandA.addScene('demo', { id: 'warehouse', kind: 'custom', label: 'Warehouse' });
        expect(scene).toMatchObject({ id: 'warehouse', kind: 'custom', order: 3, live: false, feeds: [] });
        const trace = await brandA.addTrace('demo', {
          stage: 'farm',
          batch: 'PIG-2026-0412',
          place: 'Dongyang',
          time: '2025-09-01T08:00:00Z',
          evidence: { name: 'Organic certificate', number: 'ORG-88231', url: 'https://example.org/cert' },
          sceneId: 'farm',
        });
        expect(trace.id).toMatch(/^tr_/);
        const feed = await brandA.addFeed('demo', {
          sceneId: 'farm',
          label: 'Phone at the farm',
          sourceKind: 'browser',
        });
        expect(feed.identity).toMatch(/^feed-/);
        const pub = await anyone.getShow('demo');
        expect(pub.trace[0]).toMatchObject({ stage: 'farm', batch: 'PIG-2026-0412', sceneId: 'farm' });
        expect(pub.scenes.find((s) => s.id === 'farm')!.feeds[0]!.label).toBe('Phone at the farm');
      });

      it('refuses a trace record or feed for a missing scene', async () => {
        expectProblem(
          await call('POST', '/v1/shows/demo/trace', { stage: 'farm', sceneId: 'nowhere' }, keyA),
          404,
          /scene/,
        );
        expectProblem(
          await call(
            'POST',
            '/v1/shows/demo/feeds',
            { sceneId: 'nowhere', label: 'x', sourceKind: 'browser' },
            keyA,
          ),
          404,
          /scene/,
        );
        expectProblem(
          await call('POST', '/v1/shows/demo/trace', { stage: 'farm', time: 'yesterday' }, keyA),
          400,
          /time/,
        );
      });
    });

    describe('chat policy', () => {
      it("lets a brand set its show's word list and only the operator (the moderator) read it", async () => {
        const operator = apiClient(service, adminToken);
        // A show whose brand set none: no words.
        expect(await operator.chatPolicy('demo')).toEqual({ blockedWords: [], action: 'mask' });
        const policy = { blockedWords: ['scam', '假货'], action: 'drop' as const };
        expect(await brandA.setChatPolicy('demo', policy)).toEqual(policy);
        expect(await operator.chatPolicy('demo')).toEqual(policy);
        // Set again: replaced.
        await brandA.setChatPolicy('demo', { blockedWords: ['fake'], action: 'mask' });
        expect(await operator.chatPolicy('demo')).toEqual({ blockedWords: ['fake'], action: 'mask' });
        // Another brand cannot set it (its show is not theirs), nobody but the operator reads it.
        await expect(brandB.setChatPolicy('demo', policy)).rejects.toMatchObject({ status: 404 });
        expectProblem(await call('GET', '/v1/shows/demo/chat-policy'), 401);
        expectProblem(await call('GET', '/v1/shows/demo/chat-policy', undefined, keyA), 401);
        expectProblem(await call('GET', '/v1/shows/nope/chat-policy', undefined, adminToken), 404);
        // Bad lists change nothing.
        for (const bad of [
          { blockedWords: ['<b>scam</b>'], action: 'mask' },
          { blockedWords: ['sc\u200Bam'], action: 'mask' },
          { blockedWords: ['scam'], action: 'ban' },
          { blockedWords: Array(501).fill('x'), action: 'mask' },
          { blockedWords: ['scam'] },
        ])
          expectProblem(await call('PUT', '/v1/shows/demo/chat-policy', bad, keyA), 400);
        expect(await operator.chatPolicy('demo')).toEqual({ blockedWords: ['fake'], action: 'mask' });
      });
    });

    describe('tokens', () => {
      it('issues a feed token that may publish only its camera and microphone into its own show, not subscribe or chat', async () => {
        const feed = await brandA.addFeed('demo', {
          sceneId: 'factory',
          label: 'Line cam',
          sourceKind: 'synthetic',
        });
        const claims = claimsOf((await brandA.feedToken(feed.id)).token);
        expect(claims.sub).toBe(feed.identity);
        expect(claims.video).toMatchObject({
          room: 'demo',
          roomJoin: true,
          canPublish: true,
          canSubscribe: false,
          canPublishData: false,
        });
        // Its ambience needs the microphone; a feed never shares a screen.
        expect(claims.video.canPublishSources).toEqual(['camera', 'microphone']);
        expect(claims.video.canPublishSources).not.toContain('screen_share');
        expect(claims.attributes).toEqual({
          [attributes.scene]: 'factory',
          [attributes.feed]: feed.id,
          [attributes.role]: 'camera',
        });
        expect(claims.exp! - claims.nbf!).toBeLessThanOrEqual(3600);
        const preview = claimsOf((await brandA.feedToken(feed.id, { preview: true })).token);
        expect(preview.video.canSubscribe).toBe(true);
        expectProblem(await call('POST', `/v1/feeds/${feed.id}/token`, {}, keyB), 404);
      });

      it('makes the studio feed the host: camera, microphone, and chat', async () => {
        const feed = await brandA.addFeed('demo', {
          sceneId: 'studio',
          label: 'Host cam',
          sourceKind: 'browser',
        });
        const claims = claimsOf((await brandA.feedToken(feed.id)).token);
        expect(claims.video.canPublishSources).toEqual(['camera', 'microphone']);
        expect(claims.video.canPublishData).toBe(true);
        expect(claims.attributes[attributes.role]).toBe('host');
        expect(claims.attributes[attributes.scene]).toBe('studio');
      });

      it('issues anonymous watch-and-chat viewer tokens, short-lived', async () => {
        const a = await anyone.viewerToken('demo');
        const b = await anyone.viewerToken('demo', { name: 'Mei' });
        expect(a.identity).not.toBe(b.identity);
        const claims = claimsOf(b.token);
        expect(claims.name).toBe('Mei');
        expect(claims.sub).not.toContain('Mei');
        expect(claims.attributes).toEqual({ [attributes.role]: 'viewer' });
        expect(claims.video).toMatchObject({
          room: 'demo',
          roomJoin: true,
          canSubscribe: true,
          canPublish: false,
          canPublishData: true,
        });
        expect(claims.video.roomAdmin).toBeUndefined();
        expect(claims.exp! - claims.nbf!).toBeLessThanOrEqual(15 * 60);
        expect(a.url).toBe(livekit.url);
        // Clients behind a TLS proxy are given its URL; the service keeps its own (npm start --https).
        service.setLivekitUrl(livekit.url, 'wss://192.0.2.2:5174');
        expect((await anyone.viewerToken('demo')).url).toBe('wss://192.0.2.2:5174');
        service.setLivekitUrl(livekit.url);
        expect((await anyone.viewerToken('demo')).url).toBe(livekit.url);
        expectProblem(await call('POST', '/v1/shows/nope/viewer-token', {}), 404);
        expectProblem(
          await call('POST', '/v1/shows/demo/viewer-token', { name: 'x', canPublish: true }),
          400,
        );
      });

      it("reads a viewer's body within its own small limit, as strictly as the other routes", async () => {
        const path = '/v1/shows/demo/viewer-token';
        // No body at all is fine: an anonymous viewer.
        const bare = await fetch(`${service.url}${path}`, { method: 'POST' });
        expect(bare.status).toBe(200);
        expect(((await bare.json()) as { identity: string }).identity).toMatch(/^viewer-[0-9a-f]{12}$/);
        // A display name is all it carries: a kilobyte is refused, declared or streamed without a length.
        expectProblem(await call('POST', path, { name: 'x'.repeat(2000) }), 413);
        const chunk = new TextEncoder().encode(`{"name":"${'y'.repeat(700)}`);
        const streamed = await fetch(`${service.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: new ReadableStream({
            start(controller) {
              controller.enqueue(chunk);
              controller.enqueue(chunk);
              controller.close();
            },
          }),
          duplex: 'half',
        } as RequestInit);
        expect(streamed.status).toBe(413);
        expectProblem(await call('POST', path, '{"name": '), 400, /not valid JSON/);
        expectProblem(await call('POST', path, 'null'), 400, /object/);
        expectProblem(await call('POST', path, '"Mei"'), 400, /object/);
        const text = await fetch(`${service.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: 'Mei',
        });
        expect(text.status).toBe(415);
        // Still serving after all that.
        expect((await call('POST', path, { name: 'Mei' })).status).toBe(200);
      });

      it('signs tokens LiveKit accepts: the SDK verifies them with our secret and rejects them with another', async () => {
        const viewer = await anyone.viewerToken('demo', { name: 'Li' });
        const feed = await brandA.addFeed('demo', {
          sceneId: 'studio',
          label: 'Verify cam',
          sourceKind: 'browser',
        });
        const feedGrant = await brandA.feedToken(feed.id);
        const verifier = new TokenVerifier(livekit.apiKey, livekit.apiSecret);
        const v = await verifier.verify(viewer.token);
        expect(v).toMatchObject({ sub: viewer.identity, iss: livekit.apiKey, name: 'Li' });
        expect(v.exp! - v.nbf!).toBe(15 * 60);
        expect(Math.abs(v.nbf! - Date.now() / 1000)).toBeLessThan(5);
        const f = await verifier.verify(feedGrant.token);
        expect(f).toMatchObject({
          sub: feed.identity,
          video: { canPublishSources: ['camera', 'microphone'] },
        });
        expect(f.exp! - f.nbf!).toBe(60 * 60);
        const stranger = new TokenVerifier(livekit.apiKey, 'another-secret');
        await expect(stranger.verify(viewer.token)).rejects.toThrow(/signature verification failed/);
        await expect(stranger.verify(feedGrant.token)).rejects.toThrow(/signature verification failed/);
      });

      it('rate-limits viewer tokens per client', async () => {
        const limited = await startTestService(backend, { viewerTokenRateLimit: 3 });
        try {
          const { apiKey } = await apiClient(limited, adminToken).createBrand({ name: 'L' });
          await apiClient(limited, apiKey).createShow({ ...demoShow, id: 'limited' });
          const c = raw(limited.url);
          const statuses = [];
          for (let i = 0; i < 5; i++)
            statuses.push((await c('POST', '/v1/shows/limited/viewer-token', {})).status);
          expect(statuses).toEqual([200, 200, 200, 429, 429]);
          const refused = await c('POST', '/v1/shows/limited/viewer-token', {});
          expectProblem(refused, 429, /too many/);
          expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
          expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
          expect(refused.headers.get('ratelimit')).toMatch(
            /^"viewer-token"; r=0; t=\d+, "viewer-token-address"; r=\d+; t=\d+$/,
          );
          expect(refused.headers.get('ratelimit-policy')).toBe(
            '"viewer-token"; q=3; w=60, "viewer-token-address"; q=2000; w=60',
          );

          // Clients behind the (trusted, loopback) proxy are told apart by X-Forwarded-For; IPv6 clients
          // by their /56, so one subscriber cannot rotate through its own addresses.
          const from = async (ip: string) =>
            (
              await fetch(`${limited.url}/v1/shows/limited/viewer-token`, {
                method: 'POST',
                headers: { 'x-forwarded-for': ip },
              })
            ).status;
          expect(await from('203.0.113.7')).toBe(200);
          const sameSubnet = [];
          for (const ip of ['2001:db8:1:1::1', '2001:db8:1:2::1', '2001:db8:1:3::1', '2001:db8:1:4::1'])
            sameSubnet.push(await from(ip));
          expect(sameSubnet).toEqual([200, 200, 200, 429]);
          expect(await from('2001:db8:2::1')).toBe(200);
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
          Array.from({ length: 8 }, () => call('POST', '/v1/shows', { ...demoShow, id: 'race' }, keyA)),
        );
        const statuses = results.map((r) => r.status).sort();
        expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
        for (const r of results.filter((r) => r.status === 409)) expectProblem(r, 409, /taken/);
      });

      it('answers one 201 and 409s when the same scene id is added at once', async () => {
        const scene = { id: 'race-scene', kind: 'custom', label: 'Race' };
        const results = await Promise.all(
          Array.from({ length: 8 }, () => call('POST', '/v1/shows/race/scenes', scene, keyA)),
        );
        const statuses = results.map((r) => r.status).sort();
        expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
        for (const r of results.filter((r) => r.status === 409)) expectProblem(r, 409, /already exists/);
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
      const addFarmFeed = (label: string) =>
        brandA.addFeed('demo', { sceneId: 'farm', label, sourceKind: 'whip' });
      const farmFeeds = async () => (await anyone.getShow('demo')).scenes.find((s) => s.id === 'farm')!.feeds;

      it('turns a feed live with its quality, and offline when it leaves or the room ends', async () => {
        const feed = await addFarmFeed('Webhook cam');
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
        const feed = await addFarmFeed('Forged cam');
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

    describe("the contract's client", () => {
      it('turns a problem answer into an ApiError with status, title, detail and the failed fields', async () => {
        const error = await brandA
          .createShow({ ...demoShow, id: 'Not A Slug', scenes: [] })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ApiError);
        expect(error).toMatchObject({ status: 400, title: 'Bad Request' });
        const { issues, detail } = error as ApiError;
        expect(issues.map((i) => i.path).sort()).toEqual(['id', 'scenes']);
        expect(detail).toMatch(/scenes: Too small/);
        await expect(anyone.getShow('nowhere')).rejects.toMatchObject({
          status: 404,
          title: 'Not Found',
          detail: 'show "nowhere" not found',
          issues: [],
        });
        await expect(anyone.listShows()).rejects.toMatchObject({
          status: 401,
          detail: /missing brand API key/,
        });
      });

      it('refuses an answer that is not what the contract says, and keeps the status of one that is not a problem', async () => {
        // A server that is not the token service: a proxy's error page, and a show without scenes.
        const impostor = createServer((req, res) => {
          if (req.url === '/v1/shows/demo')
            res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"demo"}');
          else res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad Gateway</h1>');
        });
        await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
        try {
          const client = apiClient({ url: `http://127.0.0.1:${(impostor.address() as AddressInfo).port}` });
          await expect(client.getShow('demo')).rejects.toThrow(
            /does not match the contract: title: .*scenes:/s,
          );
          await expect(client.viewerToken('demo')).rejects.toMatchObject({
            status: 502,
            title: 'Bad Gateway',
            detail: 'Bad Gateway',
          });
        } finally {
          impostor.close();
        }
      });
    });

    describe('operations', () => {
      it('serves health, readiness, metrics and the OpenAPI contract', async () => {
        expect((await call('GET', '/healthz')).status).toBe(200);
        expect((await call('GET', '/readyz')).body.ok).toBe(true);
        expect((await call('GET', '/metrics')).body).toContain('token_service_');
        const spec = (await call('GET', '/v1/openapi.json')).body;
        expect(Object.keys(spec.paths)).toContain('/v1/shows/{id}/viewer-token');
        expect(
          spec.paths['/v1/shows'].post.requestBody.content['application/json'].schema.additionalProperties,
        ).toBe(false);
        // Answers are described too: the public show has scenes and no brand.
        const publicShow =
          spec.paths['/v1/shows/{id}'].get.responses['200'].content['application/json'].schema;
        expect(publicShow.required).toContain('scenes');
        expect(publicShow.properties.brandId).toBeUndefined();
        expect(spec.paths['/v1/shows/{id}'].delete.responses['204'].content).toBeUndefined();
        expect(
          spec.paths['/v1/brands'].post.responses.default.content['application/problem+json'].schema.required,
        ).toEqual(['type', 'title', 'status', 'detail']);
      });

      it('answers unknown routes with a problem', async () => {
        expectProblem(await call('GET', '/v1/nothing'), 404, /no route/);
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
