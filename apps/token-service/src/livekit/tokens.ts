import { randomUUID } from 'node:crypto';
import type { IssuedToken } from '@scenecast/contract';
import { type FeedGrantInput, feedGrant, signGrant, viewerGrant } from '@scenecast/contract/grants';
import type { Config } from '../config.js';

export interface TokenIssuer {
  viewer(showId: string, name?: string): Promise<IssuedToken>;
  feed(feed: FeedGrantInput, preview: boolean): Promise<IssuedToken>;
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
      return { url: livekit.url, token, identity };
    },

    /** A feed's identity is bound to the feed. */
    async feed(feed, preview) {
      const grant = feedGrant(feed, { preview });
      const token = await signGrant(livekit, grant, config.feedTokenTtlSeconds);
      return { url: livekit.url, token, identity: feed.identity };
    },
  };
}
