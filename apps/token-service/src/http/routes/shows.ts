import { endpoints as e } from '@scenecast/contract';
import { Router } from 'express';
import type { z } from 'zod';
import type { Config } from '../../config.js';
import type { Access } from '../../domain/access.js';
import type { Store } from '../../domain/store.js';
import type { TokenIssuer } from '../../livekit/tokens.js';
import { requireAdmin, requireBrand } from '../auth.js';
import { reply, routeOf } from '../endpoint.js';

export function showRoutes(
  store: Store,
  access: Access,
  tokens: TokenIssuer,
  config: Pick<Config, 'evidenceAllowHttp' | 'adminToken'>,
): Router {
  const router = Router();
  const brand = requireBrand(store, access);
  const param = (value: unknown) => String(value);
  // The contract takes http(s) links; plain http: only where the operator allows it (new and edited records).
  const webOnly = <T extends { evidence?: { url?: string | null } | null }>(body: z.ZodType<T>) =>
    config.evidenceAllowHttp
      ? body
      : body.refine((r) => !/^http:/i.test(r.evidence?.url ?? ''), {
          path: ['evidence', 'url'],
          message: 'an https: URL (this service takes no http: links)',
        });
  const traceBody = webOnly(e.addTrace.body);
  const traceUpdate = webOnly(e.updateTrace.body);

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
  router.patch(routeOf(e.updateScene), brand, async (req, res) => {
    const patch = e.updateScene.body.parse(req.body);
    const { id, sceneId } = req.params;
    reply(res, e.updateScene, await store.updateScene(req.brand!.id, param(id), param(sceneId), patch));
  });
  router.delete(routeOf(e.deleteScene), brand, async (req, res) => {
    await store.deleteScene(req.brand!.id, param(req.params.id), param(req.params.sceneId));
    reply(res, e.deleteScene, undefined);
  });
  router.put(routeOf(e.updateTrace), brand, async (req, res) => {
    const record = traceUpdate.parse(req.body);
    const { id, traceId } = req.params;
    reply(res, e.updateTrace, await store.updateTrace(req.brand!.id, param(id), param(traceId), record));
  });
  router.delete(routeOf(e.deleteTrace), brand, async (req, res) => {
    await store.deleteTrace(req.brand!.id, param(req.params.id), param(req.params.traceId));
    reply(res, e.deleteTrace, undefined);
  });
  router.post(routeOf(e.addTrace), brand, async (req, res) => {
    const record = traceBody.parse(req.body);
    reply(res, e.addTrace, await store.addTrace(req.brand!.id, String(req.params.id), record));
  });
  router.post(routeOf(e.monitorToken), brand, async (req, res) => {
    const show = await store.ownedShow(req.brand!.id, param(req.params.id));
    res.set('cache-control', 'no-store');
    reply(res, e.monitorToken, await tokens.monitor(show.id));
  });
  router.post(routeOf(e.addFeed), brand, async (req, res) => {
    const feed = e.addFeed.body.parse(req.body);
    reply(res, e.addFeed, await store.addFeed(req.brand!.id, String(req.params.id), feed));
  });

  router.put(routeOf(e.setChatPolicy), brand, async (req, res) => {
    const policy = e.setChatPolicy.body.parse(req.body);
    reply(res, e.setChatPolicy, await store.setChatPolicy(req.brand!.id, String(req.params.id), policy));
  });
  router.get(routeOf(e.chatPolicy), requireAdmin(config.adminToken), async (req, res) => {
    res.set('cache-control', 'no-store');
    reply(res, e.chatPolicy, await store.chatPolicy(String(req.params.id)));
  });

  return router;
}
