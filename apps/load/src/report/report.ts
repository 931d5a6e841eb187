// report.json: the run's verdict, thresholds and metrics (all viewers and per profile), the generator's
// health, and the raw measurements it was computed from — so shards merge exactly and report.html can be
// rebuilt. The shape is versioned (schemaVersion); README.md documents it.

import type { LinkStats, NetworkProfile } from '@scenecast/load-client';
import {
  type Counters,
  decodeHistogram,
  emptyCounters,
  type LatencyMetric,
  mergeRaw,
  type Raw,
  type RawProfile,
  type ViewerRow,
} from '../metrics.js';
import type { SfuMemory } from '../sfu-memory.js';
import type { WorkerHealth } from '../worker.js';
import { evaluateThreshold, parseThreshold, type ThresholdResult } from './thresholds.js';

export const schemaVersion = 1;

export interface Distribution {
  count: number;
  /** Actions that never got there (no picture, or the layer never came before the next action). */
  missed: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

export interface ProfileMetrics {
  viewers: number;
  join_ms: Distribution;
  switch_first_frame_ms: Distribution;
  switch_sharp_ms: Distribution;
  zoom_2160_ms: Distribution;
  /** Chat sent → seen by another viewer; `missed`: messages never relayed back to their sender within 10 s. */
  chat_ms: Distribution;
  /** Each viewer's mean received bitrate. */
  bitrate_kbps: {
    count: number;
    mean: number | null;
    min: number | null;
    p5: number | null;
    p50: number | null;
    p95: number | null;
    max: number | null;
  };
  /** Frozen time over shown time, summed over every track (stage and rail). */
  freeze_ratio: number | null;
  freezes: number;
  /** RFC 3550: packets the sequence numbers say were sent but never arrived (not even retransmitted), over those sent. */
  loss_ratio: number | null;
  /** Share of the datagrams toward viewers that the emulated network dropped (before NACKs recovered any). */
  network_loss_ratio: number | null;
  nacks: number;
  plis: number;
  disconnects: number;
  reconnects: number;
  join_failures: number;
  switches: number;
  zooms: number;
  chat_sent: number;
  /** Refusal notices the moderator sent back (at most one a second per sender, so a lower bound under a flood). */
  chat_refused: number;
  /** Viewers the moderator muted. */
  chat_muted: number;
  /** Share of stage time at each layer height (e.g. "180", "360", "2160"). */
  layers: Record<string, number>;
  /** Share of stage time at the top layer the stage camera announced (2160p on the demo show's studio). */
  top_layer_share: number | null;
  stage_height_mean: number | null;
}

export interface ShardInfo {
  shard: string;
  host: string;
  cores: number;
  workers: WorkerHealth[];
  /** CPU the whole generator process used, in cores, and as a share of the host's cores. */
  cpuCores: number;
  cpuPercent: number;
  /** Kernel UDP receive-buffer drops on the host during the run (all processes). */
  udpReceiveBufferErrors: number | null;
  /** Datagrams the kernel dropped on the generator's own sockets, read too slowly: loss the generator made. */
  generatorUdpDrops: number | null;
  /** Why this shard's numbers cannot be trusted; empty when they can. */
  bottleneck: string[];
  startedAt: string;
  durationSeconds: number;
}

export interface ReportMeta {
  target: { kind: 'token-service' | 'livekit'; url: string; show?: string; room?: string };
  scenario: {
    viewers: number;
    rampPerSecond: number;
    durationSeconds: number;
    profiles: Record<string, number>;
    behaviour: unknown;
    seed: number;
  };
  thresholds: string[];
  shards: ShardInfo[];
  interrupted: boolean;
  browsers?: BrowserResults;
  sfu?: SfuReport;
}

/** The target SFU's RSS over the run (sfu-memory.ts). */
interface SfuReport extends SfuMemory {
  /** Growth from once every viewer joined to the end, in percent (medians of the first and last tenth). */
  rss_growth_pct: number | null;
}

export interface BrowserResults {
  count: number;
  /** The browsers' profiles, comma-separated (each one's is in `viewers`). */
  profile: string;
  /** How the browsers' networks were emulated (see README: browser viewers). */
  network: string;
  join_ms: number[];
  switch_first_frame_ms: number[];
  switch_sharp_ms: number[];
  zoom_2160_ms: number[];
  freezes: number;
  frozenMs: number;
  framesDecoded: number;
  packetsLost: number;
  packetsReceived: number;
  consoleErrors: string[];
  /** Each browser: its network and what it measured. Absent in reports written before it was added. */
  viewers?: BrowserViewer[];
}

/** One browser viewer: which profile, which of its knobs applied and how, and what it measured. */
export interface BrowserViewer {
  profile: string;
  /** turn-relay: all its media through a TURN relay behind its own link proxy; direct: the host network. */
  via: 'turn-relay' | 'direct';
  /** The profile's knobs its links applied, by their names in the profile (rateKbps, delayMs, …, outage). */
  knobs: string[];
  /** Their settings: each direction's, and the outage (as in the profile, without its description). */
  settings: Pick<NetworkProfile, 'down' | 'up' | 'outage'>;
  /** What its two links did (datagrams sent, delivered, lost, dropped), or null when direct. */
  link: { down: LinkStats; up: LinkStats } | null;
  join_ms: number | null;
  switch_first_frame_ms: number[];
  switch_sharp_ms: number[];
  zoom_2160_ms: number[];
  /** Video received (all tracks), from the first picture to the end. */
  bitrate_kbps: number | null;
  /** The stage picture's height, median of one sample a second. */
  stage_height_p50: number | null;
  freezes: number;
  frozenMs: number;
  framesDecoded: number;
  packetsLost: number;
  packetsReceived: number;
  consoleErrors: string[];
}

export interface Report {
  schemaVersion: typeof schemaVersion;
  tool: 'scenecast-load';
  verdict: 'pass' | 'fail' | 'invalid';
  invalidReasons: string[];
  interrupted: boolean;
  target: ReportMeta['target'];
  scenario: ReportMeta['scenario'];
  thresholds: ThresholdResult[];
  /** All viewers; and the SFU's RSS growth (run-wide, so not per profile). */
  metrics: ProfileMetrics & { rss_growth_pct: number | null };
  profiles: Record<string, ProfileMetrics>;
  generator: { workers: number; cpuPercent: number; shards: ShardInfo[] };
  browsers?: BrowserResults;
  sfu?: SfuReport;
  /** Why sessions ended or joins failed (numbers masked), with how often. */
  errors: Record<string, number>;
  raw: Raw;
}

/** Above this share of its time busy, a worker thread delays what it measures. */
export const maxWorkerUtilisation = 0.9;
/** Above this share of what arrived dropped on its own sockets, the generator made the loss it measures. */
const maxGeneratorLoss = 0.01;
/** Event-loop delay at which the generator's own timing error is the size of what it measures. */
export const maxEventLoopDelayMs = 200;

/** Why a shard's generator, not the target, limited the run; empty when it did not. */
export function bottleneckOf(
  workers: WorkerHealth[],
  udp: { drops: number | null; packets: number },
): string[] {
  const reasons: string[] = [];
  if (udp.drops !== null && udp.drops > maxGeneratorLoss * (udp.packets + udp.drops))
    reasons.push(
      `the generator's own sockets dropped ${udp.drops} datagrams it read too slowly (${(
        (udp.drops / (udp.packets + udp.drops)) * 100
      ).toFixed(1)} % of what arrived, over ${maxGeneratorLoss * 100} %)`,
    );
  for (const w of workers) {
    if (w.elu > maxWorkerUtilisation)
      reasons.push(
        `worker ${w.index} was busy ${(w.elu * 100).toFixed(0)} % of the run (over ${maxWorkerUtilisation * 100} %)`,
      );
    if (w.eventLoopDelayMs.p99 > maxEventLoopDelayMs)
      reasons.push(
        `worker ${w.index}'s event loop lagged ${w.eventLoopDelayMs.p99} ms at p99 (over ${maxEventLoopDelayMs} ms)`,
      );
  }
  return reasons;
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

function distribution(encoded: string[], missed: number): Distribution {
  const histogram = decodeHistogram(encoded[0] ?? '');
  for (const more of encoded.slice(1)) histogram.add(decodeHistogram(more));
  const count = histogram.totalCount;
  const at = (p: number) => (count > 0 ? histogram.getValueAtPercentile(p) : null);
  return {
    count,
    missed,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    max: count > 0 ? histogram.maxValue : null,
    mean: count > 0 ? round(histogram.mean) : null,
  };
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function profileMetrics(profiles: RawProfile[], viewers: ViewerRow[]): ProfileMetrics {
  const counters: Counters = emptyCounters();
  for (const p of profiles)
    for (const key of Object.keys(counters) as Array<keyof Counters>) counters[key] += p.counters[key] ?? 0;
  const latency = (metric: LatencyMetric) =>
    distribution(
      profiles.map((p) => p.histograms[metric]),
      profiles.reduce((sum, p) => sum + (p.missed[metric] ?? 0), 0),
    );
  const stageMs = new Map<string, number>();
  for (const p of profiles)
    for (const [height, ms] of Object.entries(p.stageMsByHeight))
      stageMs.set(height, (stageMs.get(height) ?? 0) + ms);
  stageMs.delete('0'); // before the first keyframe: no layer yet
  const stageTotal = [...stageMs.values()].reduce((a, b) => a + b, 0);
  const layers = Object.fromEntries(
    [...stageMs].sort((a, b) => Number(a[0]) - Number(b[0])).map(([h, ms]) => [h, round(ms / stageTotal, 4)]),
  );
  const kbps = viewers.map((v) => v.kbps).sort((a, b) => a - b);
  return {
    viewers: counters.viewers,
    join_ms: latency('join_ms'),
    switch_first_frame_ms: latency('switch_first_frame_ms'),
    switch_sharp_ms: latency('switch_sharp_ms'),
    zoom_2160_ms: latency('zoom_2160_ms'),
    chat_ms: latency('chat_ms'),
    bitrate_kbps: {
      count: kbps.length,
      mean: kbps.length ? round(kbps.reduce((a, b) => a + b, 0) / kbps.length) : null,
      min: kbps.length ? round(kbps[0]!) : null,
      p5: percentile(kbps, 5) === null ? null : round(percentile(kbps, 5)!),
      p50: percentile(kbps, 50) === null ? null : round(percentile(kbps, 50)!),
      p95: percentile(kbps, 95) === null ? null : round(percentile(kbps, 95)!),
      max: kbps.length ? round(kbps.at(-1)!) : null,
    },
    freeze_ratio: counters.watchedMs > 0 ? round(counters.frozenMs / counters.watchedMs, 5) : null,
    freezes: counters.freezes,
    loss_ratio:
      counters.expected > 0
        ? round(Math.max(0, counters.expected - counters.packets) / counters.expected, 5)
        : null,
    network_loss_ratio:
      counters.networkSent > 0 ? round(counters.networkDropped / counters.networkSent, 5) : null,
    nacks: counters.nacks,
    plis: counters.plis,
    disconnects: counters.disconnects,
    reconnects: counters.reconnects,
    join_failures: counters.joinFailures,
    switches: counters.switches,
    zooms: counters.zooms,
    chat_sent: counters.chatSent,
    chat_refused: counters.chatRefused,
    chat_muted: counters.chatMuted,
    layers,
    top_layer_share: counters.stageMs > 0 ? round(counters.stageTopMs / counters.stageMs, 4) : null,
    stage_height_mean:
      stageTotal > 0
        ? round([...stageMs].reduce((sum, [h, ms]) => sum + Number(h) * ms, 0) / stageTotal)
        : null,
  };
}

/** Computes the report from the measurements and what the run was. */
export function buildReport(raw: Raw, meta: ReportMeta): Report {
  const metrics = {
    ...profileMetrics(Object.values(raw.profiles), raw.viewers),
    rss_growth_pct: meta.sfu?.rss_growth_pct ?? null,
  };
  const profiles = Object.fromEntries(
    Object.entries(raw.profiles).map(([name, p]) => [
      name,
      profileMetrics(
        [p],
        raw.viewers.filter((v) => v.profile === name),
      ),
    ]),
  );
  const thresholds = meta.thresholds.map((expression) =>
    evaluateThreshold(
      parseThreshold(expression),
      metrics as unknown as Record<string, unknown>,
      profiles as unknown as Record<string, Record<string, unknown>>,
    ),
  );
  const invalidReasons = meta.shards.flatMap((s) => s.bottleneck.map((reason) => `${s.shard}: ${reason}`));
  const verdict = invalidReasons.length > 0 ? 'invalid' : thresholds.every((t) => t.pass) ? 'pass' : 'fail';
  return {
    schemaVersion,
    tool: 'scenecast-load',
    verdict,
    invalidReasons,
    interrupted: meta.interrupted,
    target: meta.target,
    scenario: meta.scenario,
    thresholds,
    metrics,
    profiles,
    generator: {
      workers: meta.shards.reduce((sum, s) => sum + s.workers.length, 0),
      cpuPercent: Math.max(0, ...meta.shards.map((s) => s.cpuPercent)),
      shards: meta.shards,
    },
    ...(meta.browsers ? { browsers: meta.browsers } : {}),
    ...(meta.sfu ? { sfu: meta.sfu } : {}),
    errors: raw.errors ?? {},
    raw,
  };
}

/** Merges shards' reports into one: measurements added, thresholds checked again on the sum. */
export function mergeReports(reports: Report[], thresholds?: string[]): Report {
  const first = reports[0]!;
  const raw = reports.slice(1).reduce((sum, r) => mergeRaw(sum, r.raw), first.raw);
  const viewers = reports.reduce((sum, r) => sum + r.scenario.viewers, 0);
  const shares: Record<string, number> = {};
  for (const r of reports)
    for (const [name, share] of Object.entries(r.scenario.profiles))
      shares[name] = (shares[name] ?? 0) + (share * r.scenario.viewers) / viewers;
  return buildReport(raw, {
    target: first.target,
    scenario: {
      ...first.scenario,
      viewers,
      rampPerSecond: reports.reduce((sum, r) => sum + r.scenario.rampPerSecond, 0),
      profiles: shares,
    },
    thresholds: thresholds ?? [...new Set(reports.flatMap((r) => r.thresholds.map((t) => t.expression)))],
    shards: reports.flatMap((r) => r.generator.shards),
    interrupted: reports.some((r) => r.interrupted),
    browsers: first.browsers,
    // Every shard watched the same SFU: one shard's samples say it.
    sfu: reports.find((r) => r.sfu)?.sfu,
  });
}
