import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { livekitServerBin, livekitServerVersion } from '../../../scripts/livekit-server.mjs';
import { devKeys, type EngineName } from './engines.js';
import { freeTcpPort, freeUdpPort } from './ports.js';

// Found by path from the repository root, not as package dependencies: the SFU's own tests use this package,
// so depending on @scenecast/sfu would make a cycle.
const root = join(import.meta.dirname, '..', '..', '..');
const embeddedMain = join(root, 'apps', 'sfu', 'dist', 'main.js');
/**
 * Node flags for the embedded SFU. Forwarding allocates a few short-lived objects per packet (werift's
 * buffers, SRTP ciphers): a larger young generation makes scavenges rarer (docs/benchmarks.md, "GC").
 */
export const embeddedNodeFlags = ['--max-semi-space-size=32'];

/** The repository's infra/livekit: the dev, one-node and cluster configs. */
export const livekitConfigDir = join(root, 'infra', 'livekit');

export { livekitServerBin, livekitServerVersion };

export interface EngineCommandOptions {
  port: number;
  /** The address it listens on and gives peers for media; default 127.0.0.1 (a LAN address for a phone). */
  host?: string;
  /** livekit-server's one UDP port and its ICE/TCP port; free ones by default (the embedded SFU takes UDP
   * ports as they come). */
  udpPort?: number;
  tcpPort?: number;
  /** Where the engine posts its webhooks, signed with the dev key; [] for none. */
  webhookUrls?: string[];
  /** The API key pair (default the dev keys), given as LIVEKIT_KEYS as both engines read it. */
  keys?: { apiKey: string; apiSecret: string };
  /** livekit-server only: a config in infra/livekit other than dev.yaml, and extra flags. */
  config?: string;
  args?: string[];
}

export interface EngineCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** How to run an engine as its own process: what the demo supervises, tests start and benchmarks measure. */
export async function engineCommand(
  engine: EngineName,
  options: EngineCommandOptions,
): Promise<EngineCommand> {
  const webhookUrls = options.webhookUrls ?? [];
  const { apiKey, apiSecret } = options.keys ?? devKeys;
  const keys = `${apiKey}: ${apiSecret}`;
  if (engine === 'embedded') {
    if (!existsSync(embeddedMain)) throw new Error(`${embeddedMain} is missing: build first (pnpm build)`);
    return {
      command: process.execPath,
      args: [...embeddedNodeFlags, embeddedMain],
      env: {
        PORT: String(options.port),
        ...(options.host && { LIVEKIT_BIND: options.host }),
        LIVEKIT_KEYS: keys,
        LIVEKIT_WEBHOOK_URLS: webhookUrls.join(','),
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      },
    };
  }
  if (!existsSync(livekitServerBin))
    throw new Error(
      `livekit-server ${livekitServerVersion} is not built: run \`node scripts/livekit-server.mjs\` ` +
        '(npm test, npm start -- --engine livekit and npm run bench build it on their own)',
    );
  // Webhook URLs are a list, which livekit-server takes only from a config, so the config goes in whole.
  const config = parse(readFileSync(join(livekitConfigDir, options.config ?? 'dev.yaml'), 'utf8'));
  config.port = options.port;
  if (options.host) config.bind_addresses = [options.host];
  config.rtc = {
    ...config.rtc,
    ...(options.host && { node_ip: options.host }),
    udp_port: options.udpPort ?? (await freeUdpPort()),
    tcp_port: options.tcpPort ?? (await freeTcpPort()),
  };
  if (options.webhookUrls?.length === 0) delete config.webhook;
  else if (options.webhookUrls) config.webhook = { ...config.webhook, urls: options.webhookUrls };
  if (process.env.LOG_LEVEL) config.logging = { ...config.logging, level: process.env.LOG_LEVEL };
  return {
    command: livekitServerBin,
    args: ['--config-body', stringify(config), ...(options.args ?? [])],
    env: { LIVEKIT_KEYS: keys },
  };
}
