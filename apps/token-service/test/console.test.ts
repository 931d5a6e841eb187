// The console's door into the API: sign-in sessions (cookie + CSRF token), publish links, and the edits the
// console makes — on the real service, on SQLite and PostgreSQL, as a browser would send them.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApiError, csrfHeader, type ScenecastClient, sessionCookie } from '@scenecast/contract';
import { skipWhen } from '@scenecast/testkit';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, Store } from '../src/index.js';
import { adminToken, apiClient, backends, demoShow, sqlite, startTestService } from './helpers.js';

const consoleUrl = 'http://console.test:5174';

interface Browser {
  /** The session cookie, as the browser would send it back. */
  cookie: string;
  csrf: string;
  /** A request as the console's page makes it: the cookie, and the CSRF token unless told otherwise. */
  send(method: string, path: string, body?: unknown, csrf?: string | null): Promise<Response>;
}

/** An answer's JSON body, of any shape, which the test then examines. */
// biome-ignore lint/suspicious/noExplicitAny: see above
const json = (response: Response): Promise<any> => response.json();

async function signIn(base: string, key: string, headers: Record<string, string> = {}) {
  return fetch(`${base}/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ key }),
  });
}

async function browserFor(base: string, key: string): Promise<Browser> {
  const response = await signIn(base, key);
  expect(response.status).toBe(201);
  const cookie = /^([^;]+)/.exec(response.headers.get('set-cookie') ?? '')![1]!;
  const { csrfToken } = (await json(response)) as { csrfToken: string };
  const browser: Browser = {
    cookie,
    csrf: csrfToken,
    send: (method, path, body, csrf) =>
      fetch(base + path, {
        method,
        headers: {
          cookie: browser.cookie,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(csrf === null ? {} : { [csrfHeader]: csrf ?? browser.csrf }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
  };
  return browser;
}

for (const backend of backends) {
  describe(`console access on ${backend.name}`, skipWhen(backend.skip), () => {
    let service: Awaited<ReturnType<typeof startTestService>>;
    let keyA: string;
    let keyB: string;
    let brandA: ScenecastClient;
    let a: Browser;
    let b: Browser;

    beforeAll(async () => {
      // No engine here (port 1 refuses): revoking says the camera could not be disconnected.
      service = await startTestService(backend, {
        consoleUrl,
        sessionTtlSeconds: 3600,
        livekit: { url: 'ws://127.0.0.1:1', apiKey: 'devkey', apiSecret: 'secret' },
      });
      const operator = apiClient(service, adminToken);
      keyA = (await operator.createBrand({ name: 'Brand A' })).apiKey;
      keyB = (await operator.createBrand({ name: 'Brand B' })).apiKey;
      brandA = apiClient(service, keyA);
      await brandA.createShow(demoShow);
      a = await browserFor(service.url, keyA);
      b = await browserFor(service.url, keyB);
    });
    afterAll(async () => {
      await service?.close();
    });

    it('signs in with a brand key into an httpOnly, SameSite=Strict cookie (Secure over https)', async () => {
      const response = await signIn(service.url, keyA);
      const cookie = response.headers.get('set-cookie')!;
      expect(cookie).toMatch(new RegExp(`^${sessionCookie}=[\\w-]{40,};`));
      expect(cookie).toMatch(/; HttpOnly/i);
      expect(cookie).toMatch(/; SameSite=Strict/i);
      expect(cookie).toMatch(/; Path=\//i);
      expect(cookie).not.toMatch(/; Secure/i);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const body = await json(response);
      expect(body.brand.name).toBe('Brand A');
      expect(body).not.toHaveProperty('key');
      // Behind a TLS proxy on loopback (TRUST_PROXY's default), the cookie is Secure.
      const overTls = await signIn(service.url, keyA, { 'x-forwarded-proto': 'https' });
      expect(overTls.headers.get('set-cookie')).toMatch(/; Secure/i);
    });

    it('refuses a wrong key or none with a clear message, and sets no cookie', async () => {
      const wrong = await signIn(service.url, `${keyA.slice(0, -2)}xx`);
      expect(wrong.status).toBe(401);
      expect((await json(wrong)).detail).toMatch(/brand key is not valid/);
      expect(wrong.headers.get('set-cookie')).toBeNull();
      const empty = await signIn(service.url, '  ');
      expect(empty.status).toBe(400);
      expect((await json(empty)).issues[0]).toMatchObject({ path: 'key', message: 'enter your brand key' });
    });

    it("reads with the cookie alone; every write needs the session's CSRF token", async () => {
      const list = await a.send('GET', '/v1/shows', undefined, null);
      expect(list.status).toBe(200);
      expect((await json(list)).shows.map((s: { id: string }) => s.id)).toEqual(['demo']);

      for (const csrf of [null, 'forged-token', b.csrf]) {
        const refused = await a.send('PATCH', '/v1/shows/demo', { title: 'Hijacked' }, csrf);
        expect(refused.status).toBe(403);
        expect((await json(refused)).detail).toMatch(/CSRF token/);
      }
      const deleteRefused = await a.send('DELETE', '/v1/shows/demo', undefined, null);
      expect(deleteRefused.status).toBe(403);
      expect((await brandA.listShows()).shows[0]!.title).toBe(demoShow.title);

      const ok = await a.send('PATCH', '/v1/shows/demo', { title: 'Renamed in the console' });
      expect(ok.status).toBe(200);
      expect((await brandA.listShows()).shows[0]!.title).toBe('Renamed in the console');
    });

    it("keeps a brand's session to its own shows, scenes, feeds and trace", async () => {
      const feed = await brandA.addFeed('demo', { sceneId: 'farm', label: 'Pen 3', sourceKind: 'browser' });
      const trace = await brandA.addTrace('demo', { stage: 'farm', batch: 'B-1' });
      const before = JSON.stringify((await brandA.listShows()).shows);

      expect((await json(await b.send('GET', '/v1/shows'))).shows).toEqual([]);
      const attempts: Array<[string, string, unknown?]> = [
        ['PATCH', '/v1/shows/demo', { title: 'Mine now' }],
        ['DELETE', '/v1/shows/demo'],
        ['POST', '/v1/shows/demo/scenes', { kind: 'custom', label: 'Intruder' }],
        ['PATCH', '/v1/shows/demo/scenes/farm', { label: 'Mine' }],
        ['DELETE', '/v1/shows/demo/scenes/farm'],
        ['POST', '/v1/shows/demo/trace', { stage: 'farm' }],
        ['PUT', `/v1/shows/demo/trace/${trace.id}`, { stage: 'fake' }],
        ['DELETE', `/v1/shows/demo/trace/${trace.id}`],
        ['POST', '/v1/shows/demo/feeds', { sceneId: 'farm', label: 'x', sourceKind: 'browser' }],
        ['POST', `/v1/feeds/${feed.id}/token`, {}],
        ['POST', `/v1/feeds/${feed.id}/publish-link`, {}],
        ['DELETE', `/v1/feeds/${feed.id}`],
      ];
      for (const [method, path, body] of attempts) {
        const answer = await b.send(method, path, body);
        expect(answer.status, `${method} ${path}`).toBe(404);
      }
      expect(JSON.stringify((await brandA.listShows()).shows)).toBe(before);
    });

    it('hands a reloaded page a new CSRF token; the old one stops working', async () => {
      const page = await browserFor(service.url, keyA);
      const old = page.csrf;
      const session = await page.send('GET', '/v1/session', undefined, null);
      expect(session.status).toBe(200);
      const { csrfToken, brand } = await json(session);
      expect(brand.name).toBe('Brand A');
      expect(csrfToken).not.toBe(old);
      expect((await page.send('PATCH', '/v1/shows/demo', { product: 'x' }, old)).status).toBe(403);
      expect((await page.send('PATCH', '/v1/shows/demo', { product: 'Ham' }, csrfToken)).status).toBe(200);
    });

    it('signs out: the cookie is cleared and no longer works', async () => {
      const page = await browserFor(service.url, keyA);
      expect((await page.send('DELETE', '/v1/session', undefined, null)).status).toBe(403);
      const out = await page.send('DELETE', '/v1/session');
      expect(out.status).toBe(204);
      expect(out.headers.get('set-cookie')).toMatch(
        new RegExp(`^${sessionCookie}=;.*Expires=Thu, 01 Jan 1970`),
      );
      const after = await page.send('GET', '/v1/shows', undefined, null);
      expect(after.status).toBe(401);
      expect((await json(after)).detail).toMatch(/sign in again/);
    });

    it('expires sessions', async () => {
      const short = await startTestService(backend, { sessionTtlSeconds: 1 });
      try {
        const key = (await apiClient(short, adminToken).createBrand({ name: 'Brief' })).apiKey;
        const page = await browserFor(short.url, key);
        expect((await page.send('GET', '/v1/shows')).status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 1300));
        expect((await page.send('GET', '/v1/shows')).status).toBe(401);
        // Keys keep working for scripts.
        expect((await apiClient(short, key).listShows()).shows).toEqual([]);
      } finally {
        await short.close();
      }
    });

    it('issues a publish link for one feed, its code stored only as a hash, exchanged for that feed', async () => {
      const feed = await brandA.addFeed('demo', {
        sceneId: 'studio',
        label: 'Host phone',
        sourceKind: 'browser',
      });
      const link = await brandA.publishLink(feed.id);
      expect(link.url).toMatch(new RegExp(`^${consoleUrl}/publish#[\\w-]{40,}$`));
      const code = link.url.split('#')[1]!;
      expect(Date.parse(link.expiresAt) - Date.now()).toBeGreaterThan(25 * 60_000);

      const db = await openDatabase(service.databaseUrl);
      try {
        const rows = await db.selectFrom('publish_codes').selectAll().execute();
        expect(rows.length).toBeGreaterThan(0);
        expect(JSON.stringify(rows)).not.toContain(code);
      } finally {
        await db.destroy();
      }

      const anyone = apiClient(service);
      const grant = await anyone.publishToken(code);
      expect(grant.feed).toMatchObject({
        id: feed.id,
        label: 'Host phone',
        sceneId: 'studio',
        sceneKind: 'studio',
        showId: 'demo',
      });
      expect(grant.identity).toBe(feed.identity);
      const claims = decodeJwt(grant.token) as { sub: string; video: Record<string, unknown> };
      expect(claims.sub).toBe(feed.identity);
      expect(claims.video).toMatchObject({ room: 'demo', canPublish: true, canSubscribe: false });

      // Revoked: every link of the feed stops working. Its camera is disconnected through the engine's
      // RoomService (tests/e2e/test/console.test.ts); with no engine to reach, the links go all the same
      // and the answer says what could not be done.
      const again = await brandA.publishLink(feed.id);
      const revoked = await brandA.revokePublishing(feed.id).catch((e: ApiError) => e);
      expect(revoked).toMatchObject({ status: 502, detail: expect.stringMatching(/disconnect the camera/) });
      expect((await b.send('POST', `/v1/feeds/${feed.id}/revoke`)).status).toBe(404);
      await expect(anyone.publishToken(again.url.split('#')[1]!)).rejects.toMatchObject({ status: 404 });
      await expect(anyone.publishToken(code)).rejects.toMatchObject({ status: 404 });
      const fresh = await brandA.publishLink(feed.id);
      const freshGrant = await anyone.publishToken(fresh.url.split('#')[1]!);
      // Its token is short-lived: at most 10 minutes.
      const { exp, nbf } = decodeJwt(freshGrant.token) as { exp: number; nbf: number };
      expect(exp - nbf).toBeGreaterThan(500);
      expect(exp - nbf).toBeLessThanOrEqual(600);

      // A removed feed's links stop working.
      const code2 = fresh.url.split('#')[1]!;
      await brandA.deleteFeed(feed.id);
      await expect(anyone.publishToken(code2)).rejects.toMatchObject({ status: 404 });
    });

    it('answers an expired, unknown or malformed publish code clearly', async () => {
      const feed = await brandA.addFeed('demo', { sceneId: 'farm', label: 'Gate', sourceKind: 'browser' });
      const link = await brandA.publishLink(feed.id, { expiresInSeconds: 1 });
      await new Promise((resolve) => setTimeout(resolve, 1300));
      const anyone = apiClient(service);
      const expired = await anyone.publishToken(link.url.split('#')[1]!).catch((e: ApiError) => e);
      expect(expired).toBeInstanceOf(ApiError);
      expect(expired).toMatchObject({ status: 410, detail: expect.stringMatching(/expired/) });
      await expect(anyone.publishToken('not-a-code-at-all')).rejects.toMatchObject({ status: 404 });
      await expect(anyone.publishToken('')).rejects.toMatchObject({ status: 400 });
      await expect(brandA.publishLink(feed.id, { expiresInSeconds: 0 })).rejects.toMatchObject({
        status: 400,
      });
    });

    it("gives the console a hidden, subscribe-only monitor token for the brand's own show", async () => {
      const issued = await brandA.monitorToken('demo');
      expect(issued.identity).toMatch(/^monitor-[0-9a-f]{12}$/);
      const claims = decodeJwt(issued.token) as { video: Record<string, unknown>; attributes: object };
      expect(claims.video).toMatchObject({
        room: 'demo',
        hidden: true,
        canSubscribe: true,
        canPublish: false,
        canPublishData: false,
      });
      expect(claims.attributes).toEqual({ 'scenecast.role': 'monitor' });
      expect((await brandA.monitorToken('demo')).identity).not.toBe(issued.identity);
      expect((await b.send('POST', '/v1/shows/demo/monitor-token')).status).toBe(404);
    });

    it('renames, reorders and removes scenes; replaces and removes trace records', async () => {
      const scene = await brandA.addScene('demo', { kind: 'custom', label: 'Packing' });
      expect((await brandA.updateScene('demo', scene.id, { label: 'Packing line', order: 0 })).label).toBe(
        'Packing line',
      );
      await expect(brandA.updateScene('demo', scene.id, { label: ' ' })).rejects.toMatchObject({
        status: 400,
      });
      await brandA.deleteScene('demo', scene.id);
      expect((await brandA.listShows()).shows[0]!.scenes.map((s) => s.id)).not.toContain(scene.id);

      const record = await brandA.addTrace('demo', { stage: 'factory', batch: 'B-2' });
      const replaced = await brandA.updateTrace('demo', record.id, {
        stage: 'factory',
        batch: 'B-3',
        evidence: { name: 'Audit', url: 'https://example.org/a' },
      });
      expect(replaced).toMatchObject({ id: record.id, batch: 'B-3', evidence: { name: 'Audit' } });
      const bad = await brandA
        .updateTrace('demo', record.id, { stage: 'factory', evidence: { url: 'not a link' } })
        .catch((e: ApiError) => e);
      expect(bad).toMatchObject({ status: 400 });
      expect((bad as ApiError).issues.map((i) => i.path)).toEqual(['evidence.url']);
      await brandA.deleteTrace('demo', record.id);
      expect((await brandA.listShows()).shows[0]!.trace.map((t) => t.id)).not.toContain(record.id);
    });
  });
}

describe('token-service brand create', skipWhen(sqlite.skip), () => {
  it('creates a brand and prints its key once; a missing name is refused', async () => {
    const run = promisify(execFile);
    const main = join(import.meta.dirname, '..', 'dist', 'main.js');
    const env = {
      ...process.env,
      DATABASE_URL: `file:${join(mkdtempSync(join(tmpdir(), 'brand-')), 'b.db')}`,
    };
    const { stdout } = await run(process.execPath, [main, 'brand', 'create', 'Acme Farms'], { env });
    const key = /\b(sck_br_[a-z0-9]+\.[\w-]+)/.exec(stdout)?.[1];
    expect(key).toBeDefined();
    const db = await openDatabase(env.DATABASE_URL);
    try {
      expect((await new Store(db).authenticate(key!))?.name).toBe('Acme Farms');
    } finally {
      await db.destroy();
    }
    const refused = await run(process.execPath, [main, 'brand', 'create'], { env }).catch((e) => e);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/usage: token-service \[brand create "Brand name"\]/);
  });
});
