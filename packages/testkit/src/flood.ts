// A scripted hostile participant in a process of its own, so its sending neither slows the server under
// test nor the clients watching it: it joins, then floods the room with chat text streams or raw data
// packets at a rate, paced by the clock and not waiting for each send (as a flooding script does), for a
// while or until the server sends it away.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface FloodOptions {
  url: string;
  token: string;
  /** Messages a second. */
  perSecond: number;
  seconds: number;
  /** `text`: chat text streams on topic `chat` (3 data packets each); `data`: one data packet each. */
  mode: 'text' | 'data';
  /** Only to this participant (default: everyone). */
  to?: string;
}

export interface FloodReport {
  sent: number;
  /** Whether the server disconnected it before its time was up. */
  gone: boolean;
  seconds: number;
}

export interface Flood {
  /** Resolves once it is in the room. */
  joined: Promise<void>;
  /** Resolves when it has stopped sending (then it is killed: rtc-node's exit can hang on pending sends). */
  report: Promise<FloodReport>;
  stop(): void;
}

export function startFlood(options: FloodOptions): Flood {
  const child: ChildProcess = spawn(
    process.execPath,
    [fileURLToPath(new URL('./flood-cli.js', import.meta.url)), JSON.stringify(options)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  const line = (test: (line: string) => boolean) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = out.split('\n').find(test);
        if (found !== undefined) resolve(found);
      };
      child.stdout!.on('data', (chunk) => {
        out += chunk;
        check();
      });
      child.once('exit', (code) => {
        check();
        reject(new Error(`the flood exited (${code}) before saying it:\n${out.slice(-2000)}`));
      });
    });
  const joined = line((l) => l === 'joined').then(() => undefined);
  const report = line((l) => l.startsWith('{"sent"')).then((l) => {
    child.kill('SIGKILL');
    return JSON.parse(l) as FloodReport;
  });
  return { joined, report, stop: () => child.kill('SIGKILL') };
}
