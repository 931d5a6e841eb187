import { endpoints } from '@scenecast/contract';
import { Router } from 'express';
import type { Config } from '../../config.js';
import type { Store } from '../../domain/store.js';
import type { TokenIssuer } from '../../livekit/tokens.js';
import { smallJsonBody } from '../body.js';
import { reply, routeOf } from '../endpoint.js';
import { sendProblem } from '../problem.js';
import { perClientRateLimit } from '../rate-limit.js';

/**
 * The one hot public path: every viewer who opens a show asks here. Mounted ahead of the other routers
 * so a viewer's request does not walk them, with its own (small) body limit.
 */
export function viewerTokenRoutes(store: Store, config: Config, tokens: TokenIssuer): Router {
  const router = Router();
  // Public, so limited per client, and before the body is read: a client over its limit costs nothing more.
  const limiter = perClientRateLimit({
    limit: config.viewerTokenRateLimit,
    windowMs: 60_000,
    name: 'viewer-token',
    onLimited: (res) => sendProblem(res, 429, 'too many viewer tokens requested; try again in a minute'),
  });
  // A viewer's request carries at most a display name.
  const body = smallJsonBody(1024);
  const token = endpoints.viewerToken;
  router.post(routeOf(token), limiter, body, async (req, res) => {
    const showId = String(req.params.id);
    const { name } = token.body.parse(req.body ?? {});
    if (!(await store.showExists(showId))) return sendProblem(res, 404, `show "${showId}" not found`);
    res.set('cache-control', 'no-store');
    reply(res, token, await tokens.viewer(showId, name));
  });
  return router;
}
