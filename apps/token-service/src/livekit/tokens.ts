import { randomUUID } from 'node:crypto';
import { TrackSource } from '@livekit/protocol';
import { AccessToken, type VideoGrant } from 'livekit-server-sdk';
import type { Config } from '../config.js';

export interface IssuedToken {
  url: string;
  token: string;
  identity: string;
}

/** Attributes a camera carries so viewers know which scene it films. */
export const sceneAttribute = 'scenecast.scene';
export const feedAttribute = 'scenecast.feed';

/**
 * Signs LiveKit access tokens with livekit-server-sdk's AccessToken, the SDK's own claims and encoding (so
 * LiveKit Cloud and our SFU read them alike). Measured against hand-rolled HS256: ~10 µs more per token,
 * a few percent of a viewer-token request; not worth owning JWT code for.
 */
function sign(
  config: Config,
  identity: string,
  ttlSeconds: number,
  claims: { name: string; attributes: Record<string, string>; video: VideoGrant },
): Promise<string> {
  const token = new AccessToken(config.livekit.apiKey, config.livekit.apiSecret, {
    identity,
    name: claims.name,
    ttl: ttlSeconds,
    attributes: claims.attributes,
  });
  token.addGrant(claims.video);
  return token.toJwt();
}

export interface TokenIssuer {
  viewer(showId: string, name?: string): Promise<IssuedToken>;
  feed(
    feed: { id: string; show_id: string; scene_id: string; identity: string; label: string; kind: string },
    preview: boolean,
  ): Promise<IssuedToken>;
}

export function tokenIssuer(config: Config): TokenIssuer {
  const url = config.livekit.url;
  return {
    /**
     * Viewer: watch and chat in one show, nothing else — cannot publish media, is not an admin, and gets
     * an anonymous identity of its own (a display name is only a name).
     */
    async viewer(showId, name) {
      // 48 random bits: the first 12 hex digits of a v4 UUID (node hands those out from a cached pool,
      // far cheaper per call than randomBytes).
      const identity = `viewer-${randomUUID().replace('-', '').slice(0, 12)}`;
      const token = await sign(config, identity, config.viewerTokenTtlSeconds, {
        name: name ?? 'Guest',
        attributes: { 'scenecast.role': 'viewer' },
        video: {
          roomJoin: true,
          room: showId,
          canSubscribe: true,
          canPublish: false,
          canPublishSources: [],
          canPublishData: true,
          canUpdateOwnMetadata: false,
        },
      });
      return { url, token, identity };
    },

    /**
     * Feed: publishes its own camera and microphone (the studio's host, a factory's or farm's ambience) into its show, under an
     * identity bound to the feed; it subscribes to nothing unless the brand asks for a preview.
     */
    async feed(feed, preview) {
      const token = await sign(config, feed.identity, config.feedTokenTtlSeconds, {
        name: feed.label,
        attributes: { [sceneAttribute]: feed.scene_id, [feedAttribute]: feed.id },
        video: {
          roomJoin: true,
          room: feed.show_id,
          canPublish: true,
          // Every scene has sound (the studio its host, the others their ambience); never a screen share.
          canPublishSources: [TrackSource.CAMERA, TrackSource.MICROPHONE],
          canSubscribe: preview,
          canPublishData: false,
          canUpdateOwnMetadata: false,
        },
      });
      return { url, token, identity: feed.identity };
    },
  };
}
