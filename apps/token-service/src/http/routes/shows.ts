import { Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Config } from '../../config.js';
import {
  createShow,
  feedInput,
  sceneInput,
  traceInput,
  updateShow,
  viewerTokenRequest,
} from '../../domain/schemas.js';
import type { Store } from '../../domain/store.js';
import { viewerToken } from '../../livekit/tokens.js';
import { requireBrand } from '../auth.js';
import { sendProblem } from '../problem.js';

export function showRoutes(store: Store, config: Config): Router {
  const router = Router();
  const brand = requireBrand(store);

  router.post('/v1/shows', brand, async (req, res) => {
    res.status(201).json(await store.createShow(req.brand!.id, createShow.parse(req.body)));
  });
  router.get('/v1/shows', brand, async (req, res) => {
    res.json({ shows: await store.listShows(req.brand!.id) });
  });
  router.get('/v1/shows/:id', async (req, res) => {
    res.set('cache-control', 'no-store').json(await store.publicView(String(req.params.id)));
  });
  router.patch('/v1/shows/:id', brand, async (req, res) => {
    res.json(await store.updateShow(req.brand!.id, String(req.params.id), updateShow.parse(req.body)));
  });
  router.delete('/v1/shows/:id', brand, async (req, res) => {
    await store.deleteShow(req.brand!.id, String(req.params.id));
    res.status(204).end();
  });
  router.post('/v1/shows/:id/scenes', brand, async (req, res) => {
    res
      .status(201)
      .json(await store.addScene(req.brand!.id, String(req.params.id), sceneInput.parse(req.body)));
  });
  router.post('/v1/shows/:id/trace', brand, async (req, res) => {
    res
      .status(201)
      .json(await store.addTrace(req.brand!.id, String(req.params.id), traceInput.parse(req.body)));
  });
  router.post('/v1/shows/:id/feeds', brand, async (req, res) => {
    res
      .status(201)
      .json(await store.addFeed(req.brand!.id, String(req.params.id), feedInput.parse(req.body)));
  });

  // Public, so limited per client: a token is cheap to ask for and must stay cheap to serve.
  const limiter = rateLimit({
    windowMs: 60_000,
    limit: config.viewerTokenRateLimit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, res) => sendProblem(res, 429, 'too many viewer tokens requested; try again in a minute'),
  });
  router.post('/v1/shows/:id/viewer-token', limiter, async (req, res) => {
    const { name } = viewerTokenRequest.parse(req.body ?? {});
    if (!(await store.showExists(String(req.params.id)))) {
      return sendProblem(res, 404, `show "${String(req.params.id)}" not found`);
    }
    res.set('cache-control', 'no-store').json(await viewerToken(config, String(req.params.id), name));
  });
  return router;
}
