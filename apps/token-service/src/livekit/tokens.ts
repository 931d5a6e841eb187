import { createHmac, createSecretKey, type KeyObject, randomUUID } from 'node:crypto';
import type { Config } from '../config.js';

export interface IssuedToken {
  url: string;
  token: string;
  identity: string;
}

/** Attributes a camera carries so viewers know which scene it films. */
export const sceneAttribute = 'scenecast.scene';
export const feedAttribute = 'scenecast.feed';

/** LiveKit's video grant as it appears in the JWT (track sources as strings, as AccessToken writes them). */
interface VideoGrant {
  roomJoin: boolean;
  room: string;
  canSubscribe: boolean;
  canPublish: boolean;
  canPublishSources: ('camera' | 'microphone')[];
  canPublishData: boolean;
  canUpdateOwnMetadata: boolean;
}

const jwtHeader = Buffer.from(JSON.stringify({ alg: 'HS256' })).toString('base64url');

/**
 * Signs LiveKit access tokens: HS256 JWTs with the claims livekit-server-sdk's AccessToken writes (iss =
 * API key, sub = identity, nbf, exp, name, attributes, video). The secret is imported once: AccessToken's
 * toJwt() re-imports it and runs jose's general JWS code on every call, about 7x the cost of this, and the
 * viewer path signs one token per request. test/api.test.ts checks our tokens with the SDK's TokenVerifier.
 */
export class TokenSigner {
  private readonly key: KeyObject;

  constructor(
    private readonly apiKey: string,
    apiSecret: string,
  ) {
    this.key = createSecretKey(Buffer.from(apiSecret, 'utf8'));
  }

  sign(
    identity: string,
    ttlSeconds: number,
    claims: { name: string; attributes: Record<string, string>; video: VideoGrant },
  ): string {
    const now = Math.floor(Date.now() / 1000);
    const payload = { ...claims, iss: this.apiKey, exp: now + ttlSeconds, nbf: now, sub: identity };
    const signed = `${jwtHeader}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return `${signed}.${createHmac('sha256', this.key).update(signed).digest('base64url')}`;
  }
}

export interface TokenIssuer {
  viewer(showId: string, name?: string): IssuedToken;
  feed(
    feed: { id: string; show_id: string; scene_id: string; identity: string; label: string; kind: string },
    preview: boolean,
  ): IssuedToken;
}

export function tokenIssuer(config: Config): TokenIssuer {
  const signer = new TokenSigner(config.livekit.apiKey, config.livekit.apiSecret);
  const url = config.livekit.url;
  return {
    /**
     * Viewer: watch and chat in one show, nothing else — cannot publish media, is not an admin, and gets
     * an anonymous identity of its own (a display name is only a name).
     */
    viewer(showId, name) {
      // 48 random bits: the first 12 hex digits of a v4 UUID (node hands those out from a cached pool,
      // far cheaper per call than randomBytes).
      const identity = `viewer-${randomUUID().replace('-', '').slice(0, 12)}`;
      const token = signer.sign(identity, config.viewerTokenTtlSeconds, {
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
     * Feed: publishes its own camera (and, in the studio, the host's microphone) into its show, under an
     * identity bound to the feed; it subscribes to nothing unless the brand asks for a preview.
     */
    feed(feed, preview) {
      const token = signer.sign(feed.identity, config.feedTokenTtlSeconds, {
        name: feed.label,
        attributes: { [sceneAttribute]: feed.scene_id, [feedAttribute]: feed.id },
        video: {
          roomJoin: true,
          room: feed.show_id,
          canPublish: true,
          canPublishSources: feed.kind === 'studio' ? ['camera', 'microphone'] : ['camera'],
          canSubscribe: preview,
          canPublishData: false,
          canUpdateOwnMetadata: false,
        },
      });
      return { url, token, identity: feed.identity };
    },
  };
}
