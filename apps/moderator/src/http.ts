import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningModerator } from './moderator.js';
import { registry } from './telemetry.js';

/**
 * `/healthz` (200 while the engine answered which shows there are within `staleMs`, else 503) and
 * `/metrics` for Prometheus; nothing else. For the operator's network only.
 */
export async function serveHttp(
  moderator: RunningModerator,
  { host, port, staleMs }: { host: string; port: number; staleMs: number },
): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/healthz') {
      const last = moderator.lastPoll();
      const ok = last !== undefined && performance.now() - last < staleMs;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok, shows: moderator.shows().length }));
    } else if (req.method === 'GET' && req.url === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return { url: `http://${host}:${(server.address() as AddressInfo).port}`, server };
}
