import { randomBytes } from 'node:crypto';
import { TrackSource } from '@livekit/protocol';
import { AccessToken } from 'livekit-server-sdk';
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
 * Viewer: watch and chat in one show, nothing else — cannot publish media, is not an admin, and gets an
 * anonymous identity of its own (a display name is only a name).
 */
export async function viewerToken(config: Config, showId: string, name?: string): Promise<IssuedToken> {
  const identity = `viewer-${randomBytes(6).toString('hex')}`;
  const token = new AccessToken(config.livekit.apiKey, config.livekit.apiSecret, {
    identity,
    name: name ?? 'Guest',
    ttl: config.viewerTokenTtl,
    attributes: { 'scenecast.role': 'viewer' },
  });
  token.addGrant({
    roomJoin: true,
    room: showId,
    canSubscribe: true,
    canPublish: false,
    canPublishSources: [],
    canPublishData: true,
    canUpdateOwnMetadata: false,
  });
  return { url: config.livekit.url, token: await token.toJwt(), identity };
}

/**
 * Feed: publishes its own camera (and, in the studio, the host's microphone) into its show, under an
 * identity bound to the feed; it subscribes to nothing unless the brand asks for a preview.
 */
export async function feedToken(
  config: Config,
  feed: { id: string; show_id: string; scene_id: string; identity: string; label: string; kind: string },
  preview: boolean,
): Promise<IssuedToken> {
  const token = new AccessToken(config.livekit.apiKey, config.livekit.apiSecret, {
    identity: feed.identity,
    name: feed.label,
    ttl: config.feedTokenTtl,
    attributes: { [sceneAttribute]: feed.scene_id, [feedAttribute]: feed.id },
  });
  const sources =
    feed.kind === 'studio' ? [TrackSource.CAMERA, TrackSource.MICROPHONE] : [TrackSource.CAMERA];
  token.addGrant({
    roomJoin: true,
    room: feed.show_id,
    canPublish: true,
    canPublishSources: sources,
    canSubscribe: preview,
    canPublishData: false,
    canUpdateOwnMetadata: false,
  });
  return { url: config.livekit.url, token: await token.toJwt(), identity: feed.identity };
}
