import { endpoints as e } from '@scenecast/contract';
import { Router } from 'express';
import type { Config } from '../../config.js';
import type { Access } from '../../domain/access.js';
import type { Store } from '../../domain/store.js';
import { roomControl } from '../../livekit/rooms.js';
import type { TokenIssuer } from '../../livekit/tokens.js';
import { requireBrand } from '../auth.js';
import { reply, routeOf } from '../endpoint.js';
import { sendProblem } from '../problem.js';
import { clientAddress, rateLimit } from '../rate-limit.js';

/** A token from a publish link joins within minutes or not at all. */
const publishTokenTtlSeconds = 600;

export function feedRoutes(store: Store, access: Access, tokens: TokenIssuer, config: Config): Router {
  const router = Router();
  const brand = requireBrand(store, access);
  const rooms = roomControl(config);

  router.post(routeOf(e.feedToken), brand, async (req, res) => {
    const { preview } = e.feedToken.body.parse(req.body ?? {});
    const feed = await store.ownedFeed(req.brand!.id, String(req.params.id));
    res.set('cache-control', 'no-store');
    reply(res, e.feedToken, await tokens.feed(feed, preview ?? false));
  });

  router.delete(routeOf(e.deleteFeed), brand, async (req, res) => {
    await store.deleteFeed(req.brand!.id, String(req.params.id));
    reply(res, e.deleteFeed, undefined);
  });

  router.post(routeOf(e.publishLink), brand, async (req, res) => {
    const { expiresInSeconds } = e.publishLink.body.parse(req.body ?? {});
    const feed = await store.ownedFeed(req.brand!.id, String(req.params.id));
    const { code, expiresAt } = await access.createPublishCode(
      feed.id,
      expiresInSeconds ?? config.publishLinkTtlSeconds,
    );
    res.set('cache-control', 'no-store');
    // The code after `#`: browsers never send a fragment, so it stays out of every server's access log.
    reply(res, e.publishLink, { url: `${config.consoleUrl}/publish#${code}`, expiresAt });
  });

  router.post(routeOf(e.revokePublishing), brand, async (req, res) => {
    const feed = await store.ownedFeed(req.brand!.id, String(req.params.id));
    await access.revokePublishCodes(feed.id);
    await rooms.disconnect(feed.showId, feed.identity);
    reply(res, e.revokePublishing, undefined);
  });

  router.post(routeOf(e.rotateFeedKey), brand, async (req, res) => {
    const { feed, previous } = await store.rotateFeedIdentity(req.brand!.id, String(req.params.id));
    await access.revokePublishCodes(feed.id);
    await rooms.disconnect(feed.showId, previous);
    reply(res, e.rotateFeedKey, feed);
  });

  // Public: whoever holds the link publishes that one feed. Limited per client against guessing.
  const limiter = rateLimit({
    quotas: [
      {
        name: 'publish-token',
        limit: 30,
        windowMs: 60_000,
        key: clientAddress,
        refusal: 'too many publish-link requests; try again in a minute',
      },
    ],
    onLimited: (res, detail) => sendProblem(res, 429, detail),
  });
  router.post(routeOf(e.publishToken), limiter, async (req, res) => {
    const { code } = e.publishToken.body.parse(req.body ?? {});
    const feed = await access.publishFeed(code);
    // Short-lived: a revoked link's token cannot rejoin for long (the engine refreshes a connected camera's).
    const token = await tokens.feed(feed, false, publishTokenTtlSeconds);
    res.set('cache-control', 'no-store');
    reply(res, e.publishToken, {
      ...token,
      feed: {
        id: feed.id,
        label: feed.label,
        sceneId: feed.sceneId,
        sceneKind: feed.sceneKind,
        showId: feed.showId,
        showTitle: feed.showTitle,
      },
      expiresAt: feed.expiresAt,
    });
  });
  return router;
}
