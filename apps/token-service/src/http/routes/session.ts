import { endpoints as e, type Session, sessionCookie } from '@scenecast/contract';
import { type Request, type Response, Router } from 'express';
import type { Config } from '../../config.js';
import type { Access } from '../../domain/access.js';
import type { Store } from '../../domain/store.js';
import { requireBrand, sessionOf } from '../auth.js';
import { reply, routeOf } from '../endpoint.js';
import { HttpError, sendProblem } from '../problem.js';
import { clientAddress, rateLimit } from '../rate-limit.js';

/** httpOnly (no script reads it), SameSite=Strict (no other site's request carries it), Secure over https. */
const cookieOptions = (req: Request) =>
  ({ httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' }) as const;

const sessionView = (brand: { id: string; name: string }, csrfToken: string, expiresAt: string): Session => ({
  brand: { id: brand.id, name: brand.name },
  csrfToken,
  expiresAt,
});

/** The console's sign-in: a brand key in, a session cookie and CSRF token out; the key is not kept. */
export function sessionRoutes(store: Store, access: Access, config: Config): Router {
  const router = Router();
  // Guessing keys is the attack here: a few tries a minute per client is plenty for a person.
  const limiter = rateLimit({
    quotas: [
      {
        name: 'sign-in',
        limit: 20,
        windowMs: 60_000,
        key: clientAddress,
        refusal: 'too many sign-in attempts; try again in a minute',
      },
    ],
    onLimited: (res, detail) => sendProblem(res, 429, detail),
  });
  const noStore = (res: Response) => res.set('cache-control', 'no-store');

  router.post(routeOf(e.signIn), limiter, async (req, res) => {
    const { key } = e.signIn.body.parse(req.body ?? {});
    const brand = await store.authenticate(key);
    if (!brand) throw new HttpError(401, 'that brand key is not valid');
    const session = await access.openSession(brand, config.sessionTtlSeconds);
    res.cookie(sessionCookie, session.secret, {
      ...cookieOptions(req),
      expires: new Date(session.expiresAt),
    });
    noStore(res);
    reply(res, e.signIn, sessionView(brand, session.csrfToken, session.expiresAt));
  });

  const brand = requireBrand(store, access);
  router.get(routeOf(e.getSession), brand, async (req, res) => {
    const cookie = sessionOf(req);
    if (!cookie) throw new HttpError(400, 'a console session is read with its cookie, not a key');
    const session = (await access.session(cookie))!;
    noStore(res);
    reply(res, e.getSession, sessionView(req.brand!, await access.renewCsrf(cookie), session.expiresAt));
  });

  router.delete(routeOf(e.signOut), brand, async (req, res) => {
    const cookie = sessionOf(req);
    if (cookie) await access.closeSession(cookie);
    res.clearCookie(sessionCookie, cookieOptions(req));
    reply(res, e.signOut, undefined);
  });
  return router;
}
