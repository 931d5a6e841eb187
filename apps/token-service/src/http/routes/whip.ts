import { endpoints as e } from '@scenecast/contract';
import cors from 'cors';
import express, { type Request, type Response, Router } from 'express';
import type { Config } from '../../config.js';
import type { Access } from '../../domain/access.js';
import type { Store } from '../../domain/store.js';
import { roomControl } from '../../livekit/rooms.js';
import type { TokenIssuer } from '../../livekit/tokens.js';
import { bearer, requireBrand } from '../auth.js';
import { reply, routeOf } from '../endpoint.js';
import { HttpError, sendProblem } from '../problem.js';
import { clientAddress, rateLimit } from '../rate-limit.js';
import { WhipEtags } from '../whip-etags.js';

/** The feed token an encoder's session is admitted with: it only has to reach the engine's `/whip/v1`. */
const whipTokenTtlSeconds = 60;
/** The engine's own WHIP endpoint (livekit-server's and the embedded SFU's). */
const engineWhipPath = '/whip/v1';
/** An SDP offer with a few hundred candidates is well under this. */
const sdpLimit = '128kb';

/** A brand's WHIP settings for a feed: a new stream key (shown once), or none (revoked, encoder disconnected). */
export function whipSettingsRoutes(store: Store, access: Access, config: Config): Router {
  const router = Router();
  const brand = requireBrand(store, access);
  const rooms = roomControl(config);

  router.post(routeOf(e.whipSettings), brand, async (req, res) => {
    const feed = await store.ownedFeed(req.brand!.id, String(req.params.id));
    const streamKey = await access.createWhipKey(feed.id);
    res.set('cache-control', 'no-store');
    reply(res, e.whipSettings, {
      url: `${req.protocol}://${req.get('host')}${e.whipIngest.path}`,
      streamKey,
    });
  });

  router.delete(routeOf(e.revokeWhip), brand, async (req, res) => {
    const feed = await store.ownedFeed(req.brand!.id, String(req.params.id));
    await access.revokeWhipKey(feed.id);
    await rooms.disconnect(feed.showId, feed.identity);
    reply(res, e.revokeWhip, undefined);
  });
  return router;
}

/**
 * WHIP ingest for encoders (OBS, hardware encoders, browsers), in front of the engine's own `/whip/v1`:
 * the stream key is checked on every request (so a revoked key stops at once), swapped for a short-lived
 * feed token, and the offer, trickle or end is passed on; the engine's answer comes back with a Location
 * of ours. Only signalling passes here: media flows between the encoder and the engine. Mounted before
 * the JSON body parser (SDP bodies) and the console's CORS (any origin may publish with a key; no cookies).
 */
export function whipIngestRoutes(access: Access, tokens: TokenIssuer, config: Config): Router {
  const router = Router();
  const paths = [e.whipIngest.path, `${e.whipIngest.path}/*session`];
  router.use(
    paths,
    cors({
      origin: '*',
      methods: ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
      allowedHeaders: ['authorization', 'content-type', 'if-match'],
      exposedHeaders: ['location', 'etag', 'link'],
    }),
  );
  // Stream keys are 256-bit random, but a client guessing them is still refused soon.
  const limiter = rateLimit({
    quotas: [
      {
        name: 'whip',
        limit: 120,
        windowMs: 60_000,
        key: clientAddress,
        refusal: 'too many WHIP requests; try again in a minute',
      },
    ],
    onLimited: (res, detail) => sendProblem(res, 429, detail),
  });
  const body = express.raw({ type: () => true, limit: sdpLimit });
  const etags = new WhipEtags(config.livekit.apiSecret);

  /**
   * Passes a request on to the engine with the feed's token, and its answer back. A PATCH's If-Match must
   * be the session's ETag as we sealed it (412 otherwise; none, or `*` for an ICE restart, the engine
   * answers); the engine gets its own tag.
   */
  async function forward(req: Request, res: Response, session?: string): Promise<void> {
    const key = bearer(req.headers.authorization);
    const feed = key ? await access.whipFeed(key) : undefined;
    if (!feed)
      throw new HttpError(401, 'unknown or revoked stream key: copy the current one from the console');
    const { token } = await tokens.feed(feed, false, whipTokenTtlSeconds);
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    const contentType = req.headers['content-type'];
    if (contentType) headers['content-type'] = contentType;
    const ifMatch = req.headers['if-match'];
    if (ifMatch && req.method === 'PATCH' && session !== undefined) {
      const engineTag = ifMatch.trim() === '*' ? '*' : etags.open(session, ifMatch);
      if (!engineTag) throw new HttpError(412, 'the If-Match entity tag is not this session’s ETag');
      headers['if-match'] = engineTag;
    }
    const enginePath =
      session === undefined ? engineWhipPath : `${engineWhipPath}/${encodeURIComponent(session)}`;
    const payload = Buffer.isBuffer(req.body) && req.body.length > 0 ? req.body : undefined;
    let answer: globalThis.Response;
    try {
      const engine = config.livekit.url.replace(/^ws/, 'http');
      answer = await fetch(`${engine}${enginePath}`, { method: req.method, headers, body: payload });
    } catch (error) {
      throw new HttpError(502, `the engine could not be reached (${(error as Error).message}); try again`);
    }
    const text = await answer.text();
    if (!answer.ok) {
      let reason = text;
      try {
        reason = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        // a plain-text reason
      }
      // The encoder's own mistakes pass through; the engine refusing our token or failing is ours (502).
      const status =
        answer.status >= 500 || answer.status === 401 || answer.status === 403 ? 502 : answer.status;
      sendProblem(res, status, `the engine refused the ${req.method}: ${reason || answer.statusText}`);
      return;
    }
    const location = answer.headers.get('location');
    if (location) res.set('location', location.replace(engineWhipPath, e.whipIngest.path));
    for (const name of ['content-type', 'link']) {
      const value = answer.headers.get(name);
      if (value) res.set(name, value);
    }
    const etag = answer.headers.get('etag');
    const named = session ?? location?.split('/').pop();
    if (etag && named) res.set('etag', etags.seal(decodeURIComponent(named), etag));
    res.set('cache-control', 'no-store');
    res.status(answer.status).send(text);
  }

  // RFC 9725: a GET of the endpoint or a session is answered without content, as the engines do.
  router.get(paths, (_req, res) => {
    res.status(204).end();
  });
  router.post(routeOf(e.whipIngest), limiter, body, (req, res) => forward(req, res));
  const session = (req: Request) => String(req.params.session);
  router.patch(routeOf(e.whipTrickle), limiter, body, (req, res) => forward(req, res, session(req)));
  router.delete(routeOf(e.whipEnd), limiter, (req, res) => forward(req, res, session(req)));
  return router;
}
