import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningSfu, startSfu } from '@scenecast/sfu';
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

/**
 * The moderator image's contents without the image, likewise: its `pnpm deploy` bundle started from its own
 * folder against the embedded SFU; healthy once the engine answers which shows there are.
 */
describe('chat moderator: the pnpm deploy --prod bundle', () => {
  const file = readFileSync(join(infra, 'docker/moderator.Dockerfile'), 'utf8');
  const line = /^RUN (pnpm .* deploy .*) \/out$/m.exec(file)?.[1];
  const command = JSON.parse(/^CMD (\[.*\])$/m.exec(file)?.[1] ?? '[]') as string[];
  const check = JSON.parse(/^\s+CMD (\[.*\])$/m.exec(file)?.[1] ?? '[]') as string[];
  const dir = mkdtempSync(join(tmpdir(), 'scenecast-moderator-'));
  const out = join(dir, 'app');
  let sfu: RunningSfu | undefined;
  let moderator: ReturnType<typeof startProcess> | undefined;
  let port = 0;

  beforeAll(async () => {
    expect(line, 'the Dockerfile has a RUN pnpm … deploy … /out line').toBeDefined();
    const [pnpm, pre] = pnpmCommand();
    const deployed = await runTool(pnpm, [...pre, ...(line as string).split(/\s+/).slice(1), out]);
    if (deployed.status !== 0) throw new Error(`pnpm deploy failed:\n${deployed.output}`);
    sfu = await startSfu({ port: 0 });
  });

  afterAll(async () => {
    await moderator?.stop();
    await sfu?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds the built moderator and production dependencies only, rtc-node with its native binary', () => {
    expect(readdirSync(out).sort()).toEqual(['README.md', 'dist', 'node_modules', 'package.json']);
    expect(existsSync(join(out, 'node_modules/@livekit/rtc-node'))).toBe(true);
    expect(existsSync(join(out, 'node_modules/vitest'))).toBe(false);
    expect(existsSync(join(out, 'node_modules/@scenecast/sfu'))).toBe(false);
  });

  it("starts from its own folder with the image's CMD, healthy against the engine; the HEALTHCHECK agrees", async () => {
    expect(command).toEqual(['node', 'dist/main.js']);
    port = await freePort();
    moderator = startProcess(process.execPath, command.slice(1), {
      cwd: out,
      env: {
        NODE_ENV: 'production',
        NODE_PATH: '',
        HOST: '127.0.0.1',
        PORT: String(port),
        LIVEKIT_URL: sfu!.url,
        LIVEKIT_API_KEY: 'devkey',
        LIVEKIT_API_SECRET: 'secret',
      },
    });
    const health = await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000, moderator.output);
    expect(await health.json()).toEqual({ ok: true, shows: 0 });
    expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain('moderator_shows 0');
    const args = check.slice(1).map((a) => a.replace('127.0.0.1:8090', `127.0.0.1:${port}`));
    expect((await runTool(process.execPath, args)).status).toBe(0);
    await moderator.stop();
    expect((await runTool(process.execPath, args)).status).toBe(1);
  });
});
