#!/usr/bin/env node
// `scenecast-moderator`: the chat moderator next to the token service; one process serves every show on
// the LiveKit engine it is pointed at (LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET).
import { ApiError, ScenecastClient } from '@scenecast/contract';
import { pino } from 'pino';
import { loadConfig } from './config.js';
import { serveHttp } from './http.js';
import { startModerator } from './moderator.js';
import type { WordList } from './rules.js';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  console.error(`scenecast moderator: ${(error as Error).message}`);
  process.exit(2);
}
const log = pino({ name: 'moderator', level: config.logLevel });
const tokenService = config.tokenService;

const operator =
  tokenService &&
  new ScenecastClient({ baseUrl: tokenService.url, key: tokenService.adminToken, timeoutMs: 5_000 });
/** A show's brand's word list, from the token service (operator access); a show it does not know has none. */
const wordList = operator
  ? async (show: string): Promise<WordList | undefined> => {
      const policy = await operator.chatPolicy(show).catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 404) return undefined;
        throw error;
      });
      return policy && { words: policy.blockedWords, action: policy.action };
    }
  : undefined;

const pollMs = 2_000;
const moderator = await startModerator({
  livekit: config.livekit,
  limits: config.limits,
  wordList,
  log,
  pollMs,
});
const http = await serveHttp(moderator, { host: config.host, port: config.port, staleMs: 5 * pollMs });
console.log(`scenecast moderator ready: ${config.livekit.url} (health and metrics: ${http.url})`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    http.server.close();
    void moderator.close().then(() => process.exit(0));
  });
}
