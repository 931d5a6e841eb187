import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApiKeys, bearer, verifyToken } from '../auth.js';
import { asSfuError } from '../errors.js';
import type { Logger } from '../logging.js';
import type { RoomManager } from '../rtc/room-manager.js';
import { registry } from '../telemetry.js';
import type { RoomService } from './room-service.js';
import type { RtcService } from './rtc-service.js';
import { WhipService } from './whip-service.js';

export interface HttpContext {
  rooms: RoomManager;
  rtc: RtcService;
  whip: WhipService;
  roomService: RoomService;
  keys: ApiKeys;
  log: Logger;
}

/**
 * Plain HTTP endpoints: health, `/rtc/validate` (and v1's), Prometheus metrics, the SFU's view of its
 * rooms (`/debug/rooms`, as LiveKit's, for a token that may list rooms), the Twirp server API and WHIP
 * ingest (`/whip/v1`, its own CORS rules).
 */
export function createHttpHandler(ctx: HttpContext) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (WhipService.handles(path)) {
      await ctx.whip.handle(req, res, path);
      return;
    }
    // Browsers call /rtc/validate and the Twirp API cross-origin, as with LiveKit's own server.
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
    res.setHeader('access-control-allow-headers', 'authorization, content-type');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'GET' && path === '/') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
      return;
    }
    if (req.method === 'GET' && (path === '/rtc/validate' || path === '/rtc/v1/validate')) {
      const { status, body } = await ctx.rtc.validate(url, req.headers.authorization);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
      return;
    }
    if (req.method === 'GET' && path === '/debug/rooms') {
      try {
        const { grant } = await verifyToken(bearer(req.headers.authorization), ctx.keys);
        if (!grant.roomList) {
          res.writeHead(403, { 'content-type': 'text/plain' }).end('the token may not list rooms (roomList)');
          return;
        }
      } catch (error) {
        res.writeHead(401, { 'content-type': 'text/plain' }).end(asSfuError(error).message);
        return;
      }
      const rooms = ctx.rooms.list().map((room) => room.debugInfo());
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(rooms));
      return;
    }
    const twirp = /^\/twirp\/livekit\.RoomService\/(\w+)$/.exec(path);
    if (twirp) {
      await ctx.roomService.handle(req, res, twirp[1]!);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  };
}
