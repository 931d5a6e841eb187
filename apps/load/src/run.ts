// The coordinator: checks the target, spreads the viewers over worker threads (one per core by default) and
// the ramp, shows progress, stops on time or on Ctrl-C, merges the workers' measurements and writes
// report.json and report.html.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { NetworkProfile } from '@scenecast/load-client';
import { decodeHistogram, emptyRaw, mergeRaw, type Raw } from './metrics.js';
import { progress as showProgress } from './progress.js';
import { renderHtml } from './report/html.js';
import {
  type BrowserResults,
  bottleneckOf,
  buildReport,
  type Report,
  type ShardInfo,
} from './report/report.js';
import { networksOf, type Scenario } from './scenario.js';
import { MemorySampler, metricsBeside, rssGrowthPct } from './sfu-memory.js';
import { SocketDropMeter } from './socket-drops.js';
import { type Preflight, preflight, type Target } from './target.js';
import type { CoordinatorMessage, WorkerHealth, WorkerInput, WorkerMessage } from './worker.js';

export interface RunOptions {
  out: string;
  /** Resolves when the run should stop early (Ctrl-C). */
  interrupt?: Promise<void>;
  log?: (line: string) => void;
  progressStream?: NodeJS.WriteStream;
  /** The target, already checked (browsers.ts checks it first, to route its relay). */
  preflight?: Preflight;
  /** Called once the simulated viewers have stopped: what the browser viewers measured. */
  beforeReport?: () => Promise<BrowserResults>;
}

/** Which profile each viewer gets: the shares by largest remainder, interleaved so the ramp mixes them. */
export function assignProfiles(viewers: number, shares: Record<string, number>): string[] {
  const names = Object.keys(shares).sort();
  const exact = names.map((n) => shares[n]! * viewers);
  const counts = exact.map(Math.floor);
  const order = names.map((_, i) => i).sort((a, b) => exact[b]! - counts[b]! - (exact[a]! - counts[a]!));
  for (let i = 0; counts.reduce((a, b) => a + b, 0) < viewers; i++) counts[order[i % names.length]!]!++;
  // Spread each profile evenly over the sequence: viewer k of a profile with n sits at (k + 0.5) / n.
  const slots = names.flatMap((name, i) =>
    Array.from({ length: counts[i]! }, (_, k) => ({ name, at: (k + 0.5) / counts[i]! })),
  );
  return slots.sort((a, b) => a.at - b.at || a.name.localeCompare(b.name)).map((s) => s.name);
}

/** Kernel UDP receive-buffer drops so far (all processes): datagrams that arrived faster than they were read. */
function udpReceiveBufferErrors(): number | null {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('Udp:'));
    const [names, values] = lines.map((l) => l.split(/\s+/));
    const index = names!.indexOf('RcvbufErrors');
    return index > 0 ? Number(values![index]) : null;
  } catch {
    return null;
  }
}

export const targetOf = (scenario: Scenario): Target =>
  scenario.livekit
    ? { kind: 'livekit', ...scenario.livekit }
    : { kind: 'token-service', url: scenario.tokenService, show: scenario.show! };

export async function runLoad(scenario: Scenario, options: RunOptions): Promise<Report> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const target = targetOf(scenario);
  const checked = options.preflight ?? (await preflight(target));
  log(
    `target ${target.url}: ${target.kind === 'livekit' ? `room ${target.room}` : `show ${target.show}`}, scenes ${checked.scenes.join(', ')}`,
  );
  if (checked.tokenLimit && checked.tokenLimit.count < scenario.viewers)
    log(
      `warning: the token service gives one client ${checked.tokenLimit.count} viewer tokens per ${checked.tokenLimit.windowSeconds} s; ` +
        `viewers over that wait (join failures). Raise VIEWER_TOKEN_RATE_LIMIT for the test, or use --livekit-url.`,
    );
  const networks = networksOf(scenario) as Record<string, NetworkProfile>;
  const assigned = assignProfiles(scenario.viewers, scenario.profiles);
  const workerCount = Math.min(scenario.workers ?? availableParallelism(), scenario.viewers);
  const shard = scenario.shard ?? hostname();
  const epoch = Date.now() + 500;
  const inputs: WorkerInput[] = Array.from({ length: workerCount }, (_, index) => ({
    index,
    target,
    viewers: [],
    profiles: networks,
    behaviour: scenario.behaviour,
    seed: scenario.seed,
    shard,
    epoch,
  }));
  for (const [id, profile] of assigned.entries())
    inputs[id % workerCount]!.viewers.push({ id, profile, startMs: (id / scenario.ramp) * 1000 });

  // The SFU's RSS, about 60 samples a run (one every 1–10 s): enough to see growth, too few to load it.
  const memory = new MemorySampler(
    scenario.sfuPid
      ? { kind: 'pid', pid: scenario.sfuPid }
      : scenario.sfuMetrics
        ? { kind: 'metrics', url: scenario.sfuMetrics }
        : metricsBeside(checked.livekitUrl),
    epoch,
    Math.min(10_000, Math.max(1000, scenario.duration / 60)),
  );
  const udpBefore = udpReceiveBufferErrors();
  const socketDrops = new SocketDropMeter();
  const cpuBefore = process.cpuUsage();
  const startedAt = new Date(epoch);
  const latest = new Map<number, { raw: Raw; health: WorkerHealth; connected: number; started: number }>();
  const done = new Map<number, { raw: Raw; health: WorkerHealth }>();
  const workers = inputs.map((input) => {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: input });
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'snapshot') latest.set(input.index, message);
      else done.set(input.index, message);
    });
    worker.on('error', (error) => log(`worker ${input.index} failed: ${error.message}`));
    return worker;
  });

  const bar = showProgress(options.progressStream);
  const ticker = setInterval(() => {
    const snapshots = [...latest.values()];
    const merged = snapshots.reduce((sum, s) => mergeRaw(sum, s.raw), emptyRaw());
    const p95 = (metric: 'join_ms' | 'switch_first_frame_ms') => {
      const encoded = Object.values(merged.profiles).map((p) => p.histograms[metric]);
      if (encoded.length === 0) return null;
      const histogram = decodeHistogram(encoded[0]!);
      for (const e of encoded.slice(1)) histogram.add(decodeHistogram(e));
      return histogram.totalCount > 0 ? histogram.getValueAtPercentile(95) : null;
    };
    const counters = Object.values(merged.profiles).map((p) => p.counters);
    bar.update({
      connected: snapshots.reduce((sum, s) => sum + s.connected, 0),
      target: scenario.viewers,
      joinP95: p95('join_ms'),
      switchP95: p95('switch_first_frame_ms'),
      errors: counters.reduce((sum, c) => sum + c.joinFailures + c.disconnects, 0),
      remainingSeconds: (epoch + scenario.duration - Date.now()) / 1000,
    });
  }, 1000);

  let interrupted = false;
  await Promise.race([
    new Promise((resolve) => setTimeout(resolve, Math.max(0, epoch + scenario.duration - Date.now()))),
    options.interrupt?.then(() => {
      interrupted = true;
    }),
  ]);
  clearInterval(ticker);
  bar.stop();
  if (interrupted) log('interrupted: stopping the viewers and writing the partial report');
  const stop: CoordinatorMessage = { type: 'stop' };
  for (const worker of workers) worker.postMessage(stop);
  // Each worker closes its viewers and sends its final measurements; one that does not in time is
  // represented by its last snapshot.
  const deadline = Date.now() + 20_000;
  while (done.size < workers.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const ended = Date.now();
  const cpu = process.cpuUsage(cpuBefore);
  await Promise.all(workers.map((w) => w.terminate()));
  const sfuMemory = await memory.stop();
  const rampSeconds = scenario.viewers / scenario.ramp;

  const finals = inputs.map((input) => done.get(input.index) ?? latest.get(input.index));
  const raw = finals.reduce((sum, f) => (f ? mergeRaw(sum, f.raw) : sum), emptyRaw());
  const health = finals.flatMap((f) => (f ? [f.health] : []));
  const udpAfter = udpReceiveBufferErrors();
  const generatorUdpDrops = socketDrops.stop();
  const packets = Object.values(raw.profiles).reduce((sum, p) => sum + p.counters.packets, 0);
  const seconds = (ended - epoch) / 1000;
  const cores = availableParallelism();
  const cpuCores = (cpu.user + cpu.system) / 1e6 / seconds;
  const shardInfo: ShardInfo = {
    shard,
    host: hostname(),
    cores,
    workers: health,
    cpuCores: Math.round(cpuCores * 100) / 100,
    cpuPercent: Math.round((cpuCores / cores) * 1000) / 10,
    udpReceiveBufferErrors: udpBefore !== null && udpAfter !== null ? udpAfter - udpBefore : null,
    generatorUdpDrops,
    bottleneck: bottleneckOf(health, { drops: generatorUdpDrops, packets }),
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round(seconds * 10) / 10,
  };
  const browsers = await options.beforeReport?.();
  const report = buildReport(raw, {
    target:
      target.kind === 'livekit'
        ? { kind: 'livekit', url: target.url, room: target.room }
        : { kind: 'token-service', url: target.url, show: target.show },
    scenario: {
      viewers: scenario.viewers,
      rampPerSecond: scenario.ramp,
      durationSeconds: scenario.duration / 1000,
      profiles: scenario.profiles,
      behaviour: scenario.behaviour,
      seed: scenario.seed,
    },
    thresholds: scenario.thresholds,
    shards: [shardInfo],
    interrupted,
    browsers,
    sfu: {
      ...sfuMemory,
      rss_growth_pct: rssGrowthPct(sfuMemory.samples, rampSeconds, scenario.duration / 1000),
    },
  });
  writeReport(report, options.out);
  return report;
}

export function writeReport(report: Report, out: string): void {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(out, 'report.html'), renderHtml(report));
}
