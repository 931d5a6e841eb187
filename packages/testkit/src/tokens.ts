import { AccessToken, type VideoGrant } from 'livekit-server-sdk';

export const devKey = 'devkey';
export const devSecret = 'secret';

/** A participant token for the embedded SFU's dev keys. */
export function participantToken(
  room: string,
  identity: string,
  grant: Partial<VideoGrant> = {},
  options: {
    ttl?: string | number;
    name?: string;
    key?: string;
    secret?: string;
    attributes?: Record<string, string>;
  } = {},
): Promise<string> {
  const token = new AccessToken(options.key ?? devKey, options.secret ?? devSecret, {
    identity,
    name: options.name,
    ttl: options.ttl ?? '10m',
    attributes: options.attributes,
  });
  token.addGrant({ roomJoin: true, room, ...grant });
  return token.toJwt();
}
