import { z } from 'zod';
import type { ChatLimits } from './rules.js';

const count = z.coerce.number().int().positive();

export const configEnv = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8090),
  LIVEKIT_URL: z.string().default('ws://127.0.0.1:7880'),
  LIVEKIT_API_KEY: z.string().default('devkey'),
  LIVEKIT_API_SECRET: z.string().default('secret'),
  /** Where brands' word lists come from; without it the moderator masks nothing. */
  TOKEN_SERVICE_URL: z.url().optional(),
  SCENECAST_ADMIN_TOKEN: z.string().min(16).optional(),
  CHAT_MAX_LENGTH: count.optional(),
  CHAT_PER_SENDER_PER_SECOND: z.coerce.number().positive().optional(),
  CHAT_PER_SENDER_BURST: count.optional(),
  CHAT_ROOM_PER_SECOND: count.optional(),
  CHAT_MUTE_AFTER_STRIKES: count.optional(),
  LOG_LEVEL: z.string().default('info'),
});

export interface ModeratorConfig {
  /** Where `/healthz` and `/metrics` listen (`0`: any free port). */
  host: string;
  port: number;
  livekit: { url: string; apiKey: string; apiSecret: string };
  tokenService: { url: string; adminToken: string } | undefined;
  limits: Partial<ChatLimits>;
  logLevel: string;
}

/** The moderator's configuration from the environment; invalid values throw, naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ModeratorConfig {
  const parsed = configEnv.safeParse(env);
  if (!parsed.success)
    throw new Error(
      `invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const e = parsed.data;
  if (e.TOKEN_SERVICE_URL && !e.SCENECAST_ADMIN_TOKEN)
    throw new Error(
      'invalid configuration: TOKEN_SERVICE_URL needs SCENECAST_ADMIN_TOKEN to read word lists',
    );
  const limits: Partial<ChatLimits> = {
    maxLength: e.CHAT_MAX_LENGTH,
    perSenderPerSecond: e.CHAT_PER_SENDER_PER_SECOND,
    perSenderBurst: e.CHAT_PER_SENDER_BURST,
    roomPerSecond: e.CHAT_ROOM_PER_SECOND,
    muteAfterStrikes: e.CHAT_MUTE_AFTER_STRIKES,
  };
  return {
    host: e.HOST,
    port: e.PORT,
    livekit: { url: e.LIVEKIT_URL, apiKey: e.LIVEKIT_API_KEY, apiSecret: e.LIVEKIT_API_SECRET },
    tokenService:
      e.TOKEN_SERVICE_URL && e.SCENECAST_ADMIN_TOKEN
        ? { url: e.TOKEN_SERVICE_URL, adminToken: e.SCENECAST_ADMIN_TOKEN }
        : undefined,
    limits: Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)),
    logLevel: e.LOG_LEVEL,
  };
}
