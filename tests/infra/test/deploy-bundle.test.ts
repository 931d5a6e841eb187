import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, infra, root, runTool, startProcess, waitForHttp } from './support.js';

/**
 * The token service image's contents without the image: the Dockerfile's own `pnpm deploy` line run into
 * a temp folder, then its CMD started there, with nothing from the repository on the module path.
 */
const dockerfile = readFileSync(join(infra, 'docker/token-service.Dockerfile'), 'utf8');
const deployLine = /^RUN (pnpm .* deploy .*) \/out$/m.exec(dockerfile)?.[1];
const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
const healthcheck = JSON.parse(/^\s+CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
const pkg = JSON.parse(readFileSync(join(root, 'apps/token-service/package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

function pnpmCommand(): [string, string[]] {
  const local = join(root, '.tools/node_modules/pnpm/bin/pnpm.cjs');
  return existsSync(local) ? [process.execPath, [local]] : ['pnpm', []];
}

describe('token service: the pnpm deploy --prod bundle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scenecast-token-service-'));
  const out = join(dir, 'app');
  let server: ReturnType<typeof startProcess> | undefined;
  let port = 0;

  beforeAll(async () => {
    expect(deployLine, 'the Dockerfile has a RUN pnpm … deploy … /out line').toBeDefined();
    const [pnpm, pre] = pnpmCommand();
    const args = [...pre, ...(deployLine as string).split(/\s+/).slice(1), out];
    const deployed = await runTool(pnpm, args);
    if (deployed.status !== 0) throw new Error(`pnpm deploy failed:\n${deployed.output}`);
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds the built service and production dependencies only', () => {
    expect(readdirSync(out).sort()).toEqual(['README.md', 'dist', 'node_modules', 'package.json']);
    const installed = new Set(
      readdirSync(join(out, 'node_modules')).flatMap((name) =>
        name.startsWith('@')
          ? readdirSync(join(out, 'node_modules', name)).map((n) => `${name}/${n}`)
          : [name],
      ),
    );
    for (const dep of Object.keys(pkg.dependencies)) expect(installed, dep).toContain(dep);
    for (const dep of Object.keys(pkg.devDependencies)) expect(installed, dep).not.toContain(dep);
    expect(existsSync(join(out, 'node_modules/vitest'))).toBe(false);
  });

  it("starts from its own folder with the image's CMD and answers /healthz, /readyz, /metrics", async () => {
    expect(cmd).toEqual(['node', 'dist/main.js']);
    port = await freePort();
    server = startProcess(process.execPath, cmd.slice(1), {
      cwd: out,
      env: {
        NODE_ENV: 'production',
        NODE_PATH: '',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: `file:${join(dir, 'token-service.db')}`,
        LIVEKIT_API_SECRET: 'a-secret-of-at-least-32-characters-long',
      },
    });
    const health = await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000, server.output);
    expect(await health.json()).toEqual({ ok: true });
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain(
      'token_service_http_requests_total{method="GET",route="/healthz",status="200"} 1',
    );
  });

  it("the image's HEALTHCHECK command passes against it", async () => {
    expect(healthcheck[0]).toBe('node');
    const args = healthcheck.slice(1).map((a) => a.replace('127.0.0.1:8080', `127.0.0.1:${port}`));
    expect((await runTool(process.execPath, args)).status).toBe(0);
    await server?.stop();
    expect((await runTool(process.execPath, args)).status).toBe(1);
  });
});
