import { type ChildProcess, spawn } from 'node:child_process';

export interface ServiceSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  /** Resolves when the service is ready to be used. */
  ready?: () => Promise<boolean>;
}

const colors = [36, 35, 33, 32, 34, 31];

/**
 * Runs the demo's processes, prefixes their output, and stops them all together: Ctrl-C, or any one of
 * them dying, takes the whole demo down so nothing is left running in the background.
 */
export class Supervisor {
  private readonly children = new Map<string, ChildProcess>();
  private stopping = false;

  async start(spec: ServiceSpec, timeoutMs = 60_000): Promise<void> {
    const color = colors[this.children.size % colors.length];
    const prefix = `\x1b[${color}m${spec.name.padEnd(14)}\x1b[0m| `;
    const child = spawn(spec.command, spec.args, {
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.set(spec.name, child);
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) process.stdout.write(prefix + line + '\n');
      });
    }
    child.on('exit', (code, signal) => {
      this.children.delete(spec.name);
      if (!this.stopping) {
        process.stdout.write(`${prefix}exited (${signal ?? code}); stopping the demo\n`);
        void this.stopAll(1);
      }
    });
    if (!spec.ready) return;
    const deadline = Date.now() + timeoutMs;
    while (!(await spec.ready().catch(() => false))) {
      if (!this.children.has(spec.name)) throw new Error(`${spec.name} exited before it was ready`);
      if (Date.now() > deadline) throw new Error(`${spec.name} was not ready after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async stopAll(exitCode = 0): Promise<never> {
    this.stopping = true;
    const exits = [...this.children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
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
