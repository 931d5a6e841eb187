import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { skipWhen } from '@scenecast/testkit';
import type { TestOptions } from 'vitest';
import { parse } from 'yaml';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const infra = join(root, 'infra');
const tools = JSON.parse(readFileSync(join(infra, 'tools.json'), 'utf8')) as {
  go: Record<string, string>;
  goModules: Record<string, string>;
};

/** A YAML file of the repository, with `<<` merge keys resolved as Compose resolves them. */
export const readYaml = <T = Record<string, unknown>>(path: string): T =>
  parse(readFileSync(join(root, path), 'utf8'), { merge: true }) as T;

const onPath = (cmd: string) => {
  try {
    return execFileSync('which', [cmd], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
};

/**
 * A checking tool, or why it is missing. `npm test` installs them (scripts/cli.mjs, ensureInfraTools);
 * under CI=true a missing tool fails its tests, elsewhere they are skipped with this reason printed.
 */
export function tool(name: 'helm' | 'caddy' | 'promtool' | 'livekit-server'): {
  path?: string;
  missing?: string;
} {
  let path: string | undefined;
  if (name === 'livekit-server') {
    // Built by the test command for the engine matrix (issue 16); LIVEKIT_SERVER_BIN overrides.
    path = [process.env.LIVEKIT_SERVER_BIN, join(root, '.tools/bin/server')].find((p) => p && existsSync(p));
  } else if (name === 'promtool') {
    path = onPath('promtool');
  } else {
    const bin = join(root, '.tools/bin', name);
    path = existsSync(bin) ? bin : undefined;
  }
  if (path) return { path };
  const how =
    name === 'promtool'
      ? 'apt-get install --no-install-recommends prometheus'
      : name === 'livekit-server'
        ? 'the test command builds it into .tools/bin/server (or set LIVEKIT_SERVER_BIN)'
        : `GOBIN=.tools/bin go install ${tools.go[name]}`;
  return { missing: `${name} is not installed (${how}; npm test does it)` };
}

/**
 * describe() options that skip a suite whose tool is missing, with the reason (npm test's summary counts it);
 * under CI=true the suite runs and fails instead.
 */
export function skipWithout(t: { missing?: string }): TestOptions {
  if (!t.missing || process.env.CI === 'true') return {};
  console.warn(`[infra tests] skipped: ${t.missing}`);
  return skipWhen(t.missing);
}

export function requirePath(t: { path?: string; missing?: string }): string {
  if (!t.path) throw new Error(t.missing);
  return t.path;
}

/** The Compose specification's JSON schema, as compose-go (docker compose's loader) embeds it. */
export function composeSchemaPath(): string {
  const module = tools.goModules.composeSpec as string;
  const out = execFileSync('go', ['mod', 'download', '-json', module], { encoding: 'utf8', cwd: root });
  const { Dir, Error: error } = JSON.parse(out) as { Dir?: string; Error?: string };
  if (!Dir) throw new Error(`go mod download ${module}: ${error}`);
  return join(Dir, 'schema', 'compose-spec.json');
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** Runs a command to its end; resolves with its status and output (never rejects on a non-zero exit). */
export function runTool(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ status: number; output: string }> {
  return new Promise((done, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd ?? root, env: { ...process.env, ...options.env } });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    child.once('error', reject);
    child.once('close', (status) => done({ status: status ?? 1, output }));
  });
}

/** A long-running process whose output is kept for the error message when it does not come up. */
export function startProcess(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv },
) {
  const child: ChildProcess = spawn(cmd, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls a URL until it answers 2xx, or fails with the process output. */
export async function waitForHttp(url: string, timeoutMs: number, output: () => string): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return res;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last}). Output:\n${output()}`);
}

/** `.env.example` as a map, the values an operator starts from. */
export function envExample(): Record<string, string> {
  const text = readFileSync(join(infra, 'compose/.env.example'), 'utf8');
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) env[match[1] as string] = match[2] as string;
  }
  return env;
}
