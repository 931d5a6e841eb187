import { isIP } from 'node:net';
import { z } from 'zod';

const csv = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const units = { s: 1, m: 60, h: 3600 } as const;
/** A token lifetime: seconds, or a number with s, m or h ("15m"); at most a day, since tokens are short. */
const ttl = z
  .string()
  .regex(/^\d+[smh]?$/, 'a number of seconds, or a number with s, m or h (e.g. 15m)')
  .transform((v) => {
    const unit = v.at(-1) as string;
    return unit in units ? Number(v.slice(0, -1)) * units[unit as keyof typeof units] : Number(v);
  })
  .refine((seconds) => seconds > 0 && seconds <= 86_400, 'between 1 s and 24 h');

const proxyNames = new Set(['loopback', 'linklocal', 'uniquelocal']);
/**
 * Which proxies' X-Forwarded-For Express believes (its `trust proxy`): a hop count, or named ranges and
 * addresses/CIDRs separated by commas. The rate limiter keys clients by the address this yields.
 */
const trustProxy = z
  .string()
  .refine(
    (v) =>
      /^\d+$/.test(v) ||
      csv(v).every((entry) => {
        const [address, bits, ...rest] = entry.split('/');
        return (
          proxyNames.has(entry) ||
          (rest.length === 0 && isIP(address ?? '') !== 0 && (bits === undefined || /^\d{1,3}$/.test(bits)))
        );
      }),
    'a hop count, or loopback, linklocal, uniquelocal and IP addresses or CIDRs separated by commas',
  )
  .transform((v) => (/^\d+$/.test(v) ? Number(v) : csv(v)));

/** Every variable the service reads; deployments are checked against these keys (tests/infra). */
export const configEnv = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DATABASE_URL: z.string().default('file:.scenecast/token-service.db'),
  LIVEKIT_URL: z.string().default('ws://127.0.0.1:7880'),
  LIVEKIT_API_KEY: z.string().default('devkey'),
  LIVEKIT_API_SECRET: z.string().default('secret'),
  SCENECAST_ADMIN_TOKEN: z.string().min(16).optional(),
  CORS_ORIGINS: z.string().default('http://127.0.0.1:5173,http://localhost:5173'),
  VIEWER_TOKEN_RATE_LIMIT: z.coerce.number().int().positive().default(30),
  VIEWER_TOKEN_ADDRESS_RATE_LIMIT: z.coerce.number().int().positive().default(2000),
  VIEWER_TOKEN_SHOW_RATE_LIMIT: z.coerce.number().int().positive().default(12_000),
  VIEWER_TOKEN_TTL: ttl.prefault('15m'),
  FEED_TOKEN_TTL: ttl.prefault('1h'),
  SESSION_TTL: ttl.prefault('8h'),
  PUBLISH_LINK_TTL: ttl.prefault('30m'),
  CONSOLE_URL: z.url().default('http://127.0.0.1:5174'),
  TRUST_PROXY: trustProxy.prefault('loopback'),
  /** `true`: brands may link evidence over plain http: (an old certificate site); https: only otherwise. */
  EVIDENCE_ALLOW_HTTP: z.stringbool().default(false),
  LOG_LEVEL: z.string().default('info'),
});

export interface Config {
  host: string;
  port: number;
  /** `file:<path>` or `:memory:` for SQLite, `postgres://…` for PostgreSQL. */
  databaseUrl: string;
  /**
   * `url`: where the service reaches the engine (RoomService); `publicUrl`: the one put in tokens, when
   * clients reach the engine another way (through a TLS proxy, `npm start -- --https`); default `url`.
   */
  livekit: { url: string; publicUrl?: string; apiKey: string; apiSecret: string };
  /** Operator secret for creating brands; brand creation is disabled without it. */
  adminToken: string | undefined;
  corsOrigins: string[];
  /** Viewer tokens per client (a viewer's client id at one address) per minute. */
  viewerTokenRateLimit: number;
  /** Viewer tokens per address (IPv4, IPv6 /56) per minute: a carrier NAT puts thousands behind one. */
  viewerTokenAddressRateLimit: number;
  /** Viewer tokens per show per minute, whoever asks: how fast one show admits its audience. */
  viewerTokenShowRateLimit: number;
  /** The window those three count in: a minute (not an environment variable; tests shorten it). */
  viewerTokenRateWindowSeconds: number;
  viewerTokenTtlSeconds: number;
  feedTokenTtlSeconds: number;
  /** How long a console sign-in lasts. */
  sessionTtlSeconds: number;
  /** How long a publish link works, unless its request asks for less (or more, up to a day). */
  publishLinkTtlSeconds: number;
  /** Where the console is served: publish links point at its publish page. */
  consoleUrl: string;
  /** Express `trust proxy`: hops, or the proxies (named ranges, addresses, CIDRs) allowed to set X-Forwarded-For. */
  trustProxy: number | string[];
  /** Evidence links may be http: as well as https:. */
  evidenceAllowHttp: boolean;
  logLevel: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configEnv.safeParse(env);
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
    viewerTokenAddressRateLimit: e.VIEWER_TOKEN_ADDRESS_RATE_LIMIT,
    viewerTokenShowRateLimit: e.VIEWER_TOKEN_SHOW_RATE_LIMIT,
    viewerTokenRateWindowSeconds: 60,
    viewerTokenTtlSeconds: e.VIEWER_TOKEN_TTL,
    feedTokenTtlSeconds: e.FEED_TOKEN_TTL,
    sessionTtlSeconds: e.SESSION_TTL,
    publishLinkTtlSeconds: e.PUBLISH_LINK_TTL,
    consoleUrl: e.CONSOLE_URL.replace(/\/+$/, ''),
    trustProxy: e.TRUST_PROXY,
    evidenceAllowHttp: e.EVIDENCE_ALLOW_HTTP,
    logLevel: e.LOG_LEVEL,
  };
}
