import { endpoints as e } from '@scenecast/contract';
import { Router } from 'express';
import type { Store } from '../../domain/store.js';
import { requireBrand } from '../auth.js';
import { reply, routeOf } from '../endpoint.js';

export function showRoutes(store: Store): Router {
  const router = Router();
  const brand = requireBrand(store);

  router.post(routeOf(e.createShow), brand, async (req, res) => {
    reply(res, e.createShow, await store.createShow(req.brand!.id, e.createShow.body.parse(req.body)));
  });
  router.get(routeOf(e.listShows), brand, async (req, res) => {
    reply(res, e.listShows, { shows: await store.listShows(req.brand!.id) });
  });
  router.get(routeOf(e.getShow), async (req, res) => {
    res.set('cache-control', 'no-store');
    reply(res, e.getShow, await store.publicView(String(req.params.id)));
  });
  router.patch(routeOf(e.updateShow), brand, async (req, res) => {
    const patch = e.updateShow.body.parse(req.body);
    reply(res, e.updateShow, await store.updateShow(req.brand!.id, String(req.params.id), patch));
  });
  router.delete(routeOf(e.deleteShow), brand, async (req, res) => {
    await store.deleteShow(req.brand!.id, String(req.params.id));
    reply(res, e.deleteShow, undefined);
  });
  router.post(routeOf(e.addScene), brand, async (req, res) => {
    const scene = e.addScene.body.parse(req.body);
    reply(res, e.addScene, await store.addScene(req.brand!.id, String(req.params.id), scene));
  });
  router.post(routeOf(e.addTrace), brand, async (req, res) => {
    const record = e.addTrace.body.parse(req.body);
    reply(res, e.addTrace, await store.addTrace(req.brand!.id, String(req.params.id), record));
  });
  router.post(routeOf(e.addFeed), brand, async (req, res) => {
    const feed = e.addFeed.body.parse(req.body);
    reply(res, e.addFeed, await store.addFeed(req.brand!.id, String(req.params.id), feed));
  });

  return router;
}
