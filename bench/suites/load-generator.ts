// Load generator: how many simulated viewers one generator core holds (scenecast-load with one worker)
// while the loss it makes itself stays under 1 %. Three processes, as in the fan-out benchmark: the SFU,
// one publisher (a 1280x720 simulcast camera), and scenecast-load; the viewers run on the `none` network
// profile, so every lost packet is the generator's or the SFU's (the SFU's CPU is reported beside it).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Report } from '@scenecast/load';
import { waitFor } from '@scenecast/testkit';

const require = createRequire(import.meta.url);
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

const seconds = Number(process.env.BENCH_SECONDS ?? 25);
const steps = (process.env.BENCH_VIEWERS ?? '10,20,40,60,80,100,130,160').split(',').map(Number);
const port = 18_000 + Math.floor(Math.random() * 1000);
const url = `ws://127.0.0.1:${port}`;
const room = 'loadgen';

const ticks = 100; // USER_HZ on Linux
const cpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticks;
};

function start(command: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, command, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function loadRun(viewers: number, out: string): Promise<number | null> {
  const child = spawn(
    process.execPath,
    [
      join(packageDir('@scenecast/load'), 'dist', 'cli.js'),
      'run',
      ...['--livekit-url', url, '--api-key', 'devkey', '--api-secret', 'secret', '--room', room],
      ...['--viewers', String(viewers), '--ramp', '20/s', '--duration', `${seconds}s`, '--profile', 'none'],
      ...['--switch-every', '1h', '--zoom-probability', '0', '--workers', '1', '--out', out],
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

export async function run(): Promise<void> {
  const sfu = start([join(packageDir('@scenecast/sfu'), 'dist', 'main.js')], {
    PORT: String(port),
    LOG_LEVEL: 'warn',
  });
  const camera = start(
    [
      join(packageDir('@scenecast/camera-sim'), 'dist', 'cli.js'),
      ...[
        '--scene',
        'studio',
        '--show',
        room,
        '--url',
        url,
        '--width',
        '1280',
        '--height',
        '720',
        '--fps',
        '15',
      ],
      ...['--stats', '0'],
    ],
    { LOG_LEVEL: 'warn', NODE_ENV: 'production' },
  );
  const work = mkdtempSync(join(tmpdir(), 'bench-loadgen-'));
  try {
    await waitFor(() => fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok), { what: 'the SFU' });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(
      `${seconds} s per step (ramp 20/s included), one worker thread, profile none, each viewer on one 1280x720 camera's ` +
        `middle layer (640x360, 15 fps); machine load average at the start: ${load}\n`,
    );
    console.log(
      '| viewers | loss | worker busy (ELU) | event-loop delay p99 | generator CPU | SFU CPU | received Mbit/s | join p95 | verdict |\n' +
        '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    );
    let held = 0;
    for (const viewers of steps) {
      const out = join(work, String(viewers));
      const sfuBefore = cpuSeconds(sfu.pid!);
      const began = Date.now();
      await loadRun(viewers, out);
      const sfuCpu = ((cpuSeconds(sfu.pid!) - sfuBefore) / ((Date.now() - began) / 1000)) * 100;
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
      const shard = report.generator.shards[0]!;
      const worker = shard.workers[0]!;
      const loss = report.metrics.loss_ratio ?? 1;
      const mbps = ((report.metrics.bitrate_kbps.mean ?? 0) * report.metrics.viewers) / 1000;
      const ok = loss < 0.01 && report.verdict !== 'invalid';
      console.log(
        `| ${viewers} | ${(loss * 100).toFixed(2)} % | ${(worker.elu * 100).toFixed(0)} % | ${worker.eventLoopDelayMs.p99} ms | ` +
          `${shard.cpuPercent.toFixed(0)} % of ${shard.cores} cores | ${sfuCpu.toFixed(0)} % | ${mbps.toFixed(1)} | ${report.metrics.join_ms.p95 ?? '–'} ms | ${report.verdict} |`,
      );
      if (!ok) break;
      held = viewers;
    }
    console.log(
      `\nOne generator core held **${held}** viewers with under 1 % loss and a valid run (a step counts when both hold).`,
    );
  } finally {
    camera.kill('SIGTERM');
    sfu.kill('SIGTERM');
  }
}
