import { attributes, endpoints } from '@scenecast/contract';
import { Router, text } from 'express';
import { TrackType, WebhookReceiver } from 'livekit-server-sdk';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { Store } from '../../domain/store.js';
import { roomControl } from '../../livekit/rooms.js';
import { routeOf } from '../endpoint.js';
import { HttpError } from '../problem.js';

/**
 * LiveKit's webhooks keep each feed's live status and last seen quality current, and remove a camera that
 * joins under a feed's old identity (a token issued before its key was rotated).
 */
export function webhookRoutes(store: Store, config: Config, log: Logger): Router {
  const router = Router();
  const rooms = roomControl(config);
  const receiver = new WebhookReceiver(config.livekit.apiKey, config.livekit.apiSecret);
  router.post(
    routeOf(endpoints.livekitWebhook),
    text({ type: ['application/webhook+json', 'application/json'], limit: '256kb' }),
    async (req, res, next) => {
      let event: Awaited<ReturnType<WebhookReceiver['receive']>>;
      try {
        event = await receiver.receive(String(req.body ?? ''), req.headers.authorization);
      } catch (error) {
        return next(new HttpError(401, `webhook rejected: ${(error as Error).message}`));
      }
      const identity = event.participant?.identity ?? '';
      switch (event.event) {
        case 'participant_joined': {
          // Only a feed that has another identity now: a camera minting its own grant (camera-sim's keys
          // mode) names a feed the service does not know, and stays.
          const feedId = event.participant?.attributes[attributes.feed];
          const current = feedId ? await store.feedIdentity(feedId) : undefined;
          if (current && current !== identity && event.room?.name) {
            log.warn({ feedId, identity }, 'a camera joined with a rotated key: removed');
            await rooms.disconnect(event.room.name, identity);
          }
          break;
        }
        case 'track_published':
          if (event.track?.type === TrackType.VIDEO) {
            const t = event.track;
            await store.setFeedLive(identity, true, {
              width: t.width,
              height: t.height,
              layers: Math.max(1, t.layers.length),
              mimeType: t.mimeType,
            });
          }
          break;
        case 'track_unpublished':
          if (event.track?.type === TrackType.VIDEO) await store.setFeedLive(identity, false);
          break;
        case 'participant_left':
          await store.setFeedLive(identity, false);
          break;
        case 'room_finished':
          if (event.room?.name) await store.setShowOffline(event.room.name);
          break;
        default:
          break;
      }
      log.debug({ event: event.event, identity }, 'webhook');
      res.status(200).json({ ok: true });
    },
  );
  return router;
}
