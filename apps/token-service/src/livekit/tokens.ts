import { randomUUID } from 'node:crypto';
import type { IssuedToken } from '@scenecast/contract';
import {
  type FeedGrantInput,
  feedGrant,
  monitorGrant,
  signGrant,
  viewerGrant,
} from '@scenecast/contract/grants';
import type { Config } from '../config.js';

export interface TokenIssuer {
  viewer(showId: string, name?: string): Promise<IssuedToken>;
  /** `ttlSeconds` shortens the feed's FEED_TOKEN_TTL (never lengthens it). */
  feed(feed: FeedGrantInput, preview: boolean, ttlSeconds?: number): Promise<IssuedToken>;
  monitor(showId: string): Promise<IssuedToken>;
}

/**
 * Issues the contract's grants (@scenecast/contract/grants) for this service's LiveKit: what each role
 * may do is decided there, the identity and lifetime here.
 */
export function tokenIssuer(config: Config): TokenIssuer {
  // Its url is read per token: the engine may start after the service (RunningTokenService.setLivekitUrl).
  const livekit = config.livekit;
  return {
    /** A viewer gets an anonymous identity of its own, new for every request. */
    async viewer(showId, name) {
      // 48 random bits: the first 12 hex digits of a v4 UUID (node hands those out from a cached pool,
      // far cheaper per call than randomBytes).
      const identity = `viewer-${randomUUID().replace('-', '').slice(0, 12)}`;
      const grant = viewerGrant(showId, identity, name);
      const token = await signGrant(livekit, grant, config.viewerTokenTtlSeconds);
      return { url: livekit.publicUrl ?? livekit.url, token, identity };
    },

    /** A console's hidden subscriber: an identity of its own, new for every request, like a viewer's. */
    async monitor(showId) {
      const identity = `monitor-${randomUUID().replace('-', '').slice(0, 12)}`;
      const token = await signGrant(livekit, monitorGrant(showId, identity), config.feedTokenTtlSeconds);
      return { url: livekit.publicUrl ?? livekit.url, token, identity };
    },

    /** A feed's identity is bound to the feed. */
    async feed(feed, preview, ttlSeconds) {
      const grant = feedGrant(feed, { preview });
      const ttl = Math.min(config.feedTokenTtlSeconds, ttlSeconds ?? Number.POSITIVE_INFINITY);
      const token = await signGrant(livekit, grant, ttl);
      return { url: livekit.publicUrl ?? livekit.url, token, identity: feed.identity };
    },
  };
}
