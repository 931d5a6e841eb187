import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { type Config, loadConfig } from './config.js';
import { openDatabase } from './db/connect.js';
import { Store } from './domain/store.js';
import { createApp } from './http/app.js';

export { type Config, configEnv, loadConfig } from './config.js';
export { openDatabase } from './db/connect.js';
export { Store } from './domain/store.js';
export { createApp } from './http/app.js';

export interface RunningTokenService {
  url: string;
  store: Store;
  /**
   * Points the tokens issued from now on at this LiveKit URL: for an engine started after the service,
   * because the engine needs the service's webhook URL first. `publicUrl`: the URL tokens carry when
   * clients reach the engine through a proxy (TLS); the service itself keeps using `url`.
   */
  setLivekitUrl(url: string, publicUrl?: string): void;
  /** Points the publish links issued from now on at this console, for a console started after the service. */
  setConsoleUrl(url: string): void;
  close(): Promise<void>;
}

/** Opens (and migrates) the database, then serves the API. */
export async function startTokenService(overrides: Partial<Config> = {}): Promise<RunningTokenService> {
  const loaded = { ...loadConfig({ ...process.env }), ...overrides };
  // A copy of its own: setLivekitUrl changes it.
  const config: Config = { ...loaded, livekit: { ...loaded.livekit } };
  const log = pino({
    name: 'token-service',
    level: config.logLevel,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'code',
        'apiKey',
        'token',
        '*.token',
        '*.apiKey',
      ],
      censor: '[redacted]',
    },
  });
  const db = await openDatabase(config.databaseUrl);
  const store = new Store(db);
  const app = createApp(store, config, log);
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  log.info({ port, database: config.databaseUrl.replace(/\/\/.*@/, '//***@') }, 'token service listening');
  return {
    url: `http://${config.host}:${port}`,
    store,
    setLivekitUrl(url, publicUrl) {
      config.livekit.url = url;
      config.livekit.publicUrl = publicUrl;
    },
    setConsoleUrl(url) {
      config.consoleUrl = url.replace(/\/+$/, '');
    },
    /** Graceful: stop accepting, let in-flight requests finish (up to 2 s), then close the database. */
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      server.closeAllConnections();
      await closed;
      await db.destroy();
    },
  };
}
