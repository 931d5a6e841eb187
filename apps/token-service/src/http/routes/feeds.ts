import { Router } from 'express';
import type { Config } from '../../config.js';
import { feedTokenRequest } from '../../domain/schemas.js';
import type { Store } from '../../domain/store.js';
import { feedToken } from '../../livekit/tokens.js';
import { requireBrand } from '../auth.js';

export function feedRoutes(store: Store, config: Config): Router {
  const router = Router();
  router.post('/v1/feeds/:id/token', requireBrand(store), async (req, res) => {
    const { preview } = feedTokenRequest.parse(req.body ?? {});
    const feed = await store.ownedFeed(req.brand!.id, String(req.params.id));
    res.set('cache-control', 'no-store').json(await feedToken(config, feed, preview ?? false));
  });
  return router;
}
