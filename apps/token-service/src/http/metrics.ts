import type { RequestHandler } from 'express';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from '../domain/store.js';

/**
 * The service's Prometheus metrics (`GET /metrics`), one registry per running service: process metrics,
 * requests by route pattern and status (the 5xx alert), and the live shows' feeds (the feed-offline
 * alert) read from the database at scrape time, so every instance reports the same truth.
 * infra/observability's rules and dashboards query these names; tests/infra checks they exist.
 */
export function serviceMetrics(store: Store): { registry: Registry; track: RequestHandler } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'token_service_' });
  const requests = new Counter({
    name: 'token_service_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'token_service_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method and route pattern',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  new Gauge({
    name: 'token_service_feed_live',
    help: 'Each feed of a show whose status is live: 1 while its camera publishes, 0 while it is offline',
    labelNames: ['show', 'scene', 'feed'],
    registers: [registry],
    async collect() {
      const feeds = await store.liveShowFeeds();
      this.reset();
      for (const f of feeds) this.set({ show: f.showId, scene: f.sceneId, feed: f.feedId }, f.live ? 1 : 0);
    },
  });
  // Labelled by the matched route's pattern, never the raw path, so ids do not multiply the series.
  const track: RequestHandler = (req, res, next) => {
    const start = performance.now();
    res.once('finish', () => {
      const route = req.route ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      requests.inc({ method: req.method, route, status: res.statusCode });
      duration.observe({ method: req.method, route }, (performance.now() - start) / 1000);
    });
    next();
  };
  return { registry, track };
}
