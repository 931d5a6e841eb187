// Where simulated viewers get in: through the token service, as the viewer app does, or straight into any
// LiveKit deployment with its API key (tokens minted here, with the viewer's grant).

import { ApiError, ScenecastClient, sceneOf } from '@scenecast/contract';
import { signGrant, viewerGrant } from '@scenecast/contract/grants';
import { LoadSubscriber, SignalRejected } from '@scenecast/load-client';
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

/**
 * A viewer token through the contract's client, as the viewer app asks for one; the answer's headers too
 * (the rate limit's policy and Retry-After).
 */
async function viewerToken(
  baseUrl: string,
  show: string,
  name: string,
): Promise<{ grant: Grant; headers: Headers }> {
  let headers = new Headers();
  const client = new ScenecastClient({
    baseUrl,
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      headers = response.headers;
      return response;
    },
  });
  try {
    const { url, token } = await client.viewerToken(show, { name });
    return { grant: { url, token }, headers };
  } catch (error) {
    if (error instanceof ApiError && error.status === 429)
      throw new GrantDeferred(
        'the token service limits viewer tokens per client (429)',
        Number(headers.get('retry-after') ?? 5) * 1000,
      );
    if (error instanceof ApiError) throw new Error(`viewer token refused (${error.status}): ${error.detail}`);
    throw error;
  }
}

/** A token for one simulated viewer: the contract's viewer grant when minted here. */
export async function grant(target: Target, name: string): Promise<Grant> {
  if (target.kind === 'token-service') return (await viewerToken(target.url, target.show, name)).grant;
  const identity = `${name}-${Math.random().toString(36).slice(2, 8)}`;
  const token = await signGrant(target, viewerGrant(target.room, identity, name), 6 * 3600);
  return { url: target.url, token };
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
  /** The LiveKit URL viewers are sent to. */
  livekitUrl: string;
}

/**
 * One viewer joins before the run: a target that cannot be reached exits 3, wrong names or credentials
 * exit 2 — each with one clear message, before a hundred viewers fail the same way.
 */
export async function preflight(target: Target): Promise<Preflight> {
  let issued: Grant;
  let tokenLimit: Preflight['tokenLimit'];
  if (target.kind === 'token-service') {
    try {
      await new ScenecastClient({ baseUrl: target.url }).getShow(target.show);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404)
        throw new UsageError(`show: "${target.show}" is not a show of the token service at ${target.url}`);
      if (error instanceof ApiError)
        throw new UnreachableError(
          `the token service at ${target.url} answered ${error.status} for show "${target.show}": ${error.detail}`,
        );
      throw new UnreachableError(`the token service at ${target.url} is unreachable (${unreachable(error)})`);
    }
    try {
      const { grant: g, headers } = await viewerToken(target.url, target.show, 'scenecast-load preflight');
      issued = g;
      const policy = /q=(\d+);\s*w=(\d+)/.exec(headers.get('ratelimit-policy') ?? '');
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
    const scene = sceneOf(participant);
    if (scene) scenes.add(scene);
  }
  if (scenes.size === 0)
    throw new UnreachableError(
      `no camera is publishing in ${target.kind === 'livekit' ? `room "${target.room}"` : `show "${target.show}"`}: nothing to watch`,
    );
  return { scenes: [...scenes].sort(), tokenLimit, livekitUrl: issued.url };
}
