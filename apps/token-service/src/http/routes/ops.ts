import { Router } from 'express';
import { sql } from 'kysely';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import * as schemas from '../../domain/schemas.js';
import type { Store } from '../../domain/store.js';

const body = (schema: z.ZodType) => ({
  required: true,
  content: {
    'application/json': { schema: z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) },
  },
});
const brandAuth = [{ brandKey: [] }];

/** The contract, generated from the same zod schemas that validate requests. */
function openApi() {
  const op = (summary: string, extra: Record<string, unknown> = {}) => ({
    summary,
    responses: { default: { description: 'problem+json on error' } },
    ...extra,
  });
  return {
    openapi: '3.1.0',
    info: { title: 'scenecast token service', version: '1.0.0' },
    components: {
      securitySchemes: {
        brandKey: { type: 'http', scheme: 'bearer', description: 'brand API key' },
        operator: { type: 'http', scheme: 'bearer', description: 'SCENECAST_ADMIN_TOKEN' },
      },
    },
    paths: {
      '/v1/brands': {
        post: op('Create a brand and its API key (shown once)', {
          security: [{ operator: [] }],
          requestBody: body(schemas.createBrand),
        }),
      },
      '/v1/shows': {
        post: op('Create a show with its scenes', {
          security: brandAuth,
          requestBody: body(schemas.createShow),
        }),
        get: op("List the brand's shows", { security: brandAuth }),
      },
      '/v1/shows/{id}': {
        get: op('Public view: scenes with live status, trace timeline'),
        patch: op('Update title, product or status', {
          security: brandAuth,
          requestBody: body(schemas.updateShow),
        }),
        delete: op('Delete the show', { security: brandAuth }),
      },
      '/v1/shows/{id}/scenes': {
        post: op('Add a scene', { security: brandAuth, requestBody: body(schemas.sceneInput) }),
      },
      '/v1/shows/{id}/trace': {
        post: op('Add a trace record', { security: brandAuth, requestBody: body(schemas.traceInput) }),
      },
      '/v1/shows/{id}/feeds': {
        post: op('Add a camera feed for a scene', {
          security: brandAuth,
          requestBody: body(schemas.feedInput),
        }),
      },
      '/v1/feeds/{id}/token': {
        post: op('Publish token for a feed', {
          security: brandAuth,
          requestBody: body(schemas.feedTokenRequest),
        }),
      },
      '/v1/shows/{id}/viewer-token': {
        post: op('Watch-and-chat token (rate limited)', { requestBody: body(schemas.viewerTokenRequest) }),
      },
      '/v1/livekit/webhook': { post: op('LiveKit webhook receiver (signed)') },
    },
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
