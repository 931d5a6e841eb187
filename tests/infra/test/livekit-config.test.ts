import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readYaml, requirePath, runTool, skipWithout, tool } from './support.js';

/**
 * The LiveKit configs of infra/ read by the real livekit-server in strict mode (`ports` parses the whole
 * config, refusing unknown keys, and prints the ports). One override in the checked copy: STUN discovery
 * of the public address (rtc.use_external_ip) needs the internet, which this machine does not have.
 */
const livekit = tool('livekit-server');
const dir = mkdtempSync(join(tmpdir(), 'scenecast-livekit-config-'));

// biome-ignore lint/suspicious/noExplicitAny: a LiveKit config is free-form YAML
type LiveKitConfig = Record<string, any>;

async function ports(config: LiveKitConfig): Promise<string> {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify({ ...config, rtc: { ...config.rtc, use_external_ip: false } }));
  const { output } = await runTool(requirePath(livekit), ['--config', file, 'ports']);
  // `ports` exits 0 even when the config is refused: what it prints is the verdict.
  if (!output.includes('TCP Ports')) throw new Error(output);
  return output;
}

describe('LiveKit configs of infra/ with the real livekit-server', skipWithout(livekit), () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('infra/compose/livekit.yaml: strict parse; compose publishes exactly its media ports', async () => {
    const config = readYaml<LiveKitConfig>('infra/compose/livekit.yaml');
    const output = await ports(config);
    expect(output).toMatch(/7881 - ICE\/TCP/);
    expect(output).toMatch(/7882\)? - ICE\/UDP\n/);
    const compose = readYaml<{ services: Record<string, { ports?: string[] }> }>(
      'infra/compose/compose.yaml',
    );
    expect(compose.services.livekit?.ports?.map((p) => p.split(' ')[0])).toEqual([
      `${config.rtc.tcp_port}:${config.rtc.tcp_port}/tcp`,
      `${config.rtc.udp_port}:${config.rtc.udp_port}/udp`,
    ]);
  });

  it("infra/k8s/livekit-values.yaml: the block LiveKit's chart writes as config.yaml parses strictly", async () => {
    const values = readYaml<LiveKitConfig>('infra/k8s/livekit-values.yaml');
    // turn.secretName is the chart's own key (the TURN certificate's Secret), not LiveKit's.
    const { secretName, ...turn } = values.livekit.turn;
    expect(secretName).toBeTruthy();
    const output = await ports({ ...values.livekit, turn });
    expect(output).toMatch(/50000-60000 - ICE\/UDP range/);
    expect(output).toMatch(/3478 - TURN\/TLS/);
  });

  it('the strict parse bites: a misspelt key is refused', async () => {
    const config = readYaml<LiveKitConfig>('infra/compose/livekit.yaml');
    await expect(ports({ ...config, rtc: { ...config.rtc, tcp_prot: 7881 } })).rejects.toThrow(
      /field tcp_prot not found/,
    );
  });

  it('compose gives livekit-server only environment variables it reads', async () => {
    const { output } = await runTool(requirePath(livekit), ['--help']);
    const reads = new Set([...output.matchAll(/\[\$([A-Z_]+)\]/g)].map((m) => m[1]));
    expect(reads).toContain('LIVEKIT_KEYS');
    const compose = readYaml<{ services: Record<string, { environment?: Record<string, string> }> }>(
      'infra/compose/compose.yaml',
    );
    const given = Object.keys(compose.services.livekit?.environment ?? {});
    expect(given.filter((name) => !reads.has(name))).toEqual([]);
  });
});
