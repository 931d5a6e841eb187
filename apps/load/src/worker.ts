// A generator worker thread: runs its share of the simulated viewers, each starting at its place in the
// ramp, and reports to the coordinator every two seconds and once at the end — its measurements (metrics.ts)
// and its own health (event-loop utilisation and delay), so the report can tell a busy generator from a
// slow target.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { NetworkProfile } from '@scenecast/load-client';
import { ProfileRecorder, type Raw, type SeriesPoint } from './metrics.js';
import { grant, type Target } from './target.js';
import { type Behaviour, SimulatedViewer } from './viewer/simulated-viewer.js';

export interface WorkerInput {
  index: number;
  target: Target;
  viewers: Array<{ id: number; profile: string; startMs: number }>;
  profiles: Record<string, NetworkProfile>;
  behaviour: Behaviour;
  seed: number;
  shard: string;
  /** Date.now() when the run started: viewers start at startMs after it. */
  epoch: number;
}

export interface WorkerHealth {
  index: number;
  /** Event-loop utilisation over the run (0–1): how busy this thread was. */
  elu: number;
  /** The busiest 2-s window's utilisation. */
  eluMax: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
}

export type WorkerMessage =
  | { type: 'snapshot'; raw: Raw; health: WorkerHealth; connected: number; started: number }
  | { type: 'done'; raw: Raw; health: WorkerHealth };

export type CoordinatorMessage = { type: 'stop' };

const input = workerData as WorkerInput;
const recorders = new Map<string, ProfileRecorder>();
const recorderOf = (profile: string) => {
  let recorder = recorders.get(profile);
  if (!recorder) {
    recorder = new ProfileRecorder();
    recorders.set(profile, recorder);
  }
  return recorder;
};
const viewers: SimulatedViewer[] = [];
const runs: Promise<void>[] = [];
const timers: NodeJS.Timeout[] = [];
const series: SeriesPoint[] = [];
let stopping = false;

const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
let eluStart = performance.eventLoopUtilization();
let eluWindow = eluStart;
let eluMax = 0;
/**
 * A worker's start-up — loading werift, making its DTLS certificate, the JIT warming up — is not the load
 * it puts on itself by holding viewers: health is measured from 3 s after its first viewer starts.
 */
const warmupMs = 3000;
const firstStart = Math.min(...input.viewers.map((v) => v.startMs));
setTimeout(
  () => {
    delay.reset();
    eluStart = eluWindow = performance.eventLoopUtilization();
  },
  Math.max(0, input.epoch + firstStart + warmupMs - Date.now()),
);

function health(): WorkerHealth {
  const elu = performance.eventLoopUtilization(eluStart).utilization;
  const ms = (ns: number) => Math.round((ns / 1e6) * 10) / 10;
  return {
    index: input.index,
    elu,
    eluMax,
    eventLoopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
  };
}

function raw(withViewers: boolean): Raw {
  return {
    profiles: Object.fromEntries([...recorders].map(([name, r]) => [name, r.raw()])),
    errors: Object.fromEntries(
      [...recorders.values()]
        .flatMap((r) => [...r.errors])
        .reduce((all, [reason, n]) => all.set(reason, (all.get(reason) ?? 0) + n), new Map<string, number>()),
    ),
    viewers: withViewers ? viewers.map((v) => v.row()) : [],
    series: [...series],
  };
}

for (const spec of input.viewers) {
  const recorder = recorderOf(spec.profile);
  const viewer = new SimulatedViewer({
    id: spec.id,
    profileName: spec.profile,
    profile: input.profiles[spec.profile]!,
    behaviour: input.behaviour,
    seed: input.seed,
    shard: input.shard,
    grant: (name) => grant(input.target, name),
    recorder,
  });
  timers.push(
    setTimeout(
      () => {
        if (stopping) return;
        viewers.push(viewer);
        runs.push(viewer.run().catch(() => undefined));
      },
      Math.max(0, input.epoch + spec.startMs - Date.now()),
    ),
  );
}

// Once a second: what each profile's viewers received, and the stage layer they saw.
let lastBytes = new Map<SimulatedViewer, number>();
let lastSample = performance.now();
let lastT = -Infinity;
const sampler = setInterval(() => {
  const now = performance.now();
  const seconds = (now - lastSample) / 1000;
  lastSample = now;
  // One point per second per worker, so workers' points add up second by second: a late tick (event-loop
  // lag) takes the next second, not the one already taken, and a skipped second repeats this tick's values.
  const t = Math.max(Math.round((Date.now() - input.epoch) / 1000), lastT + 1);
  const from = Number.isFinite(lastT) ? lastT + 1 : t;
  lastT = t;
  const byProfile = new Map<string, { viewers: number; bits: number; height: number }>();
  const bytes = new Map<SimulatedViewer, number>();
  for (const viewer of viewers) {
    const profile = viewer.profileName;
    const sum = byProfile.get(profile) ?? { viewers: 0, bits: 0, height: 0 };
    const now = viewer.bytes;
    bytes.set(viewer, now);
    sum.bits += (now - (lastBytes.get(viewer) ?? 0)) * 8;
    if (viewer.connected) {
      sum.viewers++;
      sum.height += viewer.stageHeight;
    }
    byProfile.set(profile, sum);
  }
  lastBytes = bytes;
  for (let second = from; second <= t; second++)
    for (const [profile, sum] of byProfile)
      series.push({
        t: second,
        profile,
        viewers: sum.viewers,
        kbps: Math.round(sum.bits / 1000 / seconds),
        stageHeight: sum.viewers > 0 ? Math.round(sum.height / sum.viewers) : 0,
      });
}, 1000);

const reporter = setInterval(() => {
  if (Date.now() > input.epoch + firstStart + warmupMs)
    eluMax = Math.max(eluMax, performance.eventLoopUtilization(eluWindow).utilization);
  eluWindow = performance.eventLoopUtilization();
  const message: WorkerMessage = {
    type: 'snapshot',
    raw: raw(false),
    health: health(),
    connected: viewers.filter((v) => v.connected).length,
    started: viewers.length,
  };
  parentPort!.postMessage(message);
}, 2000);

parentPort!.on('message', async (message: CoordinatorMessage) => {
  if (message.type !== 'stop' || stopping) return;
  stopping = true;
  for (const timer of timers) clearTimeout(timer);
  clearInterval(sampler);
  clearInterval(reporter);
  for (const viewer of viewers) viewer.stop();
  await Promise.all(runs);
  const done: WorkerMessage = { type: 'done', raw: raw(true), health: health() };
  parentPort!.postMessage(done);
});
