import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseKeys } from '../src/config/load-config.js';

const yaml = `
port: 7990
bind_addresses: ["127.0.0.1"]
keys:
  prodkey: prodsecret
rtc:
  port_range_start: 50000
  port_range_end: 50100
  node_ip: 10.1.2.3
  use_external_ip: true
webhook:
  api_key: prodkey
  urls: ["http://127.0.0.1:8080/v1/livekit/webhook"]
room:
  empty_timeout: 60
  max_participants: 500
turn:
  enabled: true
`;

describe('config', () => {
  it('defaults to livekit-server --dev', () => {
    const { config, warnings } = loadConfig([], {});
    expect(config).toMatchObject({ port: 7880, bindAddress: '127.0.0.1', keys: { devkey: 'secret' } });
    expect(warnings).toEqual([]);
  });

  it('reads livekit.yaml and reports the keys it does not support', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cfg-')), 'livekit.yaml');
    writeFileSync(file, yaml);
    const { config, warnings } = loadConfig(['--config', file], {});
    expect(config).toMatchObject({
      port: 7990,
      keys: { prodkey: 'prodsecret' },
      rtc: { portRange: [50000, 50100], nodeIp: '10.1.2.3' },
      webhook: { urls: ['http://127.0.0.1:8080/v1/livekit/webhook'], apiKey: 'prodkey' },
      room: { emptyTimeout: 60, maxParticipants: 500 },
    });
    expect(warnings).toEqual([
      'unsupported config key ignored: rtc.use_external_ip',
      'unsupported config key ignored: turn',
    ]);
  });

  it('lets env and flags override the file, and reads LIVEKIT_KEYS as LiveKit does', () => {
    const { config } = loadConfig(['--port', '7001'], {
      LIVEKIT_CONFIG: yaml,
      PORT: '7000',
      LIVEKIT_KEYS: 'a: b, c: d',
    });
    expect(config.port).toBe(7001);
    expect(config.keys).toEqual({ a: 'b', c: 'd' });
    expect(parseKeys('k1: s1\nk2: s2')).toEqual({ k1: 's1', k2: 's2' });
  });

  it('maps udp_port to a port range and says so', () => {
    const { config, warnings } = loadConfig(['--udp-port', '7882'], {});
    expect(config.rtc.portRange).toEqual([7882, 8881]);
    expect(warnings[0]).toMatch(/udp_port 7882/);
  });

  it("reads each participant's data limits from flags and env", () => {
    const { config } = loadConfig(['--data-packets-per-second', '5'], {
      SFU_DATA_BURST_PACKETS: '15',
      SFU_DATA_BYTES_PER_SECOND: '4096',
      SFU_DATA_ABUSE_DROPS: '50',
    });
    expect(config.data).toEqual({
      packetsPerSecond: 5,
      burstPackets: 15,
      bytesPerSecond: 4096,
      abuseDrops: 50,
    });
    expect(loadConfig([], {}).config.data).toEqual({});
    expect(() => loadConfig([], { SFU_DATA_ABUSE_DROPS: '0' })).toThrow(
      /invalid --data-abuse-drops \/ SFU_DATA_ABUSE_DROPS: 0/,
    );
  });

  it('refuses a redis (cluster) config and points to LiveKit for more than one node', () => {
    const cluster = join(import.meta.dirname, '..', '..', '..', 'infra', 'livekit', 'cluster.yaml');
    expect(() => loadConfig(['--config', cluster], {})).toThrow(
      /redis: the embedded SFU runs as one node .* for more than one node run LiveKit/,
    );
    expect(() => loadConfig([], { LIVEKIT_CONFIG: 'redis:\n  address: 127.0.0.1:6379\n' })).toThrow(
      /more than one node run LiveKit/,
    );
  });

  it('refuses invalid values and unknown flags with a clear message', () => {
    expect(() => loadConfig([], { LIVEKIT_CONFIG: 'port: "seven"' })).toThrow(/port/);
    expect(() => loadConfig(['--port', 'x'], {})).toThrow(/invalid port/);
    expect(() => loadConfig(['--nope'], {})).toThrow(/nope/);
  });
});
