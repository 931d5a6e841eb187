// What a run measures, in the one form that travels: workers send it to the coordinator, report.json keeps
// it under `raw`, and shards from several machines merge it — histograms exactly (HDR, hdr-histogram-js),
// counters by adding, per-viewer rows and per-second series by concatenating.
import hdr from 'hdr-histogram-js';

/** The latencies measured, each per action: the report's names. */
export const latencyMetrics = [
  'join_ms',
  'switch_first_frame_ms',
  'switch_sharp_ms',
  'zoom_2160_ms',
  /** A chat message sent → seen relayed by another viewer (one sample per message and receiving viewer). */
  'chat_ms',
] as const;
export type LatencyMetric = (typeof latencyMetrics)[number];

export interface Counters {
  /** Viewers that ran under this profile. */
  viewers: number;
  joinAttempts: number;
  joinFailures: number;
  disconnects: number;
  reconnects: number;
  switches: number;
  zooms: number;
  /** Chat messages sent; refusal notices and mutes the moderator sent back about them. */
  chatSent: number;
  chatRefused: number;
  chatMuted: number;
  packets: number;
  /** Packets the sequence numbers say were sent (RFC 3550). */
  expected: number;
  bytes: number;
  nacks: number;
  plis: number;
  /** Datagrams the emulated downlink carried toward viewers, and those it dropped (loss, queue, outage). */
  networkSent: number;
  networkDropped: number;
  freezes: number;
  frozenMs: number;
  /** Stage time, and the part of it at the stage camera's announced top layer. */
  stageMs: number;
  stageTopMs: number;
  /** Time tracks were shown (first frame to the end), summed over tracks: freeze_ratio's denominator. */
  watchedMs: number;
}

export const emptyCounters = (): Counters => ({
  viewers: 0,
  joinAttempts: 0,
  joinFailures: 0,
  disconnects: 0,
  reconnects: 0,
  switches: 0,
  zooms: 0,
  chatSent: 0,
  chatRefused: 0,
  chatMuted: 0,
  packets: 0,
  expected: 0,
  bytes: 0,
  nacks: 0,
  plis: 0,
  networkSent: 0,
  networkDropped: 0,
  freezes: 0,
  frozenMs: 0,
  watchedMs: 0,
  stageMs: 0,
  stageTopMs: 0,
});

/** One simulated viewer at the end of its run. */
export interface ViewerRow {
  id: number;
  profile: string;
  /** The generator (shard) that ran it. */
  shard: string;
  kbps: number;
  lossRatio: number;
  freezes: number;
  frozenMs: number;
  /** Mean height of the stage picture over the time it was shown. */
  stageHeight: number;
  disconnects: number;
}

/** One second of one profile: what its viewers received, and at which stage layer. */
export interface SeriesPoint {
  /** Seconds since the shard started. */
  t: number;
  profile: string;
  viewers: number;
  kbps: number;
  stageHeight: number;
}

/** One profile's measurements, serialisable. */
export interface RawProfile {
  /** HDR histograms of milliseconds, compressed base64 (HdrHistogram's own encoding). */
  histograms: Record<LatencyMetric, string>;
  /** Actions whose measurement never completed (no picture, or the target layer never came before the next action). */
  missed: Record<LatencyMetric, number>;
  counters: Counters;
  /** Milliseconds the stage was shown at each layer height. */
  stageMsByHeight: Record<string, number>;
}

export interface Raw {
  profiles: Record<string, RawProfile>;
  /** Why sessions ended or joins failed, with how often. */
  errors: Record<string, number>;
  viewers: ViewerRow[];
  series: SeriesPoint[];
}

export const newHistogram = () =>
  hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000,
    numberOfSignificantValueDigits: 3,
  });
export type Histogram = ReturnType<typeof newHistogram>;

/** A profile's measurements as they are taken, in one worker. */
export class ProfileRecorder {
  readonly histograms = Object.fromEntries(latencyMetrics.map((m) => [m, newHistogram()])) as Record<
    LatencyMetric,
    Histogram
  >;
  readonly missed = Object.fromEntries(latencyMetrics.map((m) => [m, 0])) as Record<LatencyMetric, number>;
  readonly counters = emptyCounters();
  readonly stageMsByHeight = new Map<number, number>();
  readonly errors = new Map<string, number>();

  error(reason: string): void {
    // Numbers (ports, ids, sizes) would make every reason its own.
    const key = reason.replace(/\d+/g, 'N').slice(0, 160);
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }

  record(metric: LatencyMetric, ms: number): void {
    this.histograms[metric].recordValue(Math.max(1, Math.round(ms)));
  }

  miss(metric: LatencyMetric): void {
    this.missed[metric]++;
  }

  raw(): RawProfile {
    return {
      histograms: Object.fromEntries(
        latencyMetrics.map((m) => [m, hdr.encodeIntoCompressedBase64(this.histograms[m])]),
      ) as Record<LatencyMetric, string>,
      missed: { ...this.missed },
      counters: { ...this.counters },
      stageMsByHeight: Object.fromEntries([...this.stageMsByHeight].map(([h, ms]) => [String(h), ms])),
    };
  }
}

export const decodeHistogram = (encoded: string): Histogram => {
  if (!encoded) return newHistogram();
  const decoded = hdr.decodeFromCompressedBase64(encoded);
  // Decoded histograms keep the encoder's range; copy into ours so every merge has the same shape.
  const histogram = newHistogram();
  histogram.add(decoded);
  return histogram;
};

function mergeProfile(a: RawProfile, b: RawProfile): RawProfile {
  const histograms = {} as Record<LatencyMetric, string>;
  const missed = {} as Record<LatencyMetric, number>;
  for (const metric of latencyMetrics) {
    const histogram = decodeHistogram(a.histograms[metric]);
    histogram.add(decodeHistogram(b.histograms[metric]));
    histograms[metric] = hdr.encodeIntoCompressedBase64(histogram);
    // (A report from before a metric existed lacks it: nothing measured.)
    missed[metric] = (a.missed[metric] ?? 0) + (b.missed[metric] ?? 0);
  }
  const counters = emptyCounters();
  for (const key of Object.keys(counters) as Array<keyof Counters>)
    counters[key] = (a.counters[key] ?? 0) + (b.counters[key] ?? 0);
  const stageMsByHeight: Record<string, number> = { ...a.stageMsByHeight };
  for (const [height, ms] of Object.entries(b.stageMsByHeight))
    stageMsByHeight[height] = (stageMsByHeight[height] ?? 0) + ms;
  return { histograms, missed, counters, stageMsByHeight };
}

/** Adds two sets of measurements (two workers, or two shards). */
export function mergeRaw(a: Raw, b: Raw): Raw {
  const profiles: Record<string, RawProfile> = { ...a.profiles };
  for (const [name, profile] of Object.entries(b.profiles))
    profiles[name] = profiles[name] ? mergeProfile(profiles[name], profile) : profile;
  // Series points of the same second and profile add up (viewers and kbps) and average (stage height).
  const series = new Map<string, SeriesPoint>();
  for (const point of [...a.series, ...b.series]) {
    const key = `${point.t}/${point.profile}`;
    const seen = series.get(key);
    if (!seen) series.set(key, { ...point });
    else {
      const viewers = seen.viewers + point.viewers;
      seen.stageHeight =
        viewers > 0 ? (seen.stageHeight * seen.viewers + point.stageHeight * point.viewers) / viewers : 0;
      seen.viewers = viewers;
      seen.kbps += point.kbps;
    }
  }
  const errors = { ...a.errors };
  for (const [reason, count] of Object.entries(b.errors ?? {}))
    errors[reason] = (errors[reason] ?? 0) + count;
  return {
    profiles,
    errors,
    viewers: [...a.viewers, ...b.viewers],
    series: [...series.values()].sort((x, y) => x.t - y.t || x.profile.localeCompare(y.profile)),
  };
}

export const emptyRaw = (): Raw => ({ profiles: {}, errors: {}, viewers: [], series: [] });
