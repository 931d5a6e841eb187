// What each role may do in a show's LiveKit room, and the signing of it: the token service issues these,
// and a camera minting its own token with API keys gets exactly the same feed grant, never a looser one.
// A subpath of its own (@scenecast/contract/grants), so browsers that only call the API never load
// livekit-server-sdk.
import { AccessToken, TrackSource, type VideoGrant } from 'livekit-server-sdk';
import { attributes, moderatorIdentity, roles } from './livekit.js';
import type { SceneKind } from './schemas.js';

export interface Grant {
  identity: string;
  name: string;
  attributes: Record<string, string>;
  video: VideoGrant;
  /** `agent`: a server participant (the embedded SFU does not rate-limit its data). */
  kind?: 'agent';
}

/**
 * Viewer: watch and chat in one show, nothing else — cannot publish media, is not an admin; a display
 * name is only a name.
 */
export function viewerGrant(showId: string, identity: string, name = 'Guest'): Grant {
  return {
    identity,
    name,
    attributes: { [attributes.role]: roles.viewer },
    video: {
      roomJoin: true,
      room: showId,
      canSubscribe: true,
      canPublish: false,
      canPublishSources: [],
      canPublishData: true,
      canUpdateOwnMetadata: false,
    },
  };
}

/**
 * Monitor: the brand's console measuring what its feeds really deliver — subscribes in one show, publishes
 * nothing, sends no data, and is hidden (viewers and cameras never see it; it counts as no participant).
 */
export function monitorGrant(showId: string, identity: string): Grant {
  return {
    identity,
    name: 'console',
    attributes: { [attributes.role]: roles.monitor },
    video: {
      roomJoin: true,
      room: showId,
      hidden: true,
      canSubscribe: true,
      canPublish: false,
      canPublishSources: [],
      canPublishData: false,
      canUpdateOwnMetadata: false,
    },
  };
}

export interface FeedGrantInput {
  id: string;
  showId: string;
  sceneId: string;
  sceneKind: SceneKind;
  identity: string;
  label: string;
}

/**
 * Feed: publishes its own camera and microphone (the studio's host, a factory's or farm's ambience) into
 * its show — never a screen share — under an identity bound to the feed, with its scene in its
 * attributes; it subscribes to nothing unless the brand asks for a preview. The studio's feed is the host:
 * it may also chat, and is marked as the host.
 */
export function feedGrant(feed: FeedGrantInput, options: { preview?: boolean } = {}): Grant {
  const host = feed.sceneKind === 'studio';
  return {
    identity: feed.identity,
    name: feed.label,
    attributes: {
      [attributes.scene]: feed.sceneId,
      [attributes.feed]: feed.id,
      [attributes.role]: host ? roles.host : roles.camera,
    },
    video: {
      roomJoin: true,
      room: feed.showId,
      canPublish: true,
      canPublishSources: [TrackSource.CAMERA, TrackSource.MICROPHONE],
      canSubscribe: options.preview ?? false,
      canPublishData: host,
      canUpdateOwnMetadata: false,
    },
  };
}

/**
 * The chat moderator in one show: an agent that reads the chat sent to it and relays it; it publishes no
 * media. It mutes and removes through RoomService (API keys), not through this grant.
 */
export function moderatorGrant(showId: string): Grant {
  return {
    identity: moderatorIdentity,
    name: 'Moderator',
    attributes: { [attributes.role]: roles.moderator },
    kind: 'agent',
    video: {
      roomJoin: true,
      room: showId,
      canSubscribe: true,
      canPublish: false,
      canPublishData: true,
      canUpdateOwnMetadata: false,
    },
  };
}

/**
 * Signs a grant with livekit-server-sdk's AccessToken, the SDK's own claims and encoding (so LiveKit
 * Cloud and our SFU read it alike).
 */
export function signGrant(
  keys: { apiKey: string; apiSecret: string },
  grant: Grant,
  ttlSeconds: number,
): Promise<string> {
  const token = new AccessToken(keys.apiKey, keys.apiSecret, {
    identity: grant.identity,
    name: grant.name,
    ttl: ttlSeconds,
    attributes: grant.attributes,
  });
  if (grant.kind) token.kind = grant.kind;
  token.addGrant(grant.video);
  return token.toJwt();
}
