import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

const require = createRequire(import.meta.url);

/**
 * Serves a blank page with livekit-client's UMD bundle (global `LivekitClient`), so browser tests drive
 * the official SDK exactly as an app would, with nothing of ours in between. `host`: where to listen (a
 * network namespace's host address, for a browser inside it).
 */
export async function serveLivekitClientPage(
  host = '127.0.0.1',
): Promise<{ url: string; close(): Promise<void> }> {
  const bundle = readFileSync(
    require.resolve('livekit-client') /* the UMD build: exports' require condition */,
  );
  const page =
    '<!doctype html><html><body><script src="/livekit-client.js"></script><div id="media"></div></body></html>';
  const server: Server = createServer((req, res) => {
    if (req.url === '/livekit-client.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
