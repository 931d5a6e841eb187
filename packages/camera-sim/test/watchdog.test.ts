// The camera's watchdog: a process whose event loop is stuck is ended from another thread (its supervisor
// then starts it afresh); a busy but turning loop is left alone. Run against the built module, in a child
// process of its own, since the watchdog kills the whole process.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const built = pathToFileURL(join(import.meta.dirname, '..', 'dist', 'watchdog.js')).href;

/** Runs `body` after starting a 1.5-s watchdog; resolves with how the process ended and what it wrote. */
function child(
  body: string,
): Promise<{ signal: NodeJS.Signals | null; code: number | null; stderr: string; ms: number }> {
  const started = Date.now();
  const script = `import { startWatchdog } from ${JSON.stringify(built)};
    const stop = startWatchdog({ stallMs: 1500, name: 'camera-test' });
    ${body}`;
  const proc = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal, stderr, ms: Date.now() - started })),
  );
}

describe('watchdog', () => {
  it('kills a process whose event loop is stuck, saying why', async () => {
    // A synchronous wait of 20 s: nothing else runs on this thread meanwhile.
    const ended = await child('Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20_000);');
    expect(ended.signal).toBe('SIGKILL');
    expect(ended.ms).toBeLessThan(10_000);
    expect(JSON.parse(ended.stderr.trim().split('\n').at(-1)!)).toMatchObject({
      name: 'camera-test',
      msg: 'event loop stuck: exiting so that the camera is started afresh',
    });
  });

  it('leaves a turning loop alone, and a stopped watchdog lets the process end by itself', async () => {
    const ended = await child(
      'setTimeout(() => stop(), 4000); const t = setInterval(() => {}, 100); setTimeout(() => clearInterval(t), 4000);',
    );
    expect(ended.signal).toBeNull();
    expect(ended.code).toBe(0);
    expect(ended.stderr).toBe('');
  });
});
