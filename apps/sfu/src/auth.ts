import { TrackSource } from '@livekit/protocol';
import { decodeJwt, errors, jwtVerify, SignJWT } from 'jose';
import type { ClaimGrants, VideoGrant } from 'livekit-server-sdk';
import { SfuError } from './errors.js';

export type ApiKeys = ReadonlyMap<string, string>;

export interface VerifiedToken {
  apiKey: string;
  claims: ClaimGrants;
  grant: VideoGrant;
}

const clockToleranceSeconds = 5;

/**
 * Verifies an HS256 access token against the configured key pairs (the key is the token's issuer), as
 * livekit-server-sdk's TokenVerifier does, with the jose this module signs with, so that an expired token
 * is told apart by jose's own error type.
 */
export async function verifyToken(token: string | undefined, keys: ApiKeys): Promise<VerifiedToken> {
  if (!token) throw new SfuError('unauthenticated', 'missing access token');
  let issuer: string | undefined;
  try {
    issuer = decodeJwt(token).iss;
  } catch {
    throw new SfuError('unauthenticated', 'malformed access token');
  }
  const secret = issuer ? keys.get(issuer) : undefined;
  if (!issuer || secret === undefined) throw new SfuError('unauthenticated', 'unknown API key');
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
      issuer,
      clockTolerance: clockToleranceSeconds,
      // Without this a hand-rolled token with a valid signature and no exp would verify forever.
      requiredClaims: ['exp'],
    });
    const claims = payload as ClaimGrants;
    return { apiKey: issuer, claims, grant: claims.video ?? {} };
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw new SfuError('unauthenticated', 'access token expired');
    if (error instanceof errors.JWTClaimValidationFailed) {
      throw new SfuError('unauthenticated', `invalid access token: ${error.message}`);
    }
    throw new SfuError('unauthenticated', 'invalid access token signature');
  }
}

/** Reads a bearer token from an `Authorization` header. */
export function bearer(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(.+)$/i);
  return match?.[1];
}

const sourceNames: Record<string, TrackSource> = {
  camera: TrackSource.CAMERA,
  microphone: TrackSource.MICROPHONE,
  screen_share: TrackSource.SCREEN_SHARE,
  screen_share_audio: TrackSource.SCREEN_SHARE_AUDIO,
};
const sourceWireNames = new Map(Object.entries(sourceNames).map(([name, source]) => [source, name]));

/** A grant's sources as TrackSource values, whether they came as JWT strings or protobuf enums. */
function toTrackSources(sources: ReadonlyArray<TrackSource | string> | undefined): TrackSource[] {
  return (sources ?? []).map((entry) =>
    typeof entry === 'string' ? (sourceNames[entry] ?? TrackSource.UNKNOWN) : entry,
  );
}

/**
 * What a participant may do, derived from its video grant. Sources are kept as TrackSource values,
 * one form whatever set them (the JWT's strings at join, RoomService's enums on update).
 */
export class ParticipantPermissions {
  private grant: VideoGrant;

  constructor(grant: VideoGrant) {
    this.grant = normalize(grant);
  }

  get canSubscribe(): boolean {
    return this.grant.canSubscribe ?? true;
  }

  get canPublish(): boolean {
    return this.grant.canPublish ?? true;
  }

  /** Unset, it follows canPublish, as in LiveKit (a subscribe-only token cannot send data either). */
  get canPublishData(): boolean {
    return this.grant.canPublishData ?? this.canPublish;
  }

  get canUpdateOwnMetadata(): boolean {
    return this.grant.canUpdateOwnMetadata ?? false;
  }

  get hidden(): boolean {
    return this.grant.hidden ?? false;
  }

  /** Publishing a source needs canPublish and, when the grant lists sources, that source among them. */
  canPublishSource(source: TrackSource): boolean {
    if (!this.canPublish) return false;
    const allowed = this.grant.canPublishSources;
    return !allowed || allowed.length === 0 || allowed.includes(source);
  }

  update(patch: Partial<VideoGrant>): void {
    this.grant = normalize({ ...this.grant, ...patch });
  }

  get sourcesAsProto(): TrackSource[] {
    return [...(this.grant.canPublishSources ?? [])];
  }

  /** The grant as a token's `video` claim carries it (sources by name). */
  toClaim(): Record<string, unknown> {
    const { canPublishSources, ...rest } = this.grant;
    return canPublishSources
      ? { ...rest, canPublishSources: canPublishSources.map((s) => sourceWireNames.get(s) ?? 'unknown') }
      : rest;
  }
}

function normalize(grant: VideoGrant): VideoGrant {
  const { canPublishSources, ...rest } = grant;
  return canPublishSources === undefined
    ? rest
    : { ...rest, canPublishSources: toTrackSources(canPublishSources) };
}

/** Claims a token carries about its own lifetime, set anew on every token. */
const lifetimeClaims = new Set(['exp', 'nbf', 'iat', 'jti']);

export interface RefreshedIdentity {
  name: string;
  metadata: string;
  attributes: Record<string, string>;
  permissions: ParticipantPermissions;
}

/**
 * A fresh token for a connected participant (LiveKit's `refreshToken`): every claim of the token it
 * joined with (room, kind, SIP, room config and whatever else it carried), its current name, metadata,
 * attributes and rights, and a new lifetime. Signed with jose directly rather than the SDK's
 * AccessToken, which models only some claims and cannot re-encode sources read back from a JWT.
 */
export async function refreshToken(
  joined: VerifiedToken,
  current: RefreshedIdentity,
  secret: string,
  ttlSeconds: number,
): Promise<string> {
  const claims: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(joined.claims)) {
    if (!lifetimeClaims.has(key)) claims[key] = value;
  }
  // Set what the participant has now; an empty value the original token did not carry stays absent.
  const had = (key: string) => key in joined.claims;
  if (current.name || had('name')) claims.name = current.name;
  if (current.metadata || had('metadata')) claims.metadata = current.metadata;
  if (Object.keys(current.attributes).length > 0 || had('attributes')) claims.attributes = current.attributes;
  claims.video = { ...current.permissions.toClaim(), room: joined.grant.room, roomJoin: true };
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(joined.apiKey)
    .setNotBefore(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(new TextEncoder().encode(secret));
}
