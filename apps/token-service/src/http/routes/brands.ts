import { endpoints } from '@scenecast/contract';
import { Router } from 'express';
import type { Store } from '../../domain/store.js';
import { requireAdmin } from '../auth.js';
import { reply, routeOf } from '../endpoint.js';

export function brandRoutes(store: Store, adminToken: string | undefined): Router {
  const router = Router();
  const create = endpoints.createBrand;
  router.post(routeOf(create), requireAdmin(adminToken), async (req, res) => {
    const { name } = create.body.parse(req.body);
    reply(res, create, await store.createBrand(name));
  });
  return router;
}
