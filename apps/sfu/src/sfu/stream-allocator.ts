import { VideoQuality } from '@livekit/protocol';
import { qualities } from './layers.js';

/** One subscribed video track, as the allocator sees it. */
export interface AllocatableTrack {
  id: string;
  /** The layer the subscriber asks for (its settings); undefined when it disabled the track. */
  wanted: VideoQuality | undefined;
  /** The layers the publisher sends now, lowest first; empty when none arrived yet. */
  layers: readonly VideoQuality[];
  /** What one of those layers costs, bit/s. */
  bitrate(quality: VideoQuality): number;
}

/** A track's share: a layer, or paused for want of bandwidth. */
export type TrackAllocation = VideoQuality | 'paused';

export interface Allocation {
  /** By track id; tracks the subscriber disabled are not in it. */
  tracks: Map<string, TrackAllocation>;
  usageBps: number;
  /** Some track gets less than it asks for. */
  deficient: boolean;
  /** What the next step up would add, bit/s (undefined when nothing is held back). */
  nextStepBps: number | undefined;
}

/** The stage keeps at least this layer before the thumbnails get anything (360p/720p, not 180p). */
const stageFloor = VideoQuality.MEDIUM;
/**
 * A step up (above what a track gets now) must leave this share of the estimate unused: layer bitrates
 * swing with the picture and with keyframes, and a step that only just fits is taken back a second later.
 */
export const upgradeHeadroom = 0.85;

/**
 * Who gets which layer within a subscriber's bandwidth (LiveKit's stream allocator, reduced to what a
 * show's viewer needs). The stage is the track asked for at the highest layer (the viewer asks the
 * thumbnails at the lowest); steps are granted in this order while they fit:
 *   1. the stage's lowest layer — when even that does not fit, all video pauses;
 *   2. the stage up to its floor (the middle layer);
 *   3. each thumbnail's lowest layer — none while the stage is below its floor;
 *   4. the stage up to what it asks for;  5. the others up to what they ask for.
 * A step that does not fit stops that track's climb; cheaper steps of other tracks may still fit. Keeping
 * what a track has (`current`) needs the estimate; going above it needs 15 % to spare, so an allocation
 * does not flap as bitrates swing. A subscriber that does not allow pausing (`subscriber_allow_pause=0`)
 * keeps every track at its lowest layer at least, fitting or not.
 */
export function allocate(
  tracks: readonly AllocatableTrack[],
  budgetBps: number,
  current?: ReadonlyMap<string, TrackAllocation>,
  allowPause = true,
): Allocation {
  const enabled = tracks
    .filter((t) => t.wanted !== undefined)
    .map((track) => ({ track, ladder: ladder(track) }));
  type Entry = (typeof enabled)[number];
  const result: Allocation = { tracks: new Map(), usageBps: 0, deficient: false, nextStepBps: undefined };
  if (enabled.length === 0) return result;
  const top = Math.max(...enabled.map((e) => e.ladder[e.ladder.length - 1]!));
  const stage = enabled.filter((e) => e.ladder[e.ladder.length - 1] === top);
  const others = enabled.filter((e) => !stage.includes(e));
  const steps: Array<{ entry: Entry; layer: VideoQuality }> = [];
  const climb = (entries: Entry[], from: (l: VideoQuality[]) => VideoQuality[]) => {
    for (const entry of entries) for (const layer of from(entry.ladder)) steps.push({ entry, layer });
  };
  climb(stage, (l) => l.slice(0, 1));
  climb(stage, (l) => l.slice(1).filter((q) => q <= stageFloor));
  climb(others, (l) => l.slice(0, 1));
  climb(stage, (l) => l.filter((q) => q > Math.max(l[0]!, stageFloor)));
  climb(others, (l) => l.slice(1));

  const granted = new Map<Entry, VideoQuality>();
  const blocked = new Set<Entry>();
  // The stage's floor: the middle layer, or all it asks for when that is less.
  const floorOf = (entry: Entry) => entry.ladder.filter((q) => q <= stageFloor).pop() ?? entry.ladder[0]!;
  const reserve = Number.isFinite(budgetBps) ? (1 - upgradeHeadroom) * budgetBps : 0;
  let left = budgetBps;
  for (const { entry, layer } of steps) {
    if (blocked.has(entry)) continue;
    // The others get nothing while the stage is below its floor (and so when video pauses entirely).
    if (!stage.includes(entry) && stage.some((s) => (granted.get(s) ?? -1) < floorOf(s))) {
      blocked.add(entry);
      continue;
    }
    const now = granted.get(entry);
    const cost = entry.track.bitrate(layer) - (now === undefined ? 0 : entry.track.bitrate(now));
    const had = current?.get(entry.track.id);
    const up = had === undefined || had === 'paused' || layer > had;
    if (cost > left - (up ? reserve : 0)) {
      blocked.add(entry);
      result.nextStepBps ??= cost;
      continue;
    }
    left -= cost;
    granted.set(entry, layer);
  }
  for (const entry of enabled) {
    const layer = granted.get(entry) ?? (allowPause ? undefined : entry.ladder[0]);
    result.tracks.set(entry.track.id, layer ?? 'paused');
    if (layer !== undefined) result.usageBps += entry.track.bitrate(layer);
    if (layer !== entry.ladder[entry.ladder.length - 1]) result.deficient = true;
  }
  return result;
}

/** The layers a track may get, lowest first: those the publisher sends, up to the one asked for. */
function ladder(track: AllocatableTrack): VideoQuality[] {
  const sent = track.layers.length > 0 ? [...track.layers] : [...qualities];
  const upTo = sent.filter((q) => q <= track.wanted!);
  // Asked below every layer sent (the publisher paused the low ones): its lowest is what there is.
  return upTo.length > 0 ? upTo : sent.slice(0, 1);
}

/** After a probe that did not raise the allocation, wait this long; doubling each time, up to the max. */
const firstProbeWaitMs = 1000;
const maxProbeWaitMs = 5000;
/** After a congestion cut, the queue needs time to drain before probing makes sense. */
const afterCutWaitMs = 2000;
/** A probe asks for a bit more than the next step needs (with its headroom), so it still fits once measured. */
const probeOverage = 1.1;
/** The probe's excess over the estimate may queue at most this long on a link the estimate is right about. */
const probeQueueBudgetMs = 80;
const minProbeMs = 20;
const maxProbeMs = 100;

export interface ProbePlan {
  /** Media plus padding, bit/s. */
  goalBps: number;
  /** How long to send at it. */
  durationMs: number;
}

/**
 * When to probe for the next step up, and how hard (LiveKit's probe regulator and probe goal): only while
 * some track is held back, after a wait that doubles with each probe that did not raise the allocation,
 * to the estimate the next step needs (with its headroom) plus 10 %, but never more than twice the
 * estimate — and for no longer than it takes the excess to queue 80 ms on a link as slow as the
 * estimate, so a failed probe costs a short delay spike rather than frozen frames.
 */
export class ProbeRegulator {
  private nextAt = 0;
  private waitMs = firstProbeWaitMs;

  /**
   * `estimateBps` is the whole link's; `unmanagedBps` what goes out besides the allocated video (audio,
   * never held back). The goal is for the whole link too: media plus padding.
   */
  plan(
    allocation: Allocation,
    estimateBps: number,
    unmanagedBps: number,
    nowMs: number,
  ): ProbePlan | undefined {
    if (!allocation.deficient || allocation.nextStepBps === undefined || nowMs < this.nextAt)
      return undefined;
    if (!Number.isFinite(estimateBps)) return undefined;
    const usage = allocation.usageBps + unmanagedBps;
    const needed = unmanagedBps + (allocation.usageBps + allocation.nextStepBps) / upgradeHeadroom;
    const goalBps = Math.min(probeOverage * needed, Math.max(2 * estimateBps, usage + 300_000));
    const excessBps = Math.max(1, goalBps - estimateBps);
    const durationMs = Math.min(
      maxProbeMs,
      Math.max(minProbeMs, (estimateBps * probeQueueBudgetMs) / excessBps),
    );
    return { goalBps, durationMs };
  }

  /** A probe finished; `raised`: the allocation went up from it. */
  done(raised: boolean, nowMs: number): void {
    if (raised) {
      this.waitMs = firstProbeWaitMs;
      this.nextAt = nowMs; // keep climbing at once while the link takes it
      return;
    }
    this.nextAt = nowMs + this.waitMs;
    this.waitMs = Math.min(maxProbeWaitMs, this.waitMs * 2);
  }

  /** The estimate was cut: let the queue drain first. */
  cut(nowMs: number): void {
    this.nextAt = Math.max(this.nextAt, nowMs + afterCutWaitMs);
  }
}
