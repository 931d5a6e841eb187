import { TrackSource } from '@livekit/protocol';
import { decodeJwt } from 'jose';
import { type ClaimGrants, TokenVerifier, type VideoGrant } from 'livekit-server-sdk';

export type ApiKeys = ReadonlyMap<string, string>;

/** Why a request was refused, with the HTTP status LiveKit uses for it. */
export class AuthError extends Error {
  constructor(
    message: string,
    readonly status: 401 | 403 = 401,
  ) {
    super(message);
  }
}

export interface VerifiedToken {
  apiKey: string;
  claims: ClaimGrants;
  grant: VideoGrant;
}

const clockToleranceSeconds = 5;

/** Verifies an HS256 access token against the configured key pairs (the key is the token's issuer). */
export async function verifyToken(token: string | undefined, keys: ApiKeys): Promise<VerifiedToken> {
  if (!token) throw new AuthError('missing access token');
  let issuer: string | undefined;
  try {
    issuer = decodeJwt(token).iss;
  } catch {
    throw new AuthError('malformed access token');
  }
  const secret = issuer ? keys.get(issuer) : undefined;
  if (!issuer || secret === undefined) throw new AuthError('unknown API key');
  try {
    const claims = (await new TokenVerifier(issuer, secret).verify(
      token,
      clockToleranceSeconds,
    )) as ClaimGrants;
    return { apiKey: issuer, claims, grant: claims.video ?? {} };
  } catch (error) {
    const expired = error instanceof Error && /exp/i.test(error.message);
    throw new AuthError(expired ? 'access token expired' : 'invalid access token signature');
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

/** What a participant may do, derived once from its video grant. */
export class ParticipantPermissions {
  constructor(private grant: VideoGrant) {}

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
    if (!allowed || allowed.length === 0) return true;
    return allowed.some((entry) => (typeof entry === 'string' ? sourceNames[entry] : entry) === source);
  }

  update(patch: Partial<VideoGrant>): void {
    this.grant = { ...this.grant, ...patch };
  }

  get sourcesAsProto(): TrackSource[] {
    return (this.grant.canPublishSources ?? []).map((entry) =>
      typeof entry === 'string' ? (sourceNames[entry] ?? TrackSource.UNKNOWN) : entry,
    );
  }

  get snapshot(): VideoGrant {
    return { ...this.grant };
  }
}
