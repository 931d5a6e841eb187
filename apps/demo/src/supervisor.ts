import { type ChildProcess, spawn } from 'node:child_process';

export interface ServiceSpec {
  name: string;
  command: string;
  /** Read again at each restart: a service started on port 0 can be pinned to the port it got. */
  args: string[];
  env?: Record<string, string>;
  /** Whether the service is ready, given what it has printed so far (a line with its URL, say). */
  ready?: (output: string) => Promise<boolean> | boolean;
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
  /** The child's recent output (stdout and stderr), for readiness and for errors. */
  output: string;
  startedAt: number;
  crashes: number[];
  delayMs: number;
}

/**
 * Runs processes and prefixes their output. A process that exits unexpectedly is restarted with backoff
 * (viewers and cameras reconnect by themselves); one that keeps crashing is given up on (`onCrashLoop`).
 * stopAll() stops them all together, so nothing is left running in the background.
 */
export class Supervisor {
  private readonly services = new Map<string, Running>();
  private stopping = false;

  constructor(
    private readonly options: {
      policy?: RestartPolicy;
      out?: (line: string) => void;
      /** A service crashed more often than the policy allows; it stays down. */
      onCrashLoop?: (name: string) => void;
    } = {},
  ) {}

  private get policy(): RestartPolicy {
    return this.options.policy ?? defaultRestartPolicy;
  }

  private out(line: string): void {
    if (this.options.out) this.options.out(line);
    else process.stdout.write(`${line}\n`);
  }

  /** Starts the service; resolves with what it printed until it was ready. */
  async start(spec: ServiceSpec, timeoutMs = 60_000): Promise<string> {
    const color = colors[this.services.size % colors.length];
    const service: Running = {
      spec,
      prefix: `\x1b[${color}m${spec.name.padEnd(14)}\x1b[0m| `,
      child: undefined as unknown as ChildProcess, // set by spawn()
      output: '',
      startedAt: Date.now(),
      crashes: [],
      delayMs: this.policy.initialDelayMs,
    };
    this.spawn(service);
    this.services.set(spec.name, service);
    this.watch(service);
    await this.waitReady(service, timeoutMs);
    return service.output;
  }

  /** Stops one service for good (it is not restarted); SIGKILL drops it at once, as a crash does. */
  async stop(name: string, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const service = this.services.get(name);
    this.services.delete(name);
    if (service) await terminate(service.child, signal);
  }

  private spawn(service: Running): void {
    const { spec, prefix } = service;
    const child = spawn(spec.command, spec.args, {
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    service.child = child;
    service.output = '';
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream?.on('data', (chunk: Buffer) => {
        if (service.child === child) service.output = (service.output + chunk).slice(-10_000);
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) this.out(prefix + line);
      });
    }
  }

  private watch(service: Running): void {
    service.child.once('exit', (code, signal) => {
      if (this.stopping || this.services.get(service.spec.name) !== service) return;
      const now = Date.now();
      if (now - service.startedAt >= this.policy.healthyAfterMs) service.delayMs = this.policy.initialDelayMs;
      service.crashes = [...service.crashes.filter((t) => now - t < this.policy.crashWindowMs), now];
      if (service.crashes.length > this.policy.maxCrashes) {
        this.out(
          `${service.prefix}exited (${signal ?? code}) ${service.crashes.length} times within ` +
            `${this.policy.crashWindowMs / 1000} s; giving up`,
        );
        this.services.delete(service.spec.name);
        this.options.onCrashLoop?.(service.spec.name);
        return;
      }
      const delay = service.delayMs;
      service.delayMs = Math.min(delay * 2, this.policy.maxDelayMs);
      this.out(`${service.prefix}exited unexpectedly (${signal ?? code}); restarting in ${delay} ms`);
      setTimeout(() => {
        if (this.stopping || this.services.get(service.spec.name) !== service) return;
        this.spawn(service);
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
    const ready = async () => spec.ready!(service.output);
    while (!(await ready().catch(() => false))) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`${spec.name} exited before it was ready: ${service.output.slice(-500)}`);
      if (Date.now() > deadline) throw new Error(`${spec.name} was not ready after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Stops every service, for good. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.services.values()].map(({ child }) => terminate(child)));
  }
}

/** The signal (SIGTERM), then SIGKILL if it is still there 5 s later; resolves when it has exited. */
function terminate(child: ChildProcess, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}
