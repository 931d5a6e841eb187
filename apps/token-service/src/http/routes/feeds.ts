import { Router } from 'express';
import { feedTokenRequest } from '../../domain/schemas.js';
import type { Store } from '../../domain/store.js';
import type { TokenIssuer } from '../../livekit/tokens.js';
import { requireBrand } from '../auth.js';

export function feedRoutes(store: Store, tokens: TokenIssuer): Router {
  const router = Router();
  router.post('/v1/feeds/:id/token', requireBrand(store), async (req, res) => {
    const { preview } = feedTokenRequest.parse(req.body ?? {});
    const feed = await store.ownedFeed(req.brand!.id, String(req.params.id));
    res.set('cache-control', 'no-store').json(await tokens.feed(feed, preview ?? false));
  });
  return router;
}
