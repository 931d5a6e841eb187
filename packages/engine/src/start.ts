import { spawn } from 'node:child_process';
import { type EngineCommandOptions, engineCommand } from './commands.js';
import { devKeys, type EngineName, selectedEngine } from './engines.js';
import { freeTcpPort } from './ports.js';

export interface EngineOptions extends Partial<EngineCommandOptions> {
  /** Default: SCENECAST_ENGINE (embedded when unset). */
  engine?: EngineName;
  /** HTTP/WebSocket port; 0 (default) picks a free one. Pass a closed engine's port to restart it there. */
  port?: number;
  /** Environment for the process (livekit-server reads LIVEKIT_KEYS, REDIS_HOST, ...). */
  env?: Record<string, string>;
  /** The prefix of its log lines on our stderr. */
  name?: string;
}

/** A running engine as every client sees it: LiveKit URLs and keys, nothing engine-specific. */
export interface RunningEngine {
  engine: EngineName;
  /** ws://127.0.0.1:port: LIVEKIT_URL. */
  url: string;
  /** http://127.0.0.1:port: for RoomServiceClient and /rtc/validate. */
  httpUrl: string;
  port: number;
  apiKey: string;
  apiSecret: string;
  /** The engine's process, for CPU and memory readings. */
  pid: number;
  /** Stops it at once (livekit-server: a second signal skips its wait for participants to leave). */
  close(): Promise<void>;
  /** Kills it (SIGKILL): every connection drops with no goodbye, as in a crash or a network loss. */
  kill(): Promise<void>;
}

/**
 * Starts the chosen engine as its own process on free ports (dev keys unless given) — the embedded SFU, or
 * livekit-server with infra/livekit/dev.yaml — and resolves once it answers HTTP. Its log goes to our
 * stderr, prefixed; an exit before it is ready rejects with its last lines.
 */
export async function startEngine(options: EngineOptions = {}): Promise<RunningEngine> {
  const engine = options.engine ?? selectedEngine();
  const name = options.name ?? engine;
  const port = options.port || (await freeTcpPort());
  const { command, args, env } = await engineCommand(engine, {
    ...options,
    port,
    webhookUrls: options.webhookUrls ?? [],
  });
  const child = spawn(command, args, {
    env: { ...process.env, ...env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr])
    stream.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        process.stderr.write(`[${name}] ${line}\n`);
      }
    });
  // Never outlive the process that started it (a test worker that dies without closing it).
  const orphaned = () => child.kill('SIGKILL');
  process.once('exit', orphaned);
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => {
      process.off('exit', orphaned);
      resolve(`${name} exited (${signal ?? code})`);
    }),
  );
  const close = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGTERM'), 100);
    const hard = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(force);
    clearTimeout(hard);
  };
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  };
  const httpUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${httpUrl}/`, { signal: AbortSignal.timeout(1000) })
      .then((r) => r.ok)
      .catch(() => false);
    if (ready) break;
    const early = await Promise.race([
      exited,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 100)),
    ]);
    if (early) throw new Error(`${early} before it was ready:\n${tail.join('\n')}`);
    if (Date.now() > deadline) {
      await close();
      throw new Error(`${name} did not answer on ${httpUrl} within 30 s:\n${tail.join('\n')}`);
    }
  }
  return {
    engine,
    ...(options.keys ?? devKeys),
    url: `ws://127.0.0.1:${port}`,
    httpUrl,
    port,
    pid: child.pid!,
    close,
    kill,
  };
}
