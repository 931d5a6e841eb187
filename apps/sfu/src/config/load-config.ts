import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { defaultConfig, type SfuConfig } from '../server.js';
import type { SessionTimings } from '../service/rtc-service.js';
import type { DataLimits } from '../sfu/data-limiter.js';

/** The subset of LiveKit's livekit.yaml we honour; the same file can drive either engine. */
const yamlSchema = z
  .object({
    port: z.number().int().min(0).max(65535).optional(),
    bind_addresses: z.array(z.string()).min(1).optional(),
    keys: z.record(z.string(), z.string()).optional(),
    log_level: z.string().optional(),
    rtc: z
      .object({
        udp_port: z.number().int().min(1).max(65535).optional(),
        port_range_start: z.number().int().min(1).max(65535).optional(),
        port_range_end: z.number().int().min(1).max(65535).optional(),
        node_ip: z.string().optional(),
      })
      .optional(),
    webhook: z.object({ urls: z.array(z.url()).optional(), api_key: z.string().optional() }).optional(),
    room: z
      .object({
        empty_timeout: z.number().int().min(0).optional(),
        departure_timeout: z.number().int().min(0).optional(),
        max_participants: z.number().int().min(0).optional(),
      })
      .optional(),
  })
  .loose();

/**
 * Keys the schema does not know, as dotted paths, so they are reported instead of silently ignored.
 * Read from the schema itself (its objects' shapes), so it cannot drift from what is honoured.
 */
function unknownKeys(doc: unknown, schema: z.ZodType = yamlSchema, path = ''): string[] {
  const inner = schema instanceof z.ZodOptional ? schema.unwrap() : schema;
  if (!(inner instanceof z.ZodObject) || !doc || typeof doc !== 'object' || Array.isArray(doc)) return [];
  const shape = inner.shape as Record<string, z.ZodType>;
  return Object.entries(doc).flatMap(([key, value]) => {
    const at = path ? `${path}.${key}` : key;
    return Object.hasOwn(shape, key) ? unknownKeys(value, shape[key]!, at) : [at];
  });
}

/** LIVEKIT_KEYS as LiveKit reads it: "key1: secret1, key2: secret2" (or one pair per line). */
export function parseKeys(value: string | undefined): Record<string, string> | undefined {
  if (!value) return undefined;
  const pairs = value
    .split(/[,\n]/)
    .map((pair) => pair.split(':').map((s) => s.trim()))
    .filter((pair): pair is [string, string] => pair.length === 2 && !!pair[0] && !!pair[1]);
  return pairs.length > 0 ? Object.fromEntries(pairs) : undefined;
}

export interface LoadedConfig {
  config: SfuConfig;
  logLevel: string | undefined;
  warnings: string[];
}

/**
 * Config from, in rising precedence: defaults (`livekit-server --dev`), livekit.yaml (`--config` or
 * LIVEKIT_CONFIG as YAML text), environment (PORT, LIVEKIT_BIND, LIVEKIT_KEYS, LIVEKIT_WEBHOOK_URLS),
 * flags. Invalid values throw with a message naming them.
 */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): LoadedConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      bind: { type: 'string' },
      keys: { type: 'string' },
      'node-ip': { type: 'string' },
      'udp-port': { type: 'string' },
      'port-range': { type: 'string' },
      dev: { type: 'boolean' },
      'token-refresh-ms': { type: 'string' },
      'resume-window-ms': { type: 'string' },
      'signal-timeout-ms': { type: 'string' },
      'data-packets-per-second': { type: 'string' },
      'data-burst-packets': { type: 'string' },
      'data-bytes-per-second': { type: 'string' },
      'data-abuse-drops': { type: 'string' },
    },
    strict: true,
  });
  const text = values.config ? readFileSync(values.config, 'utf8') : env.LIVEKIT_CONFIG;
  const raw = text ? ((parseYaml(text) ?? {}) as Record<string, unknown>) : {};
  const parsed = yamlSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `invalid config: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const doc = parsed.data;
  // A `redis:` section asks for a cluster, which a single in-process SFU cannot be: refuse rather than run
  // one node that the operator believes is many.
  if ('redis' in raw)
    throw new Error(
      'redis: the embedded SFU runs as one node and does not cluster; for more than one node run LiveKit ' +
        '(livekit-server with infra/livekit/cluster.yaml, or LiveKit Cloud)',
    );
  const warnings = unknownKeys(raw).map((key) => `unsupported config key ignored: ${key}`);

  const keys = parseKeys(values.keys) ?? parseKeys(env.LIVEKIT_KEYS) ?? doc.keys ?? defaultConfig.keys;
  const port = Number(values.port ?? env.PORT ?? doc.port ?? defaultConfig.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`invalid port: ${values.port ?? env.PORT}`);

  // werift opens one socket per peer connection, so a single UDP port cannot be shared: `udp_port`
  // starts a 1000-port range instead (and says so), `port_range_*` is honoured as given.
  let portRange: [number, number] | undefined;
  const range = values['port-range']?.split('-').map(Number);
  if (range && range.length === 2 && range[0]! < range[1]!) portRange = [range[0]!, range[1]!];
  else if (doc.rtc?.port_range_start && doc.rtc.port_range_end)
    portRange = [doc.rtc.port_range_start, doc.rtc.port_range_end];
  const udpPort = Number(values['udp-port'] ?? doc.rtc?.udp_port ?? 0);
  if (!portRange && udpPort) {
    portRange = [udpPort, Math.min(65535, udpPort + 999)];
    warnings.push(
      `rtc.udp_port ${udpPort}: one socket per peer connection here, so using ports ${portRange[0]}-${portRange[1]}`,
    );
  }

  // Not livekit.yaml keys: LiveKit fixes these; tests shorten them so minutes of a show pass in seconds.
  const session: Partial<SessionTimings> = {};
  for (const [flag, envName, key] of [
    ['token-refresh-ms', 'SFU_TOKEN_REFRESH_MS', 'tokenRefreshMs'],
    ['resume-window-ms', 'SFU_RESUME_WINDOW_MS', 'resumeWindowMs'],
    ['signal-timeout-ms', 'SFU_SIGNAL_TIMEOUT_MS', 'signalTimeoutMs'],
  ] as const) {
    const raw = values[flag] ?? env[envName];
    if (raw === undefined || raw === '') continue;
    const ms = Number(raw);
    if (!Number.isInteger(ms) || ms < 100) throw new Error(`invalid --${flag} / ${envName}: ${raw}`);
    session[key] = ms;
  }

  // Each participant's data limits (src/sfu/data-limiter.ts); not LiveKit's, which cannot limit data.
  const data: Partial<DataLimits> = {};
  for (const [flag, envName, key] of [
    ['data-packets-per-second', 'SFU_DATA_PACKETS_PER_SECOND', 'packetsPerSecond'],
    ['data-burst-packets', 'SFU_DATA_BURST_PACKETS', 'burstPackets'],
    ['data-bytes-per-second', 'SFU_DATA_BYTES_PER_SECOND', 'bytesPerSecond'],
    ['data-abuse-drops', 'SFU_DATA_ABUSE_DROPS', 'abuseDrops'],
  ] as const) {
    const raw = values[flag] ?? env[envName];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`invalid --${flag} / ${envName}: ${raw}`);
    data[key] = n;
  }

  const webhookUrls = env.LIVEKIT_WEBHOOK_URLS?.split(',').filter(Boolean) ?? doc.webhook?.urls ?? [];
  const webhookKey = doc.webhook?.api_key ?? Object.keys(keys)[0]!;
  return {
    config: {
      ...defaultConfig,
      port,
      bindAddress: values.bind ?? env.LIVEKIT_BIND ?? doc.bind_addresses?.[0] ?? defaultConfig.bindAddress,
      keys,
      rtc: { portRange, nodeIp: values['node-ip'] ?? doc.rtc?.node_ip },
      webhook: webhookUrls.length > 0 ? { urls: webhookUrls, apiKey: webhookKey } : undefined,
      room: {
        emptyTimeout: doc.room?.empty_timeout ?? defaultConfig.room.emptyTimeout,
        departureTimeout: doc.room?.departure_timeout ?? defaultConfig.room.departureTimeout,
        maxParticipants: doc.room?.max_participants ?? defaultConfig.room.maxParticipants,
      },
      session,
      data,
    },
    logLevel: env.LOG_LEVEL ?? doc.log_level,
    warnings,
  };
}
