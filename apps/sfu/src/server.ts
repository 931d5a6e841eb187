import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { reportFault } from './guard.js';
import { createLogger, type Logger } from './logging.js';
import { RoomManager } from './rtc/room-manager.js';
import { enlargeUdpBuffers } from './rtc/udp-buffers.js';
import { RoomService } from './service/room-service.js';
import { createHttpHandler } from './service/routes.js';
import { defaultSessionTimings, RtcService, type SessionTimings } from './service/rtc-service.js';
import { WebhookNotifier } from './service/webhooks.js';
import { WhipService } from './service/whip-service.js';
import { type DataLimits, defaultDataLimits } from './sfu/data-limiter.js';
import { registry } from './telemetry.js';

export interface SfuConfig {
  /** HTTP and WebSocket port; 0 picks a free one. */
  port: number;
  bindAddress: string;
  /** API key → secret. */
  keys: Record<string, string>;
  rtc: { portRange?: [number, number]; nodeIp?: string };
  webhook?: { urls: string[]; apiKey: string };
  room: { emptyTimeout: number; departureTimeout: number; maxParticipants: number };
  /** Token refresh, resume window and signal timeout; the defaults are LiveKit's. */
  session?: Partial<SessionTimings>;
  /** Each participant's data limits (src/sfu/data-limiter.ts); defaults in `defaultDataLimits`. */
  data?: Partial<DataLimits>;
  logger?: Logger;
}

export const defaultConfig: SfuConfig = {
  port: 7880,
  bindAddress: '127.0.0.1',
  keys: { devkey: 'secret' },
  rtc: {},
  room: { emptyTimeout: 300, departureTimeout: 20, maxParticipants: 0 },
};

export interface RunningSfu {
  /** `ws://host:port`, what LIVEKIT_URL should be. */
  url: string;
  httpUrl: string;
  port: number;
  rooms: RoomManager;
  close(): Promise<void>;
}

/** Starts the SFU: signalling, the server API and metrics on one HTTP port, media over UDP. */
export async function startSfu(overrides: Partial<SfuConfig> = {}): Promise<RunningSfu> {
  const config: SfuConfig = {
    ...defaultConfig,
    ...overrides,
    room: { ...defaultConfig.room, ...overrides.room },
  };
  const log = config.logger ?? createLogger();
  enlargeUdpBuffers(log);
  const keys = new Map(Object.entries(config.keys));
  const webhookSecret = config.webhook ? keys.get(config.webhook.apiKey) : undefined;
  if (config.webhook && webhookSecret === undefined) {
    throw new Error(`webhook api_key "${config.webhook.apiKey}" is not one of the configured keys`);
  }
  const webhooks = new WebhookNotifier(
    config.webhook && webhookSecret !== undefined
      ? { urls: config.webhook.urls, apiKey: config.webhook.apiKey, apiSecret: webhookSecret }
      : undefined,
    log,
  );
  const rooms = new RoomManager(
    { ...config.room, data: { ...defaultDataLimits, ...config.data } },
    webhooks,
    log,
  );
  const rtc = new RtcService(rooms, keys, config.rtc, log, {
    ...defaultSessionTimings,
    ...config.session,
  });
  const roomService = new RoomService(rooms, keys);
  const whip = new WhipService(rooms, keys, config.rtc, log);
  const handle = createHttpHandler({ rooms, rtc, roomService, whip, keys, log });

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.error({ err: error }, 'http handler failed');
      if (!res.headersSent) res.writeHead(500).end('internal error');
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '');
    if (path === '/rtc' || path === '/rtc/v1') {
      rtc.handleUpgrade(req, socket, head, url).catch((error: unknown) => {
        reportFault('signal_upgrade', log, error);
        socket.destroy();
      });
    } else {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.bindAddress, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.bindAddress.includes(':') ? `[${config.bindAddress}]` : config.bindAddress;
  log.info({ port, bind: config.bindAddress }, 'sfu listening');

  return {
    url: `ws://${host}:${port}`,
    httpUrl: `http://${host}:${port}`,
    port,
    rooms,
    async close() {
      rooms.closeAll();
      rtc.close();
      await webhooks.flush();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;
export { registry };
