import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';

/** One limit: at most `limit` requests per key in a window of `windowMs` from the key's first request. */
export interface Quota {
  /** Names the policy in the RateLimit headers (IETF draft-ietf-httpapi-ratelimit-headers-08). */
  name: string;
  limit: number;
  windowMs: number;
  /** Which requests share a count. */
  key: (req: Request) => string;
  /** The problem detail a client over this quota reads. */
  refusal: string;
}

export interface RateLimitOptions {
  quotas: Quota[];
  /** Answers a client that is over a quota (Retry-After is already set). */
  onLimited: (res: Response, detail: string) => void;
}

interface Window {
  hits: number;
  resetAt: number;
}

/**
 * Fixed-window limits for the public token path, in memory (one instance; several instances behind a
 * load balancer each allow the limit). The policy express-rate-limit's memory store applies — a window
 * per key from its first request, RateLimit headers, 429 with Retry-After — for several quotas at once,
 * without its general async pipeline, which on this path cost nearly a tenth of the whole request.
 *
 * A request is counted against every quota only when all of them admit it: a client that is refused
 * spends nothing of the quotas it shares with others (its address, its show), so one client hammering
 * behind a carrier's NAT cannot use up the allowance of everyone else behind it.
 */
export function rateLimit({ quotas, onLimited }: RateLimitOptions): RequestHandler {
  const counts = quotas.map((quota) => ({
    quota,
    policy: `"${quota.name}"; q=${quota.limit}; w=${Math.ceil(quota.windowMs / 1000)}`,
    windows: new Map<string, Window>(),
    nextSweep: Date.now() + quota.windowMs,
  }));
  const policyHeader = counts.map((c) => c.policy).join(', ');

  return (req, res, next) => {
    const now = Date.now();
    const seen = counts.map((count) => {
      // Forget keys whose window has passed, at most once a window: memory follows the active clients.
      if (now >= count.nextSweep) {
        for (const [key, window] of count.windows) if (window.resetAt <= now) count.windows.delete(key);
        count.nextSweep = now + count.quota.windowMs;
      }
      const key = count.quota.key(req);
      const current = count.windows.get(key);
      // A key is remembered only once a request of it is admitted, so refused floods cost no memory.
      const window =
        current && current.resetAt > now ? current : { hits: 0, resetAt: now + count.quota.windowMs };
      return { count, key, window, admitted: window.hits < count.quota.limit };
    });
    const refused = seen.filter((s) => !s.admitted);
    if (refused.length === 0)
      for (const s of seen) {
        s.window.hits++;
        s.count.windows.set(s.key, s.window);
      }
    const secondsLeft = (window: Window) => Math.max(0, Math.ceil((window.resetAt - now) / 1000));
    res.setHeader('RateLimit-Policy', policyHeader);
    res.setHeader(
      'RateLimit',
      seen
        .map(
          (s) =>
            `"${s.count.quota.name}"; r=${Math.max(0, s.count.quota.limit - s.window.hits)}; t=${secondsLeft(s.window)}`,
        )
        .join(', '),
    );
    if (refused.length === 0) return next();
    // The client may come back when every quota that refused it has a new window.
    const last = refused.reduce((a, b) => (b.window.resetAt > a.window.resetAt ? b : a));
    res.setHeader('Retry-After', String(Math.max(1, secondsLeft(last.window))));
    onLimited(res, last.count.quota.refusal);
  };
}

/** The client's address, as `trust proxy` resolves it; IPv6 grouped by /56 (one subscriber's prefix). */
export const clientAddress = (req: Request) =>
  ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');
