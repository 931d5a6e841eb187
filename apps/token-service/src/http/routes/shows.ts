import { Router } from 'express';
import { createShow, feedInput, sceneInput, traceInput, updateShow } from '../../domain/schemas.js';
import type { Store } from '../../domain/store.js';
import { requireBrand } from '../auth.js';

export function showRoutes(store: Store): Router {
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

  return router;
}
