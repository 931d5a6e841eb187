// What a brand (or anyone holding a leaked brand key) may store for viewers to see (#20): links only to
// http(s) pages, plain text without hidden characters or markup, within lengths and sizes. Every refusal is
// a problem+json 4xx naming the field, and changes nothing. Once per storage engine, against the real
// service; and the migration that cleans links stored before these rules.
import { showLimits } from '@scenecast/contract';
import { skipWhen } from '@scenecast/testkit';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationProvider } from '../src/db/migrations.js';
import type { Database } from '../src/db/schema.js';
import { type RunningTokenService, startTokenService } from '../src/index.js';
import {
  adminToken,
  apiClient,
  backends,
  demoShow,
  expectProblem,
  freshDatabase,
  raw,
  startTestService,
} from './helpers.js';

/** Links a brand must not store: other schemes (any spelling), disguises, and what hides in a URL. */
const badLinks: Array<[string, string]> = [
  ['javascript:alert(document.domain)', 'the XSS of the report'],
  ['JaVaScRiPt:alert(1)', 'its scheme in mixed case'],
  ['  javascript:alert(1)', 'behind spaces'],
  ['data:text/html,<script>alert(document.domain)</script>', 'an HTML document in the link'],
  ['vbscript:msgbox(1)', 'another script scheme'],
  ['file:///etc/passwd', 'a local file'],
  ['ftp://example.org/cert.pdf', 'a scheme that is not the web'],
  ['http://example.org/cert', 'plain http, not allowed on this service'],
  ['https://bank.example@evil.example/cert', 'a user name that reads as the site'],
  ['https://exa mple.org/cert', 'a space'],
  ['https://example.org/\u202Efdp.exe', 'a right-to-left override'],
  ['https://example.org/\u200Bcert', 'a zero-width space'],
  ['https://ехаmple.org/cert', 'Cyrillic look-alike letters'],
  ['https://example.org/?q=\n<script>', 'a line break'],
  [`https://example.org/${'a'.repeat(2000)}`, 'over 2,000 characters'],
  ['not a url', 'no URL at all'],
];

/** Text no field viewers see may hold. */
const badText: Array<[string, string]> = [
  ['Ham<script>alert(1)</script>', 'a script tag'],
  ['<img src=x onerror=alert(1)>', 'an element with a handler'],
  ['Ham <!-- hidden -->', 'an HTML comment'],
  ['Ham\u202Egpj.exe', 'a right-to-left override'],
  ['Ham\u2066isolated\u2069', 'a bidi isolate'],
  ['S\u200BCAM', 'a zero-width space'],
  ['Ham\u0000', 'a NUL'],
  ['Ham\u001B[31mred', 'a terminal escape'],
  ['Ham\u0085', 'a C1 control'],
];

for (const backend of backends) {
  describe(`brand content on ${backend.name}`, skipWhen(backend.skip), () => {
    let service: RunningTokenService;
    let call: ReturnType<typeof raw>;
    let key: string;
    /** The show as its brand and as the public see it, to prove a refusal changed nothing. */
    const snapshot = async () =>
      JSON.stringify([
        (await call('GET', '/v1/shows', undefined, key)).body,
        (await call('GET', '/v1/shows/demo')).body,
      ]);

    beforeAll(async () => {
      service = await startTestService(backend);
      call = raw(service.url);
      key = (await apiClient(service, adminToken).createBrand({ name: 'Jinhua Ham Co.' })).apiKey;
      await apiClient(service, key).createShow(demoShow);
    });

    afterAll(() => service?.close());

    it('stores an https evidence link and shows it to the public', async () => {
      const url = 'https://example.org/certificates/ORG-88231?lang=en#page-2';
      const record = await apiClient(service, key).addTrace('demo', {
        stage: 'farm',
        evidence: { name: 'Organic certificate', number: 'ORG-88231', url },
      });
      expect(record.evidence?.url).toBe(url);
      const pub = await apiClient(service).getShow('demo');
      expect(pub.trace.find((r) => r.id === record.id)?.evidence?.url).toBe(url);
    });

    it('refuses every evidence link that is not a plain https: URL, naming the field, and stores nothing', async () => {
      const before = await snapshot();
      for (const [url, what] of badLinks) {
        const r = await call(
          'POST',
          '/v1/shows/demo/trace',
          { stage: 'farm', evidence: { name: 'Certificate', url } },
          key,
        );
        expectProblem(r, 400);
        expect(
          r.body.issues.map((i: { path: string }) => i.path),
          what,
        ).toContain('evidence.url');
      }
      expect(await snapshot()).toBe(before);
    });

    it('refuses markup, controls, bidi overrides and invisible characters in every text viewers see', async () => {
      const before = await snapshot();
      const attempts = (bad: string) => [
        { path: '/v1/shows', body: { ...demoShow, id: 'other', title: bad }, field: 'title' },
        { path: '/v1/shows', body: { ...demoShow, id: 'other', product: bad }, field: 'product' },
        {
          path: '/v1/shows',
          body: { ...demoShow, id: 'other', scenes: [{ kind: 'studio', label: bad }] },
          field: 'scenes.0.label',
        },
        { path: '/v1/shows/demo', method: 'PATCH', body: { title: bad }, field: 'title' },
        { path: '/v1/shows/demo/scenes', body: { kind: 'custom', label: bad }, field: 'label' },
        {
          path: '/v1/shows/demo/scenes',
          body: { kind: 'custom', label: 'Warehouse', location: bad },
          field: 'location',
        },
        {
          path: '/v1/shows/demo/scenes',
          body: { kind: 'custom', label: 'Warehouse', description: bad },
          field: 'description',
        },
        { path: '/v1/shows/demo/trace', body: { stage: bad }, field: 'stage' },
        { path: '/v1/shows/demo/trace', body: { stage: 'farm', batch: bad }, field: 'batch' },
        { path: '/v1/shows/demo/trace', body: { stage: 'farm', place: bad }, field: 'place' },
        { path: '/v1/shows/demo/trace', body: { stage: 'farm', description: bad }, field: 'description' },
        {
          path: '/v1/shows/demo/trace',
          body: { stage: 'farm', evidence: { name: bad } },
          field: 'evidence.name',
        },
        {
          path: '/v1/shows/demo/trace',
          body: { stage: 'farm', evidence: { name: 'Audit', number: bad } },
          field: 'evidence.number',
        },
        {
          path: '/v1/shows/demo/feeds',
          body: { sceneId: 'studio', label: bad, sourceKind: 'browser' },
          field: 'label',
        },
      ];
      for (const [bad, what] of badText)
        for (const attempt of attempts(bad)) {
          const r = await call(attempt.method ?? 'POST', attempt.path, attempt.body, key);
          expectProblem(r, 400);
          expect(
            r.body.issues.map((i: { path: string }) => i.path),
            `${what} in ${attempt.path} ${attempt.field}`,
          ).toContain(attempt.field);
        }
      // A viewer's display name is shown in the chat, and a brand's name is text too.
      for (const [bad] of badText) {
        expectProblem(await call('POST', '/v1/shows/demo/viewer-token', { name: bad }), 400);
        expectProblem(await call('POST', '/v1/brands', { name: bad }, adminToken), 400);
      }
      expect(await snapshot()).toBe(before);
    });

    it('keeps what is plain text: line breaks in descriptions, a "<" that opens no tag, any script', async () => {
      const brand = apiClient(service, key);
      const record = await brand.addTrace('demo', {
        stage: '腌制',
        place: 'Jinhua — 金华',
        description: 'Salted by hand.\nWashed, then 14 months in the loft.\n\tFat < 5 %, salt 4–6 %.',
        evidence: { name: 'Qualitätsprüfung 🐖', number: 'QS-330112' },
      });
      expect(record.description).toBe(
        'Salted by hand.\nWashed, then 14 months in the loft.\n\tFat < 5 %, salt 4–6 %.',
      );
      expect(record.stage).toBe('腌制');
      // Line breaks belong in descriptions only.
      const r = await call('PATCH', '/v1/shows/demo', { title: 'Jinhua ham\nfree shipping' }, key);
      expectProblem(r, 400, /title/);
    });

    it('refuses over-long text and oversized bodies with a clear 4xx, changing nothing', async () => {
      const before = await snapshot();
      expectProblem(await call('PATCH', '/v1/shows/demo', { title: 'a'.repeat(201) }, key), 400, /title/);
      expectProblem(
        await call('POST', '/v1/shows/demo/trace', { stage: 'farm', description: 'a'.repeat(2001) }, key),
        400,
        /description/,
      );
      expectProblem(
        await call(
          'POST',
          '/v1/shows/demo/trace',
          { stage: 'farm', evidence: { name: 'x', number: 'n'.repeat(121) } },
          key,
        ),
        400,
        /evidence\.number/,
      );
      // Past the body limit (64 kB) nothing is read at all.
      const huge = { stage: 'farm', description: 'a'.repeat(70_000) };
      expectProblem(await call('POST', '/v1/shows/demo/trace', huge, key), 413, /larger than the limit/);
      expect(await snapshot()).toBe(before);
    });

    it(`caps what a show holds: ${showLimits.scenes} scenes, ${showLimits.traceRecords} trace records`, async () => {
      const brand = apiClient(service, key);
      const show = await brand.createShow({ ...demoShow, id: 'capped' });
      for (let i = show.scenes.length; i < showLimits.scenes; i++)
        await brand.addScene('capped', { kind: 'custom', label: `Scene ${i}` });
      for (let i = 0; i < showLimits.traceRecords; i++)
        await brand.addTrace('capped', { stage: `step ${i}` });
      const before = await snapshot();
      expectProblem(
        await call('POST', '/v1/shows/capped/scenes', { kind: 'custom', label: 'One more' }, key),
        409,
        /the most a show may have/,
      );
      expectProblem(
        await call('POST', '/v1/shows/capped/trace', { stage: 'one more' }, key),
        409,
        /the most a show may have/,
      );
      expect(await snapshot()).toBe(before);
      const pub = await apiClient(service).getShow('capped');
      expect([pub.scenes.length, pub.trace.length]).toEqual([showLimits.scenes, showLimits.traceRecords]);
    });

    it('takes http: evidence links where the operator allows them (EVIDENCE_ALLOW_HTTP)', async () => {
      const lenient = await startTestService(backend, { evidenceAllowHttp: true });
      try {
        const lenientKey = (await apiClient(lenient, adminToken).createBrand({ name: 'Old Farm' })).apiKey;
        const brand = apiClient(lenient, lenientKey);
        await brand.createShow(demoShow);
        const url = 'http://certificates.example.org/ORG-1';
        const record = await brand.addTrace('demo', { stage: 'farm', evidence: { name: 'Old', url } });
        expect(record.evidence?.url).toBe(url);
        // Still nothing but the web.
        const r = await raw(lenient.url)(
          'POST',
          '/v1/shows/demo/trace',
          { stage: 'farm', evidence: { name: 'x', url: 'javascript:alert(1)' } },
          lenientKey,
        );
        expectProblem(r, 400, /evidence\.url/);
      } finally {
        await lenient.close();
      }
    });

    it('drops stored evidence links that are not http(s) when it migrates, keeping the rest of the record', async () => {
      // A database as the service left it before these rules: migrated to 0001 only, with links of every kind.
      const database = await freshDatabase(backend);
      const db = new Kysely<Database>({
        dialect:
          backend.name === 'sqlite'
            ? new SqliteDialect({ database: new SQLite(database.url.replace(/^file:/, '')) })
            : new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url }) }),
      });
      const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo('0001_initial');
      expect(error).toBeUndefined();
      const now = new Date().toISOString();
      const stored: Record<string, string | null> = {
        tr_js: 'javascript:alert(document.domain)',
        tr_data: 'data:text/html,<script>alert(1)</script>',
        tr_spaced: ' JavaScript:alert(1)',
        tr_https: 'https://example.org/cert',
        tr_http: 'HTTP://example.org/old',
        tr_none: null,
      };
      await db
        .insertInto('brands')
        .values({ id: 'br_old', name: 'Old', key_hash: 'x', created_at: now })
        .execute();
      await db
        .insertInto('shows')
        .values({
          id: 'old',
          brand_id: 'br_old',
          title: 'Old show',
          product: 'Ham',
          status: 'live',
          created_at: now,
          updated_at: now,
        })
        .execute();
      await db
        .insertInto('trace_records')
        .values(
          Object.entries(stored).map(([id, url], position) => ({
            id,
            show_id: 'old',
            stage: 'farm',
            batch: null,
            place: null,
            happened_at: null,
            description: null,
            evidence_name: `Certificate ${id}`,
            evidence_number: 'N-1',
            evidence_url: url,
            scene_id: null,
            position,
          })),
        )
        .execute();
      await db.destroy();

      const migrated = await startTokenService({
        port: 0,
        databaseUrl: database.url,
        adminToken,
        logLevel: 'warn',
      });
      try {
        const { trace } = await apiClient(migrated).getShow('old');
        const links = Object.fromEntries(trace.map((r) => [r.id, r.evidence]));
        expect(links).toEqual({
          tr_js: { name: 'Certificate tr_js', number: 'N-1', url: null },
          tr_data: { name: 'Certificate tr_data', number: 'N-1', url: null },
          tr_spaced: { name: 'Certificate tr_spaced', number: 'N-1', url: null },
          tr_https: { name: 'Certificate tr_https', number: 'N-1', url: 'https://example.org/cert' },
          tr_http: { name: 'Certificate tr_http', number: 'N-1', url: 'HTTP://example.org/old' },
          tr_none: { name: 'Certificate tr_none', number: 'N-1', url: null },
        });
      } finally {
        await migrated.close();
        await database.drop();
      }
    });
  });
}
