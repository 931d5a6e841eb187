import { type Auth, csrfHeader, type Endpoint, endpoints, schemas, sessionCookie } from '@scenecast/contract';
import { Router } from 'express';
import { sql } from 'kysely';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { Store } from '../../domain/store.js';

const problemContent = {
  'application/problem+json': { schema: z.toJSONSchema(schemas.problem, { io: 'output' }) },
};
const security: Record<Auth, Array<Record<string, []>> | undefined> = {
  public: undefined,
  brand: [{ brandKey: [] }, { consoleSession: [], csrf: [] }],
  operator: [{ operator: [] }],
  livekit: [{ livekit: [] }],
  streamKey: [{ streamKey: [] }],
};
const text = (mediaType: string) => ({ [mediaType]: { schema: { type: 'string' } } });
const json = (schema: z.ZodType, io: 'input' | 'output') => ({
  'application/json': { schema: z.toJSONSchema(schema, { io, unrepresentable: 'any' }) },
});

/** The OpenAPI document, generated from the contract's endpoint table and zod schemas. */
function openApi() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const endpoint of Object.values(endpoints) as Endpoint[]) {
    const { method, path, summary, auth, body, status, response, media } = endpoint;
    paths[path] ??= {};
    paths[path][method.toLowerCase()] = {
      summary,
      ...(security[auth] ? { security: security[auth] } : {}),
      ...(body ? { requestBody: { required: true, content: json(body, 'input') } } : {}),
      ...(media ? { requestBody: { required: true, content: text(media.request) } } : {}),
      responses: {
        [status]: {
          description: 'success',
          ...(response ? { content: json(response, 'output') } : {}),
          ...(media?.response ? { content: text(media.response) } : {}),
        },
        default: { description: 'an error, as RFC 9457 problem details', content: problemContent },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'scenecast token service', version: '1.0.0' },
    components: {
      securitySchemes: {
        brandKey: { type: 'http', scheme: 'bearer', description: 'brand API key' },
        consoleSession: {
          type: 'apiKey',
          in: 'cookie',
          name: sessionCookie,
          description: 'the console session (POST /v1/session), httpOnly and SameSite=Strict',
        },
        csrf: {
          type: 'apiKey',
          in: 'header',
          name: csrfHeader,
          description: "the session's CSRF token, required on every write made with the session cookie",
        },
        operator: { type: 'http', scheme: 'bearer', description: 'SCENECAST_ADMIN_TOKEN' },
        streamKey: { type: 'http', scheme: 'bearer', description: "a WHIP feed's stream key" },
        livekit: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description:
            "LiveKit's webhook signature: a JWT signed with the API secret, holding the body's SHA-256",
        },
      },
    },
    paths,
  };
}

export function opsRoutes(store: Store, registry: Registry): Router {
  const router = Router();
  const spec = openApi();
  router.get('/healthz', (_req, res) => res.json({ ok: true }));
  router.get('/readyz', async (_req, res) => {
    try {
      await sql`select 1`.execute(store.db);
      res.json({ ok: true });
    } catch {
      res.status(503).json({ ok: false, detail: 'database unreachable' });
    }
  });
  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  router.get('/v1/openapi.json', (_req, res) => res.json(spec));
  return router;
}
