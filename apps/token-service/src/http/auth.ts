import { timingSafeEqual } from 'node:crypto';
import { csrfHeader, sessionCookie } from '@scenecast/contract';
import { parse as parseCookies } from 'cookie';
import type { Request, RequestHandler } from 'express';
import type { Brand } from '../db/schema.js';
import { Access } from '../domain/access.js';
import type { Store } from '../domain/store.js';
import { HttpError } from './problem.js';

declare global {
  namespace Express {
    interface Request {
      /** The brand a valid API key or console session belongs to (set by requireBrand). */
      brand?: Brand;
    }
  }
}

export function bearer(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
}

/** The console's session cookie, if the request carries one. */
export const sessionOf = (req: Request): string | undefined =>
  parseCookies(req.headers.cookie ?? '')[sessionCookie] || undefined;

const reads = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Brand endpoints: `Authorization: Bearer <brand API key>` (scripts), or the console's session cookie —
 * which the browser sends by itself, so every write made with it must also carry the session's CSRF
 * token in `x-csrf-token`, which only the console's own page can have read.
 */
export function requireBrand(store: Store, access: Access): RequestHandler {
  return async (req, _res, next) => {
    const key = bearer(req.headers.authorization);
    if (key) {
      const brand = await store.authenticate(key);
      if (!brand) return next(new HttpError(401, 'invalid brand API key'));
      req.brand = brand;
      return next();
    }
    const cookie = sessionOf(req);
    if (!cookie)
      return next(new HttpError(401, 'sign in, or send a brand API key (Authorization: Bearer <key>)'));
    const session = await access.session(cookie);
    if (!session) return next(new HttpError(401, 'your session has expired or ended: sign in again'));
    if (!reads.has(req.method) && !Access.csrfMatches(req.get(csrfHeader), session.csrfHash))
      return next(new HttpError(403, `missing or wrong CSRF token (${csrfHeader})`));
    req.brand = session.brand;
    next();
  };
}

/** Operator endpoints: the SCENECAST_ADMIN_TOKEN secret, compared in constant time. */
export function requireAdmin(adminToken: string | undefined): RequestHandler {
  return (req, _res, next) => {
    if (!adminToken)
      return next(new HttpError(403, 'operator endpoints are disabled: SCENECAST_ADMIN_TOKEN is not set'));
    const given = Buffer.from(bearer(req.headers.authorization) ?? '');
    const expected = Buffer.from(adminToken);
    const ok = given.length === expected.length && timingSafeEqual(given, expected);
    next(ok ? undefined : new HttpError(401, 'invalid operator token'));
  };
}
