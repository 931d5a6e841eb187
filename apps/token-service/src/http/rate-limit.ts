import type { RequestHandler, Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';

export interface RateLimitOptions {
  /** Requests per client per window. */
  limit: number;
  windowMs: number;
  /** Names the policy in the RateLimit headers (IETF draft-ietf-httpapi-ratelimit-headers-08). */
  name: string;
  /** Answers a client that is over its limit (Retry-After is already set). */
  onLimited: (res: Response) => void;
}

/**
 * A per-client fixed-window limit for the public token path, in memory (one instance; several instances
 * behind a load balancer each allow the limit). The same policy express-rate-limit's memory store applies —
 * clients keyed by `req.ip` (so `trust proxy` decides whether X-Forwarded-For counts) with IPv6 addresses
 * grouped by /56 through its ipKeyGenerator, a window per client from its first request, RateLimit headers,
 * 429 with Retry-After — without its general async pipeline, which on this path cost nearly a tenth of the
 * whole request.
 */
export function perClientRateLimit(options: RateLimitOptions): RequestHandler {
  const { limit, windowMs, name } = options;
  const windowSeconds = Math.ceil(windowMs / 1000);
  const policy = `"${name}"; q=${limit}; w=${windowSeconds}`;
  const clients = new Map<string, { hits: number; resetAt: number }>();
  let nextSweep = Date.now() + windowMs;

  return (req, res, next) => {
    const now = Date.now();
    // Forget clients whose window has passed, at most once a window: memory follows the active clients.
    if (now >= nextSweep) {
      for (const [key, client] of clients) if (client.resetAt <= now) clients.delete(key);
      nextSweep = now + windowMs;
    }
    const key = ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');
    let client = clients.get(key);
    if (!client || client.resetAt <= now) {
      client = { hits: 0, resetAt: now + windowMs };
      clients.set(key, client);
    }
    client.hits++;
    const resetSeconds = Math.max(0, Math.ceil((client.resetAt - now) / 1000));
    res.setHeader('RateLimit-Policy', policy);
    res.setHeader('RateLimit', `"${name}"; r=${Math.max(0, limit - client.hits)}; t=${resetSeconds}`);
    if (client.hits > limit) {
      res.setHeader('Retry-After', String(resetSeconds));
      return options.onLimited(res);
    }
    next();
  };
}
