import type { VideoQuality } from '@livekit/protocol';

/**
 * How long a keyframe request may go unanswered before it is repeated. After a request the keyframe is
 * due with the publisher's next frame plus the round trip (about 100 ms at 15 fps on a LAN); this leaves
 * two more frame intervals. It is also the receiver's limit on requests per layer, so each repeat goes out.
 */
export const rerequestAfterMs = 300;

export type SwitchOutcome = 'reached' | 'superseded';

/** What the down track should do after one look at its layers. */
export interface SwitchStep {
  /** Layers to ask the publisher for a keyframe of (empty: none). */
  request: VideoQuality[];
  /** The request repeats one that went unanswered. */
  rerequest: boolean;
  /** Tell the publisher again that the wanted layer is needed: it has not been arriving for a while. */
  renew: boolean;
  /** A switch ended: how long the subscriber waited, and whether it got there or wanted something else. */
  ended: { waitMs: number; outcome: SwitchOutcome } | undefined;
}

/** What the down track's debug view shows of its switch. */
export interface SwitchState {
  /** ms since the pending switch began, undefined when none is pending. */
  pendingMs: number | undefined;
  requests: number;
  rerequests: number;
  renewed: boolean;
}

/**
 * One down track's layer switches over time, free of I/O and timers (the down track calls it as packets
 * arrive): a switch is pending while the forwarded layer is not the forwarder's goal. It asks for the goal's
 * keyframe at once and again every `rerequestAfterMs` until the switch is done — the repeats also asking the
 * layers between the forwarded one and the goal, since the forwarder takes any of them (a goal that has
 * stopped but still looks live never answers). While the wanted layer is not arriving at all, the publisher
 * is told once more that it is needed (dynacast). Each switch ends `reached`, or `superseded` when the
 * subscriber asks for something else first; its duration is what the subscriber waited.
 */
export class LayerSwitch {
  private since: number | undefined;
  private askedAt = Number.NEGATIVE_INFINITY;
  private requests = 0;
  private rerequests = 0;
  /** When the wanted layer started missing from the goal, and whether the publisher was told again. */
  private shortSince: number | undefined;
  private renewed = false;

  /** The subscriber wants something else (target, cap, resume, pause): a pending switch is superseded. */
  restart(now: number): SwitchStep['ended'] {
    const ended =
      this.since === undefined ? undefined : { waitMs: now - this.since, outcome: 'superseded' as const };
    this.since = undefined;
    this.shortSince = undefined;
    this.renewed = false;
    return ended;
  }

  /**
   * One look: `current` is the layer forwarded (undefined before the first keyframe), `goal` the layer the
   * forwarder is switching to, `wanted` the layer the subscriber should get.
   */
  step(now: number, current: VideoQuality | undefined, goal: VideoQuality, wanted: VideoQuality): SwitchStep {
    const result: SwitchStep = { request: [], rerequest: false, renew: false, ended: undefined };
    if (goal < wanted) {
      this.shortSince ??= now;
      if (!this.renewed && now - this.shortSince >= rerequestAfterMs) {
        this.renewed = true;
        result.renew = true;
      }
    } else {
      this.shortSince = undefined;
    }
    if (current === goal) {
      if (this.since !== undefined) result.ended = { waitMs: now - this.since, outcome: 'reached' };
      this.since = undefined;
      return result;
    }
    if (this.since === undefined) {
      this.since = now;
      this.requests = 0;
      this.rerequests = 0;
    } else if (now - this.askedAt < rerequestAfterMs) {
      return result;
    } else {
      result.rerequest = true;
      this.rerequests += 1;
    }
    this.askedAt = now;
    this.requests += 1;
    result.request =
      result.rerequest && (current === undefined || current < goal) ? between(current, goal) : [goal];
    return result;
  }

  state(now: number): SwitchState {
    return {
      pendingMs: this.since === undefined ? undefined : Math.round(now - this.since),
      requests: this.requests,
      rerequests: this.rerequests,
      renewed: this.renewed,
    };
  }
}

/** The layers above `from` (all when undefined) up to and including `to`, highest first. */
function between(from: VideoQuality | undefined, to: VideoQuality): VideoQuality[] {
  const layers: VideoQuality[] = [];
  for (let q = to; q > (from ?? -1); q--) layers.push(q as VideoQuality);
  return layers;
}
