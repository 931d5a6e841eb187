import { endpoints } from '@scenecast/contract';
import { Router } from 'express';
import type { Store } from '../../domain/store.js';
import type { TokenIssuer } from '../../livekit/tokens.js';
import { requireBrand } from '../auth.js';
import { reply, routeOf } from '../endpoint.js';

export function feedRoutes(store: Store, tokens: TokenIssuer): Router {
  const router = Router();
  const token = endpoints.feedToken;
  router.post(routeOf(token), requireBrand(store), async (req, res) => {
    const { preview } = token.body.parse(req.body ?? {});
    const feed = await store.ownedFeed(req.brand!.id, String(req.params.id));
    res.set('cache-control', 'no-store');
    reply(res, token, await tokens.feed(feed, preview ?? false));
  });
  return router;
}
