import { z } from 'zod';

const csv = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const schema = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DATABASE_URL: z.string().default('file:.scenecast/token-service.db'),
  LIVEKIT_URL: z.string().default('ws://127.0.0.1:7880'),
  LIVEKIT_API_KEY: z.string().default('devkey'),
  LIVEKIT_API_SECRET: z.string().default('secret'),
  SCENECAST_ADMIN_TOKEN: z.string().min(16).optional(),
  CORS_ORIGINS: z.string().default('http://127.0.0.1:5173,http://localhost:5173'),
  VIEWER_TOKEN_RATE_LIMIT: z.coerce.number().int().positive().default(30),
  VIEWER_TOKEN_TTL: z.string().default('15m'),
  FEED_TOKEN_TTL: z.string().default('1h'),
  LOG_LEVEL: z.string().default('info'),
});

export interface Config {
  host: string;
  port: number;
  /** `file:<path>` or `:memory:` for SQLite, `postgres://…` for PostgreSQL. */
  databaseUrl: string;
  livekit: { url: string; apiKey: string; apiSecret: string };
  /** Operator secret for creating brands; brand creation is disabled without it. */
  adminToken: string | undefined;
  corsOrigins: string[];
  /** Viewer tokens per client per minute. */
  viewerTokenRateLimit: number;
  viewerTokenTtl: string;
  feedTokenTtl: string;
  logLevel: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${issues}`);
  }
  const e = parsed.data;
  return {
    host: e.HOST,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    livekit: { url: e.LIVEKIT_URL, apiKey: e.LIVEKIT_API_KEY, apiSecret: e.LIVEKIT_API_SECRET },
    adminToken: e.SCENECAST_ADMIN_TOKEN,
    corsOrigins: csv(e.CORS_ORIGINS),
    viewerTokenRateLimit: e.VIEWER_TOKEN_RATE_LIMIT,
    viewerTokenTtl: e.VIEWER_TOKEN_TTL,
    feedTokenTtl: e.FEED_TOKEN_TTL,
    logLevel: e.LOG_LEVEL,
  };
}
