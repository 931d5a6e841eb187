import type { VideoQuality } from '@livekit/protocol';

/**
 * A switch still waiting this long asks for the layers between too, and a wanted layer missing this long is
 * asked of the publisher again: a keyframe asked for at once normally comes within a few frames (100–300 ms).
 */
export const overdueMs = 500;

export type SwitchOutcome = 'reached' | 'superseded';

/** What the down track should do after one look at its layers. */
export interface SwitchStep {
  /** Layers it needs a keyframe of (empty: none); the receiver decides when to ask the publisher. */
  request: VideoQuality[];
  /** Tell the publisher again that the wanted layer is needed: it has not been arriving for a while. */
  renew: boolean;
  /** A switch ended: how long the subscriber waited, and whether it got there or wanted something else. */
  ended: { waitMs: number; outcome: SwitchOutcome } | undefined;
}

/** What the down track's debug view shows of its switch. */
export interface SwitchState {
  /** ms since the pending switch began, undefined when none is pending. */
  pendingMs: number | undefined;
  renewed: boolean;
  /** The last events, newest last: `<ms ago> <what>`. */
  recent: string[];
}

const recentEvents = 12;

/**
 * One down track's layer switches over time, free of I/O and timers (the down track calls it as packets
 * arrive): a switch is pending while the forwarded layer is not the forwarder's goal, and all that time it
 * needs the goal's keyframe — after `overdueMs` also those of the layers between the forwarded one and the
 * goal, since the forwarder takes any of them (a goal that has stopped but still looks live never answers).
 * The receiver turns needs into requests upstream, shared by all its subscribers (KeyframeRequests). While
 * the wanted layer is not arriving at all, the publisher is told once more that it is needed (dynacast).
 * Each switch ends `reached`, or `superseded` when the subscriber asks for something else first; its
 * duration is what the subscriber waited.
 */
export class LayerSwitch {
  private since: number | undefined;
  private asked = '';
  /** When the wanted layer started missing from the goal, and whether the publisher was told again. */
  private shortSince: number | undefined;
  private renewed = false;
  private forwarded: VideoQuality | undefined;
  private readonly events: Array<{ at: number; what: string }> = [];

  /** The subscriber wants something else (target, cap, resume, pause): a pending switch is superseded. */
  restart(now: number): SwitchStep['ended'] {
    this.note(now, 'asked for another layer');
    const ended =
      this.since === undefined ? undefined : { waitMs: now - this.since, outcome: 'superseded' as const };
    this.since = undefined;
    this.asked = '';
    this.shortSince = undefined;
    this.renewed = false;
    return ended;
  }

  /**
   * One look: `current` is the layer forwarded (undefined before the first keyframe), `goal` the layer the
   * forwarder is switching to, `wanted` the layer the subscriber should get.
   */
  step(now: number, current: VideoQuality | undefined, goal: VideoQuality, wanted: VideoQuality): SwitchStep {
    const result: SwitchStep = { request: [], renew: false, ended: undefined };
    if (current !== this.forwarded) {
      this.forwarded = current;
      this.note(now, `forwarding ${name(current)} (goal ${name(goal)}, wanted ${name(wanted)})`);
    }
    if (goal < wanted) {
      this.shortSince ??= now;
      if (!this.renewed && now - this.shortSince >= overdueMs) {
        this.renewed = true;
        result.renew = true;
        this.note(now, `${name(wanted)} still not arriving: publisher told again`);
      }
    } else {
      this.shortSince = undefined;
    }
    if (current === goal) {
      if (this.since !== undefined) result.ended = { waitMs: now - this.since, outcome: 'reached' };
      this.since = undefined;
      this.asked = '';
      return result;
    }
    this.since ??= now;
    const overdue = now - this.since >= overdueMs && (current === undefined || current < goal);
    result.request = overdue ? between(current, goal) : [goal];
    const asked = result.request.map(name).join(' ');
    if (asked !== this.asked) {
      this.asked = asked;
      this.note(now, `needs a keyframe of ${asked}`);
    }
    return result;
  }

  private note(now: number, what: string): void {
    this.events.push({ at: now, what });
    if (this.events.length > recentEvents) this.events.shift();
  }

  state(now: number): SwitchState {
    return {
      pendingMs: this.since === undefined ? undefined : Math.round(now - this.since),
      renewed: this.renewed,
      recent: this.events.map((e) => `-${Math.round(now - e.at)} ms ${e.what}`),
    };
  }
}

const names = ['LOW', 'MEDIUM', 'HIGH'];
const name = (q: VideoQuality | undefined) => (q === undefined ? 'nothing' : (names[q] ?? String(q)));

/** The layers above `from` (all when undefined) up to and including `to`, highest first. */
function between(from: VideoQuality | undefined, to: VideoQuality): VideoQuality[] {
  const layers: VideoQuality[] = [];
  for (let q = to; q > (from ?? -1); q--) layers.push(q as VideoQuality);
  return layers;
}
