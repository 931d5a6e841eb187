// SFU fan-out: one 720p simulcast publisher, N subscribers on the top layer. Steps N up until packet loss
// reaches 1 % and reports the largest N below it, with forwarded Mbps and the SFU's CPU and memory per
// subscriber, against LiveKit's published livestreaming benchmark normalised per core.
//
// Three processes, so the SFU's own cost is measurable: the SFU (apps/sfu), the publisher (the
// scenecast-camera CLI, rtc-node), and this one, holding the werift load subscribers (bench/load).
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { LoadSubscriber, participantToken, type SubscriberCounters, waitFor } from '@scenecast/testkit';

const require = createRequire(import.meta.url);
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

const windowSeconds = Number(process.env.BENCH_SECONDS ?? 10);
const maxSubscribers = Number(process.env.BENCH_MAX_SUBSCRIBERS ?? 400);
const steps = [1, 5, 10, 20, 30, 40, 60, 80, 100, 130, 160, 200, 250, 300, 400].filter(
  (n) => n <= maxSubscribers,
);
const room = 'fanout';

/** LiveKit's "Livestreaming" row: 1 publisher (720p simulcast), 3000 subscribers, 531 MBps and 560,962 packets/s
 * out at 92 % of a 16-core c2-standard-16 (docs.livekit.io/home/self-hosting/benchmark). */
const livekit = { subscribers: 3000, mbpsOut: 531 * 8, packetsOut: 560_962, cores: 16 * 0.92 };

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
  sfu: ChildProcess,
  publisher: ChildProcess,
  subscribers: LoadSubscriber[],
): Promise<Row> {
  const before = subscribers.map((s) => s.counters());
  const sfuCpu = processCpuSeconds(sfu.pid!);
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
    sfuCpuPercent: ((processCpuSeconds(sfu.pid!) - sfuCpu) / seconds) * 100,
    sfuRssMb: processRssMb(sfu.pid!),
    clientCpuPercent: ((used.user + used.system) / 1e6 / seconds) * 100,
    publisherCpuPercent: ((processCpuSeconds(publisher.pid!) - publisherCpu) / seconds) * 100,
    onTopLayer: subscribers.filter((s) => s.keyframeSize?.width === 1280).length,
    withoutMedia: deltas.filter((d) => d.packets === 0).length,
  };
}

/** The SFU on any free port; resolves once it says it is ready, with the URL it says. */
async function startSfuProcess(): Promise<{ sfu: ChildProcess; url: string }> {
  const sfu = spawn(process.execPath, [join(packageDir('@scenecast/sfu'), 'dist', 'main.js')], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  sfu.stdout!.on('data', (chunk) => {
    output += chunk;
  });
  const url = await waitFor(() => /sfu ready: (ws:\/\/\S+)/.exec(output)?.[1], { what: 'the SFU' });
  return { sfu, url };
}

export async function run(): Promise<void> {
  const { sfu, url } = await startSfuProcess();
  const publisher = start(
    [
      join(packageDir('@scenecast/camera-sim'), 'dist', 'cli.js'),
      ...['--scene', 'studio', '--show', room, '--url', url, '--width', '1280', '--height', '720'],
      ...['--fps', '15', '--bitrate', '1400000', '--noise', '0.08', '--stats', '0'],
    ],
    { LOG_LEVEL: 'warn', NODE_ENV: 'production' },
  );
  const subscribers: LoadSubscriber[] = [];
  const rows: Row[] = [];
  try {
    await new Promise((resolve) => setTimeout(resolve, 3000)); // the publisher joins and ramps up
    const idle = await measure(sfu, publisher, []);
    console.log(
      `${windowSeconds} s window per step; publisher 1280x720 VP8 simulcast at 15 fps, top layer capped at ` +
        `1.4 Mbit/s with an 8 % noise strip so it runs at that rate (LiveKit's load test forwards ~1.42 Mbit/s per subscriber); SFU idle with the publisher: ` +
        `${idle.sfuCpuPercent.toFixed(1)} % CPU, ${idle.sfuRssMb.toFixed(0)} MB RSS\n`,
    );
    console.log(
      '| subscribers | on 720p / no media | loss (all / worst) | forwarded Mbit/s | packets/s | SFU CPU | SFU RSS | load-client CPU | publisher CPU |\n' +
        '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const n of steps) {
      while (subscribers.length < n) {
        const subscriber = new LoadSubscriber(
          url,
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
      const row = await measure(sfu, publisher, subscribers);
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
    if (!best) {
      console.log('\nno step kept every subscriber on 720p under 1 % loss');
      return;
    }
    // The SFU's work is per packet and per subscriber, and the publisher's rate moves with the machine's
    // load, so fit CPU (idle subtracted) against forwarded packets/s over every passing step.
    const fit = (x: (row: Row) => number) => {
      const points = passing.map((row) => [x(row), row.sfuCpuPercent - idle.sfuCpuPercent] as const);
      const slope =
        points.reduce((a, [px, py]) => a + px * py, 0) / points.reduce((a, [px]) => a + px * px, 0);
      return 100 / slope; // units of x per fully used core
    };
    const packetsPerSubscriber = best.packetsPerSecond / best.n;
    const ours = {
      mbpsPerCore: fit((r) => r.mbps),
      packetsPerCore: fit((r) => r.packetsPerSecond),
      subsPerCore: 0,
    };
    const theirs = {
      mbpsPerCore: livekit.mbpsOut / livekit.cores,
      packetsPerCore: livekit.packetsOut / livekit.cores,
      subsPerCore: livekit.subscribers / livekit.cores,
    };
    // Subscribers per core at LiveKit's per-subscriber packet rate, so the two are comparable.
    ours.subsPerCore = ours.packetsPerCore / (livekit.packetsOut / livekit.subscribers);
    const perSubscriberMb = (best.sfuRssMb - idle.sfuRssMb) / best.n;
    console.log(
      `\nLargest N with every subscriber on 720p and loss under 1 %: **${best.n}** (${best.mbps.toFixed(1)} Mbit/s and ${Math.round(best.packetsPerSecond)} packets/s ` +
        `forwarded, ${packetsPerSubscriber.toFixed(0)} per subscriber, ${best.lossPercent.toFixed(2)} % loss)` +
        (rows.length === passing.length ? `, the ${best.n}-subscriber cap of this run` : '') +
        `. SFU cost per subscriber at LiveKit's ${(livekit.packetsOut / livekit.subscribers).toFixed(0)} packets/s: ` +
        `${(100 / ours.subsPerCore).toFixed(2)} % of a core (LiveKit: ${(100 / theirs.subsPerCore).toFixed(2)} %) and ` +
        `${perSubscriberMb.toFixed(2)} MB.`,
    );
    console.log(
      '\n| per SFU core (least-squares fit over the passing steps, idle subtracted) | scenecast SFU | LiveKit (c2-standard-16) | ratio |\n| --- | ---: | ---: | ---: |',
    );
    for (const [label, key] of [
      ['forwarded Mbit/s', 'mbpsPerCore'],
      ['forwarded packets/s', 'packetsPerCore'],
      ["subscribers (at LiveKit's packet rate)", 'subsPerCore'],
    ] as const)
      console.log(
        `| ${label} | ${ours[key].toFixed(0)} | ${theirs[key].toFixed(0)} | ${(ours[key] / theirs[key]).toFixed(3)}x |`,
      );
  } finally {
    await Promise.all(subscribers.map((s) => s.close()));
    publisher.kill('SIGTERM');
    sfu.kill('SIGTERM');
    await Promise.all(
      [publisher, sfu].map(
        (child) =>
          new Promise((resolve) => (child.exitCode !== null ? resolve(0) : child.once('exit', resolve))),
      ),
    );
  }
}
