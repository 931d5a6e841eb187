import { type ChildProcess, spawn } from 'node:child_process';

export interface ServiceSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  /** Resolves when the service is ready to be used. */
  ready?: () => Promise<boolean>;
}

export interface RestartPolicy {
  /** Wait before the first restart; doubles with each crash in a row, up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A service that stayed up this long is healthy again: its next crash restarts after the initial delay. */
  healthyAfterMs: number;
  /** More crashes than this within `crashWindowMs` is a crash loop: the demo stops and says so. */
  maxCrashes: number;
  crashWindowMs: number;
}

export const defaultRestartPolicy: RestartPolicy = {
  initialDelayMs: 500,
  maxDelayMs: 10_000,
  healthyAfterMs: 30_000,
  maxCrashes: 5,
  crashWindowMs: 60_000,
};

const colors = [36, 35, 33, 32, 34, 31];

interface Running {
  spec: ServiceSpec;
  prefix: string;
  child: ChildProcess;
  startedAt: number;
  crashes: number[];
  delayMs: number;
}

/**
 * Runs the demo's processes and prefixes their output. A process that exits unexpectedly is restarted
 * with backoff (viewers and cameras reconnect by themselves); one that keeps crashing stops the demo.
 * Ctrl-C stops them all together, so nothing is left running in the background.
 */
export class Supervisor {
  private readonly services = new Map<string, Running>();
  private stopping = false;

  constructor(
    private readonly policy: RestartPolicy = defaultRestartPolicy,
    private readonly out: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  ) {}

  async start(spec: ServiceSpec, timeoutMs = 60_000): Promise<void> {
    const color = colors[this.services.size % colors.length];
    const prefix = `\x1b[${color}m${spec.name.padEnd(14)}\x1b[0m| `;
    const service: Running = {
      spec,
      prefix,
      child: this.spawn(spec, prefix),
      startedAt: Date.now(),
      crashes: [],
      delayMs: this.policy.initialDelayMs,
    };
    this.services.set(spec.name, service);
    this.watch(service);
    await this.waitReady(service, timeoutMs);
  }

  private spawn(spec: ServiceSpec, prefix: string): ChildProcess {
    const child = spawn(spec.command, spec.args, {
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) this.out(prefix + line);
      });
    }
    return child;
  }

  private watch(service: Running): void {
    service.child.once('exit', (code, signal) => {
      if (this.stopping) return;
      const now = Date.now();
      if (now - service.startedAt >= this.policy.healthyAfterMs) service.delayMs = this.policy.initialDelayMs;
      service.crashes = [...service.crashes.filter((t) => now - t < this.policy.crashWindowMs), now];
      if (service.crashes.length > this.policy.maxCrashes) {
        this.out(
          `${service.prefix}exited (${signal ?? code}) ${service.crashes.length} times within ` +
            `${this.policy.crashWindowMs / 1000} s; stopping the demo`,
        );
        void this.stopAll(1);
        return;
      }
      const delay = service.delayMs;
      service.delayMs = Math.min(delay * 2, this.policy.maxDelayMs);
      this.out(`${service.prefix}exited unexpectedly (${signal ?? code}); restarting in ${delay} ms`);
      setTimeout(() => {
        if (this.stopping) return;
        service.child = this.spawn(service.spec, service.prefix);
        service.startedAt = Date.now();
        this.watch(service);
        void this.waitReady(service, 60_000).then(
          () => this.out(`${service.prefix}restarted`),
          (error: Error) => this.out(`${service.prefix}not ready after restart: ${error.message}`),
        );
      }, delay).unref();
    });
  }

  private async waitReady(service: Running, timeoutMs: number): Promise<void> {
    const { spec, child } = service;
    if (!spec.ready) return;
    const deadline = Date.now() + timeoutMs;
    while (!(await spec.ready().catch(() => false))) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`${spec.name} exited before it was ready`);
      if (Date.now() > deadline) throw new Error(`${spec.name} was not ready after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async stopAll(exitCode = 0): Promise<never> {
    this.stopping = true;
    const exits = [...this.services.values()].map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 5000).unref();
        }),
    );
    await Promise.all(exits);
    process.exit(exitCode);
  }
}

/** True when an HTTP GET answers 2xx. */
export async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
  return response.ok;
}
