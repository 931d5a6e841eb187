import cors from 'cors';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { Access } from '../domain/access.js';
import type { Store } from '../domain/store.js';
import { tokenIssuer } from '../livekit/tokens.js';
import { serviceMetrics } from './metrics.js';
import { problemHandler, sendProblem } from './problem.js';
import { brandRoutes } from './routes/brands.js';
import { feedRoutes } from './routes/feeds.js';
import { opsRoutes } from './routes/ops.js';
import { sessionRoutes } from './routes/session.js';
import { showRoutes } from './routes/shows.js';
import { viewerTokenRoutes } from './routes/viewer.js';
import { webhookRoutes } from './routes/webhook.js';
import { whipIngestRoutes, whipSettingsRoutes } from './routes/whip.js';

const jsonLimit = '64kb';

export function createApp(store: Store, config: Config, log: Logger): Express {
  const app = express();
  const tokens = tokenIssuer(config);
  const metrics = serviceMetrics(store);
  const access = new Access(store.db);
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  // Every response is dynamic (the public ones no-store): hashing each body for an ETag is wasted work.
  app.set('etag', false);
  app.use(metrics.track);
  app.use(helmet());
  // WHIP encoders send SDP from anywhere (their own CORS rules, their own body parser).
  app.use(whipIngestRoutes(access, tokens, config));
  app.use(cors({ origin: config.corsOrigins, methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] }));
  // The hot public path first, so a viewer's request does not walk the other routers.
  app.use(viewerTokenRoutes(store, config, tokens));
  app.use(opsRoutes(store, metrics.registry));
  // The webhook reads its raw body (the signature covers the exact bytes); everything else is JSON.
  app.use(webhookRoutes(store, config, log));
  app.use(express.json({ limit: jsonLimit, strict: true }));
  app.use((req, res, next) => {
    const hasBody =
      ['POST', 'PUT', 'PATCH'].includes(req.method) && Number(req.headers['content-length'] ?? 0) > 0;
    if (hasBody && !req.is('application/json'))
      return sendProblem(res, 415, 'send JSON (content-type: application/json)');
    next();
  });
  app.use(brandRoutes(store, config.adminToken));
  app.use(sessionRoutes(store, access, config));
  app.use(showRoutes(store, access, tokens, config));
  app.use(feedRoutes(store, access, tokens, config));
  app.use(whipSettingsRoutes(store, access, config));
  app.use((req, res) => sendProblem(res, 404, `no route for ${req.method} ${req.path}`));
  app.use(problemHandler(log));
  return app;
}
