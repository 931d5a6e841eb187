import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Brand } from '../db/schema.js';
import type { Store } from '../domain/store.js';
import { HttpError } from './problem.js';

declare global {
  namespace Express {
    interface Request {
      /** The brand a valid API key belongs to (set by requireBrand). */
      brand?: Brand;
    }
  }
}

function bearer(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
}

/** Brand endpoints: `Authorization: Bearer <brand API key>`. */
export function requireBrand(store: Store): RequestHandler {
  return async (req, _res, next) => {
    const key = bearer(req.headers.authorization);
    if (!key) return next(new HttpError(401, 'missing brand API key (Authorization: Bearer <key>)'));
    const brand = await store.authenticate(key);
    if (!brand) return next(new HttpError(401, 'invalid brand API key'));
    req.brand = brand;
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
