import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { infra, requirePath, runTool, skipWithout, tool } from './support.js';

const promtool = tool('promtool');
const prometheusDir = join(infra, 'observability/prometheus');

describe("infra/observability/prometheus with Debian's promtool", skipWithout(promtool), () => {
  it('the Prometheus config (and the rule files it loads) passes promtool check config', async () => {
    const { status, output } = await runTool(requirePath(promtool), ['check', 'config', 'prometheus.yml'], {
      cwd: prometheusDir,
    });
    expect(status, output).toBe(0);
    expect(output).toMatch(/SUCCESS: 1 rule files found/);
  });

  it('the alert rules pass promtool check rules', async () => {
    const { status, output } = await runTool(
      requirePath(promtool),
      ['check', 'rules', 'scenecast.rules.yml'],
      {
        cwd: join(prometheusDir, 'rules'),
      },
    );
    expect(status, output).toBe(0);
    expect(output).toMatch(/SUCCESS: 5 rules found/);
  });

  it('each alert fires on the series that should raise it and stays quiet otherwise (promtool test rules)', async () => {
    const { status, output } = await runTool(requirePath(promtool), ['test', 'rules', 'scenecast.test.yml'], {
      cwd: join(prometheusDir, 'rules'),
    });
    expect(status, output).toBe(0);
    expect(output).toContain('SUCCESS');
  });

  it('the unit tests bite: a looser threshold makes them fail', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scenecast-rules-'));
    try {
      cpSync(join(prometheusDir, 'rules'), dir, { recursive: true });
      const rules = join(dir, 'scenecast.rules.yml');
      writeFileSync(rules, readFileSync(rules, 'utf8').replace('> 0.01', '> 0.05'));
      const { status, output } = await runTool(
        requirePath(promtool),
        ['test', 'rules', 'scenecast.test.yml'],
        {
          cwd: dir,
        },
      );
      expect(status).not.toBe(0);
      expect(output).toContain('TokenServiceErrors');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
