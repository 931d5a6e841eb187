// The target SFU's resident memory over the run, for soaks: read from its Prometheus metrics
// (`process_resident_memory_bytes`, under any prefix: the embedded SFU's is `sfu_process_`; LiveKit's is on its
// `prometheus_port`) or, for an SFU on this host, from /proc/<pid>/status. Sampled by the coordinator, so
// the workers' measurements are untouched.
import { readFile } from 'node:fs/promises';

type MemorySource = { kind: 'metrics'; url: string } | { kind: 'pid'; pid: number };

interface MemorySample {
  /** Seconds since the run started. */
  t: number;
  rssBytes: number;
}

export interface SfuMemory {
  /** Where it was read: the metrics URL, or `pid N`. */
  source: string;
  samples: MemorySample[];
  /** The first read that failed, if one did (sampling goes on). */
  error?: string;
}

const rssLine = /^(?:\w+_)?process_resident_memory_bytes(?:\{[^}]*\})?\s+([0-9.e+]+)\s*$/m;

async function readRss(source: MemorySource): Promise<number> {
  if (source.kind === 'pid') {
    const status = await readFile(`/proc/${source.pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
    if (!kb) throw new Error(`process ${source.pid} reports no VmRSS`);
    return Number(kb) * 1024;
  }
  const response = await fetch(source.url, { signal: AbortSignal.timeout(3000) });
  if (!response.ok) throw new Error(`${source.url} answered ${response.status}`);
  const value = rssLine.exec(await response.text())?.[1];
  if (!value) throw new Error(`${source.url} has no process_resident_memory_bytes`);
  return Number(value);
}

/** The embedded SFU serves /metrics beside its signalling: the LiveKit URL's origin over HTTP. */
export const metricsBeside = (livekitUrl: string): MemorySource => {
  const url = new URL(livekitUrl.replace(/^ws/, 'http'));
  return { kind: 'metrics', url: `${url.origin}/metrics` };
};

/** Samples the SFU's RSS every `intervalMs` from `epoch` on, until stop(). */
export class MemorySampler {
  private readonly memory: SfuMemory;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly source: MemorySource,
    private readonly epoch: number,
    intervalMs: number,
  ) {
    this.memory = { source: source.kind === 'pid' ? `pid ${source.pid}` : source.url, samples: [] };
    void this.sample();
    this.timer = setInterval(() => void this.sample(), intervalMs);
  }

  private async sample(): Promise<void> {
    try {
      const rssBytes = await readRss(this.source);
      this.memory.samples.push({ t: Math.round((Date.now() - this.epoch) / 100) / 10, rssBytes });
    } catch (error) {
      this.memory.error ??= (error as Error).message;
    }
  }

  async stop(): Promise<SfuMemory> {
    clearInterval(this.timer);
    await this.sample();
    return this.memory;
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * RSS growth over the run, in percent, as a leak shows it: the median of the last tenth of the samples
 * against the median of the second tenth, of those taken while every viewer was in (from `from`, the end of
 * the ramp, to `until`, the end of the run — not the teardown, when every viewer leaves at once). The first
 * tenth is the warm-up: V8 sizes its heap to the load during the first minutes of switching and keeps it
 * (a 30-minute soak of the embedded SFU: 333 MB at 1 min, 347–362 MB from 4 min to the end). Medians, so one
 * garbage collection does not decide it. Null with fewer than three samples in the window.
 */
export function rssGrowthPct(
  samples: MemorySample[],
  from: number,
  until = Number.POSITIVE_INFINITY,
): number | null {
  const steady = samples.filter((s) => s.t >= from && s.t <= until);
  if (steady.length < 3) return null;
  const tenth = Math.max(1, Math.floor(steady.length / 10));
  const first = median(steady.slice(tenth, 2 * tenth).map((s) => s.rssBytes));
  const last = median(steady.slice(-tenth).map((s) => s.rssBytes));
  return first > 0 ? Math.round(((last - first) / first) * 1000) / 10 : null;
}
