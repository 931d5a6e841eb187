// Datagrams the kernel dropped on this process's own UDP sockets because they were not read in time: loss
// the generator made, not the target or the emulated network. Linux only (/proc); read by hand because no
// kept library reads per-socket drops.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** The drops column of /proc/net/udp{,6} for the sockets this process holds, by inode. */
function sample(): Map<string, number> | null {
  let inodes: Set<string>;
  try {
    inodes = new Set(
      readdirSync('/proc/self/fd').flatMap((fd) => {
        try {
          return [/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1] ?? ''];
        } catch {
          return []; // closed since the listing
        }
      }),
    );
  } catch {
    return null;
  }
  const drops = new Map<string, number>();
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
      if (fields.length >= 13 && inodes.has(fields[9]!)) drops.set(fields[9]!, Number(fields[12]));
    }
  }
  return drops;
}

/**
 * Samples this process's UDP sockets every second and sums each one's drops. A socket closed between two
 * samples loses at most its last second's.
 */
export class SocketDropMeter {
  private readonly seen = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private readonly available: boolean;
  /** Drops on sockets already open at the start, which are not this run's. */
  private readonly before: Map<string, number>;

  constructor() {
    const start = sample();
    this.available = start !== null;
    this.before = start ?? new Map();
    this.timer = setInterval(() => this.read(), 1000);
    this.timer.unref();
  }

  private read(): void {
    for (const [inode, drops] of sample() ?? [])
      this.seen.set(inode, Math.max(drops, this.seen.get(inode) ?? 0));
  }

  /** Drops so far; null where /proc cannot tell. Stops sampling. */
  stop(): number | null {
    this.read();
    clearInterval(this.timer);
    if (!this.available) return null;
    let total = 0;
    for (const [inode, drops] of this.seen) total += drops - (this.before.get(inode) ?? 0);
    return total;
  }
}
