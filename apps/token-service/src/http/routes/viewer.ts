import { clientIdHeader, endpoints } from '@scenecast/contract';
import { type Request, Router } from 'express';
import type { Config } from '../../config.js';
import type { Store } from '../../domain/store.js';
import type { TokenIssuer } from '../../livekit/tokens.js';
import { smallJsonBody } from '../body.js';
import { reply, routeOf } from '../endpoint.js';
import { sendProblem } from '../problem.js';
import { clientAddress, rateLimit } from '../rate-limit.js';

/** A client id worth counting on its own (see the contract's clientIdHeader); anything else counts as none. */
const clientId = /^[A-Za-z0-9_-]{16,64}$/;

/**
 * The one hot public path: every viewer who opens a show asks here. Mounted ahead of the other routers
 * so a viewer's request does not walk them, with its own (small) body limit.
 */
export function viewerTokenRoutes(store: Store, config: Config, tokens: TokenIssuer): Router {
  const router = Router();
  const windowMs = config.viewerTokenRateWindowSeconds * 1000;
  const limited = (res: Parameters<typeof sendProblem>[0], detail: string) =>
    sendProblem(res, 429, `${detail}; try again in ${res.getHeader('retry-after')} s`);
  // Public, so limited per client and per address, before the body is read: a client over its limit
  // costs nothing more. The per-client limit slows one client hammering; the per-address one is sized for
  // a carrier NAT (docs/security.md explains the defaults).
  const perClient = rateLimit({
    quotas: [
      {
        name: 'viewer-token',
        limit: config.viewerTokenRateLimit,
        windowMs,
        key: (req: Request) => {
          const id = req.get(clientIdHeader);
          return `${clientAddress(req)} ${id && clientId.test(id) ? id : ''}`;
        },
        refusal: 'too many viewer tokens requested by this client',
      },
      {
        name: 'viewer-token-address',
        limit: config.viewerTokenAddressRateLimit,
        windowMs,
        key: clientAddress,
        refusal: 'too many viewer tokens requested from this address',
      },
    ],
    onLimited: limited,
  });
  // Counted only for shows that exist, so made-up show ids neither fill the show's allowance nor memory.
  const perShow = rateLimit({
    quotas: [
      {
        name: 'viewer-token-show',
        limit: config.viewerTokenShowRateLimit,
        windowMs,
        key: (req: Request) => String(req.params.id),
        refusal: 'this show is admitting as many viewers as it can',
      },
    ],
    onLimited: limited,
  });
  // A viewer's request carries at most a display name.
  const body = smallJsonBody(1024);
  const token = endpoints.viewerToken;
  router.post(
    routeOf(token),
    perClient,
    body,
    async (req, res, next) => {
      const showId = String(req.params.id);
      res.locals.name = token.body.parse(req.body ?? {}).name;
      if (!(await store.showExists(showId))) return sendProblem(res, 404, `show "${showId}" not found`);
      next();
    },
    perShow,
    async (req, res) => {
      const showId = String(req.params.id);
      res.set('cache-control', 'no-store');
      reply(res, token, await tokens.viewer(showId, res.locals.name));
    },
  );
  return router;
}
