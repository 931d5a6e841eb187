// SFU fan-out, both engines side by side in one run: one 720p simulcast publisher, N subscribers on the top
// layer, on the embedded SFU and then on the real livekit-server, with the same publisher and the same load
// subscribers. N steps up until a step fails (loss 1 % or more, or anyone below 720p); for each engine the
// largest passing N, forwarded Mbit/s and packets/s there, the engine's CPU per 1,000 forwarded packets and
// RSS per subscriber, and the ratio embedded/LiveKit.
//
// Three processes, so the engine's own cost is measurable: the engine, the publisher (the scenecast-camera
// CLI, rtc-node), and this one, holding the werift load subscribers (packages/testkit's LoadSubscriber).
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type EngineName, engineNames, type RunningEngine, startEngine } from '@scenecast/engine';
import { LoadSubscriber, participantToken, type SubscriberCounters, waitFor } from '@scenecast/testkit';

const require = createRequire(import.meta.url);
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

const windowSeconds = Number(process.env.BENCH_SECONDS ?? 10);
const maxSubscribers = Number(process.env.BENCH_MAX_SUBSCRIBERS ?? 400);
const steps = [1, 5, 10, 20, 30, 40, 60, 80, 100, 130, 160, 200, 250, 300, 400].filter(
  (n) => n <= maxSubscribers,
);
const room = 'fanout';

const ticks = 100; // USER_HZ on Linux
function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticks; // utime, stime
}
function processRssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) / 1024;
}

function start(command: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, command, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal === null) console.error(`${command[0]} exited with ${code}`);
  });
  return child;
}

function sum(counters: SubscriberCounters[]): SubscriberCounters {
  return counters.reduce(
    (total, c) => ({
      packets: total.packets + c.packets,
      bytes: total.bytes + c.bytes,
      expected: total.expected + c.expected,
    }),
    { packets: 0, bytes: 0, expected: 0 },
  );
}

interface Row {
  n: number;
  lossPercent: number;
  worstLossPercent: number;
  mbps: number;
  packetsPerSecond: number;
  sfuCpuPercent: number;
  sfuRssMb: number;
  clientCpuPercent: number;
  publisherCpuPercent: number;
  /** Subscribers whose last keyframe was the publisher's full 1280x720. */
  onTopLayer: number;
  withoutMedia: number;
}

/** A step counts when loss stays under 1 % and every subscriber gets the top layer. */
const passes = (row: Row) => row.lossPercent < 1 && row.onTopLayer === row.n && row.withoutMedia === 0;

async function measure(
  engine: RunningEngine,
  publisher: ChildProcess,
  subscribers: LoadSubscriber[],
): Promise<Row> {
  const before = subscribers.map((s) => s.counters());
  const sfuCpu = processCpuSeconds(engine.pid);
  const publisherCpu = processCpuSeconds(publisher.pid!);
  const clientCpu = process.cpuUsage();
  const began = performance.now();
  await new Promise((resolve) => setTimeout(resolve, windowSeconds * 1000));
  const seconds = (performance.now() - began) / 1000;
  const deltas = subscribers.map((s, i) => {
    const now = s.counters();
    return {
      packets: now.packets - before[i]!.packets,
      bytes: now.bytes - before[i]!.bytes,
      expected: now.expected - before[i]!.expected,
    };
  });
  // A subscriber that got nothing lost everything it should have got: what the others were sent.
  const sent = deltas.map((d) => d.expected).sort((a, b) => a - b);
  const median = sent[Math.floor(sent.length / 2)] ?? 0;
  for (const d of deltas) if (d.expected === 0) d.expected = median;
  const total = sum(deltas);
  const loss = (d: SubscriberCounters) =>
    d.expected > 0 ? Math.max(0, d.expected - d.packets) / d.expected : 1;
  const used = process.cpuUsage(clientCpu);
  return {
    n: subscribers.length,
    lossPercent: loss(total) * 100,
    worstLossPercent: Math.max(0, ...deltas.map(loss)) * 100,
    mbps: (total.bytes * 8) / seconds / 1e6,
    packetsPerSecond: total.packets / seconds,
    sfuCpuPercent: ((processCpuSeconds(engine.pid) - sfuCpu) / seconds) * 100,
    sfuRssMb: processRssMb(engine.pid),
    clientCpuPercent: ((used.user + used.system) / 1e6 / seconds) * 100,
    publisherCpuPercent: ((processCpuSeconds(publisher.pid!) - publisherCpu) / seconds) * 100,
    onTopLayer: subscribers.filter((s) => s.keyframeSize?.width === 1280).length,
    withoutMedia: deltas.filter((d) => d.packets === 0).length,
  };
}

interface EngineResult {
  engine: EngineName;
  idle: Row;
  rows: Row[];
  /** The largest step that passed, if any. */
  best: Row | undefined;
  /** Engine CPU per 1,000 forwarded packets (ms), least-squares over the passing steps, idle subtracted. */
  cpuMsPer1000Packets: number;
  /** Engine memory per subscriber at the best step (MB), idle subtracted. */
  rssPerSubscriberMb: number;
}

/** Steps N up on one engine, with a fresh engine, publisher and subscribers. */
async function measureEngine(engineName: EngineName): Promise<EngineResult> {
  const engine = await startEngine({ engine: engineName });
  const publisher = start(
    [
      join(packageDir('@scenecast/camera-sim'), 'dist', 'cli.js'),
      ...['--scene', 'studio', '--show', room, '--url', engine.url, '--width', '1280', '--height', '720'],
      ...['--fps', '15', '--bitrate', '1400000', '--noise', '0.08', '--stats', '0'],
    ],
    { LOG_LEVEL: 'warn', NODE_ENV: 'production' },
  );
  const subscribers: LoadSubscriber[] = [];
  const rows: Row[] = [];
  try {
    await new Promise((resolve) => setTimeout(resolve, 3000)); // the publisher joins and ramps up
    const idle = await measure(engine, publisher, []);
    console.log(
      `\n#### ${engineName}\n\nidle with the publisher: ${idle.sfuCpuPercent.toFixed(1)} % CPU, ${idle.sfuRssMb.toFixed(0)} MB RSS\n`,
    );
    console.log(
      '| subscribers | on 720p / no media | loss (all / worst) | forwarded Mbit/s | packets/s | engine CPU | engine RSS | load-client CPU | publisher CPU |\n' +
        '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const n of steps) {
      while (subscribers.length < n) {
        const subscriber = new LoadSubscriber(
          engine.url,
          await participantToken(room, `load-${subscribers.length}`, {
            canPublish: false,
            canPublishData: false,
          }),
        );
        await subscriber.connect();
        subscribers.push(subscriber);
      }
      // Up to 20 s for every subscriber's media to start; one that never gets any counts as 100 % loss.
      await waitFor(() => subscribers.every((s) => s.counters().packets > 0), {
        what: `media at all ${n} subscribers`,
        timeoutMs: 20_000,
      }).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 2000)); // past the keyframe burst of new joins
      const row = await measure(engine, publisher, subscribers);
      rows.push(row);
      const starved = subscribers.filter((s) => s.counters().packets === 0);
      if (starved.length > 0)
        console.log(
          `<!-- ${n}: ${starved.length} without media: ${[...new Set(starved.map((s) => s.state))].join('; ')} -->`,
        );
      console.log(
        `| ${n} | ${row.onTopLayer} / ${row.withoutMedia} | ${row.lossPercent.toFixed(2)} % / ${row.worstLossPercent.toFixed(2)} % | ${row.mbps.toFixed(1)} | ` +
          `${Math.round(row.packetsPerSecond)} | ${row.sfuCpuPercent.toFixed(1)} % | ${row.sfuRssMb.toFixed(0)} MB | ` +
          `${row.clientCpuPercent.toFixed(1)} % | ${row.publisherCpuPercent.toFixed(1)} % |`,
      );
      if (!passes(row)) break;
    }
    const passing = rows.filter(passes);
    const best = passing.at(-1);
    // The engine's work is per packet, and the publisher's rate moves with the machine's load, so fit CPU
    // (idle subtracted) against forwarded packets/s over every passing step: % of a core per packet/s.
    const points = passing.map(
      (row) => [row.packetsPerSecond, row.sfuCpuPercent - idle.sfuCpuPercent] as const,
    );
    const slope =
      points.reduce((a, [x, y]) => a + x * y, 0) /
      Math.max(
        1e-9,
        points.reduce((a, [x]) => a + x * x, 0),
      );
    return {
      engine: engineName,
      idle,
      rows,
      best,
      cpuMsPer1000Packets: slope * 10_000, // (% / 100) core-seconds per packet × 1,000 packets × 1,000 ms
      rssPerSubscriberMb: best ? (best.sfuRssMb - idle.sfuRssMb) / best.n : Number.NaN,
    };
  } finally {
    await Promise.all(subscribers.map((s) => s.close()));
    publisher.kill('SIGTERM');
    await new Promise((resolve) =>
      publisher.exitCode !== null ? resolve(0) : publisher.once('exit', resolve),
    );
    await engine.close();
  }
}

export async function run(): Promise<void> {
  console.log(
    `${windowSeconds} s window per step; publisher 1280x720 VP8 simulcast at 15 fps, top layer capped at ` +
      "1.4 Mbit/s with an 8 % noise strip so it runs at that rate (LiveKit's load test forwards ~1.42 Mbit/s per subscriber); " +
      `engines in turn: ${engineNames.join(', ')}`,
  );
  const results: EngineResult[] = [];
  for (const engine of engineNames) results.push(await measureEngine(engine));
  const [embedded, livekit] = results as [EngineResult, EngineResult];
  const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : '–');
  const at = (r: EngineResult, f: (row: Row) => number, digits = 1) =>
    r.best ? f(r.best).toFixed(digits) : 'no passing step';
  console.log(
    `\n| both engines, same publisher and load subscribers | embedded SFU | livekit-server | embedded/LiveKit |\n| --- | ---: | ---: | ---: |`,
  );
  const line = (label: string, a: string, b: string, r: string) =>
    console.log(`| ${label} | ${a} | ${b} | ${r} |`);
  const largest = (r: EngineResult) =>
    r.best ? `${r.best.n}${r.rows.every(passes) ? ' (the cap of this run)' : ''}` : 'none';
  line(
    'largest N on 720p with loss < 1 %',
    largest(embedded),
    largest(livekit),
    ratio(embedded.best?.n ?? Number.NaN, livekit.best?.n ?? Number.NaN),
  );
  line(
    'forwarded Mbit/s at that N',
    at(embedded, (row) => row.mbps),
    at(livekit, (row) => row.mbps),
    ratio(embedded.best?.mbps ?? Number.NaN, livekit.best?.mbps ?? Number.NaN),
  );
  line(
    'forwarded packets/s at that N',
    at(embedded, (row) => row.packetsPerSecond, 0),
    at(livekit, (row) => row.packetsPerSecond, 0),
    ratio(embedded.best?.packetsPerSecond ?? Number.NaN, livekit.best?.packetsPerSecond ?? Number.NaN),
  );
  line(
    'engine CPU per 1,000 forwarded packets (ms, fit over passing steps)',
    embedded.cpuMsPer1000Packets.toFixed(1),
    livekit.cpuMsPer1000Packets.toFixed(1),
    ratio(embedded.cpuMsPer1000Packets, livekit.cpuMsPer1000Packets),
  );
  line(
    'engine RSS per subscriber (MB)',
    embedded.rssPerSubscriberMb.toFixed(2),
    livekit.rssPerSubscriberMb.toFixed(2),
    ratio(embedded.rssPerSubscriberMb, livekit.rssPerSubscriberMb),
  );
  line(
    'engine idle with the publisher (CPU / RSS)',
    `${embedded.idle.sfuCpuPercent.toFixed(1)} % / ${embedded.idle.sfuRssMb.toFixed(0)} MB`,
    `${livekit.idle.sfuCpuPercent.toFixed(1)} % / ${livekit.idle.sfuRssMb.toFixed(0)} MB`,
    '',
  );
}
