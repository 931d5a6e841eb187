// Where simulated viewers get in: through the token service, as the viewer app does, or straight into any
// LiveKit deployment with its API key (tokens minted here, with the viewer's grant).

import { LoadSubscriber, SignalRejected } from '@scenecast/load-client';
import { AccessToken } from 'livekit-server-sdk';
import { UnreachableError, UsageError } from './errors.js';

export type Target =
  | { kind: 'token-service'; url: string; show: string }
  | { kind: 'livekit'; url: string; apiKey: string; apiSecret: string; room: string };

export interface Grant {
  url: string;
  token: string;
}

/** The token service refused for now (rate limit): try again after `retryAfterMs`. */
export class GrantDeferred extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

// TODO(contract): replace with the contract's ScenecastClient.viewerToken once packages/contract lands.
async function viewerToken(
  baseUrl: string,
  show: string,
  name: string,
): Promise<{ grant: Grant; response: Response }> {
  const response = await fetch(
    `${baseUrl.replace(/\/+$/, '')}/v1/shows/${encodeURIComponent(show)}/viewer-token`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ name }),
      signal: AbortSignal.timeout(10_000),
    },
  );
  if (response.status === 429)
    throw new GrantDeferred(
      'the token service limits viewer tokens per client (429)',
      Number(response.headers.get('retry-after') ?? 5) * 1000,
    );
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { detail?: string; title?: string };
    throw new Error(
      `viewer token refused (${response.status}): ${body.detail ?? body.title ?? response.statusText}`,
    );
  }
  const body = (await response.json()) as { url?: unknown; token?: unknown };
  if (typeof body.url !== 'string' || typeof body.token !== 'string')
    throw new Error('the token service answered a viewer token without url and token');
  return { grant: { url: body.url, token: body.token }, response };
}

/** A token for one simulated viewer. */
export async function grant(target: Target, name: string): Promise<Grant> {
  if (target.kind === 'token-service') return (await viewerToken(target.url, target.show, name)).grant;
  const token = new AccessToken(target.apiKey, target.apiSecret, {
    identity: `${name}-${Math.random().toString(36).slice(2, 8)}`,
    name,
    ttl: '6h',
    attributes: { 'scenecast.role': 'viewer' },
  });
  token.addGrant({
    roomJoin: true,
    room: target.room,
    canSubscribe: true,
    canPublish: false,
    canPublishData: true,
  });
  return { url: target.url, token: await token.toJwt() };
}

const unreachable = (error: unknown) => {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
};

export interface Preflight {
  /** The room's cameras by scene, as one viewer sees them on joining. */
  scenes: string[];
  /** Viewer tokens the token service gives one client per window (its RateLimit-Policy), if it says. */
  tokenLimit?: { count: number; windowSeconds: number };
}

/**
 * One viewer joins before the run: a target that cannot be reached exits 3, wrong names or credentials
 * exit 2 — each with one clear message, before a hundred viewers fail the same way.
 */
export async function preflight(
  target: Target,
  sceneOf: (identity: string, attributes: Record<string, string>) => string | undefined,
): Promise<Preflight> {
  let issued: Grant;
  let tokenLimit: Preflight['tokenLimit'];
  if (target.kind === 'token-service') {
    const base = target.url.replace(/\/+$/, '');
    let show: Response;
    try {
      show = await fetch(`${base}/v1/shows/${encodeURIComponent(target.show)}`, {
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new UnreachableError(`the token service at ${target.url} is unreachable (${unreachable(error)})`);
    }
    if (show.status === 404)
      throw new UsageError(`show: "${target.show}" is not a show of the token service at ${target.url}`);
    if (!show.ok)
      throw new UnreachableError(
        `the token service at ${target.url} answered ${show.status} for show "${target.show}"`,
      );
    try {
      const { grant: g, response } = await viewerToken(base, target.show, 'scenecast-load preflight');
      issued = g;
      const policy = /q=(\d+);\s*w=(\d+)/.exec(response.headers.get('ratelimit-policy') ?? '');
      if (policy) tokenLimit = { count: Number(policy[1]), windowSeconds: Number(policy[2]) };
    } catch (error) {
      if (error instanceof GrantDeferred)
        throw new UnreachableError(`the token service refuses viewer tokens to this client for now (429)`);
      throw new UnreachableError(`the token service at ${target.url}: ${(error as Error).message}`);
    }
  } else {
    issued = await grant(target, 'scenecast-load preflight');
  }
  const subscriber = new LoadSubscriber(issued.url, issued.token);
  try {
    await subscriber.connect(10_000);
  } catch (error) {
    if (error instanceof SignalRejected) {
      if (error.status === 401 || error.status === 403)
        throw new UsageError(
          target.kind === 'livekit'
            ? `api-key/api-secret: the LiveKit server at ${issued.url} rejects them (${error.status})`
            : `the LiveKit server at ${issued.url} rejects the token service's tokens (${error.status}): its API key or secret differ`,
        );
      throw new UnreachableError(`the LiveKit server at ${issued.url} refused the viewer: ${error.message}`);
    }
    throw new UnreachableError(`the LiveKit server at ${issued.url} is unreachable (${unreachable(error)})`);
  } finally {
    await subscriber.close();
  }
  const scenes = new Set<string>();
  for (const { participant } of subscriber.videoTracks()) {
    const scene = sceneOf(participant.identity, participant.attributes);
    if (scene) scenes.add(scene);
  }
  if (scenes.size === 0)
    throw new UnreachableError(
      `no camera is publishing in ${target.kind === 'livekit' ? `room "${target.room}"` : `show "${target.show}"`}: nothing to watch`,
    );
  return { scenes: [...scenes].sort(), tokenLimit };
}
