import { VideoQuality } from '@livekit/protocol';
import type { MediaKind } from './receiver.js';
import { type MungedHeader, RtpMunger } from './rtp-munger.js';

/** How long the layer chosen from the live layers and the congestion cap is reused before it is redone. */
const targetRefreshMs = 250;

/** What to do with one packet: send it with this header (else drop it). */
export interface Forwarding {
  header: MungedHeader | undefined;
  /** The packet started a different layer than the one forwarded before. */
  switched: boolean;
  /** The packet starts a source (the first, a switch or a resume): the outgoing numbering was re-based. */
  rebased: boolean;
}

/**
 * The decisions of one down track, free of I/O (as LiveKit's forwarder): which simulcast layer to
 * forward, and the munged header of each packet so the subscriber sees one continuous stream. The wanted
 * layer is the subscriber's target lowered to the congestion cap; the goal is the wanted layer, or the
 * nearest live one when the publisher is not sending it. Switches happen only at a keyframe, and (as
 * LiveKit's simulcast selector) at a keyframe of any layer on the way to the goal: a layer above the
 * forwarded one and at most the wanted one, or, going down, one between the goal and the forwarded one. So
 * a keyframe that brings the subscriber closer is never dropped for not being the goal's — when the goal
 * was paused and is resuming, or has stopped but still looks live. `LayerSwitch` asks for the keyframes.
 */
export class Forwarder {
  private current: VideoQuality | undefined;
  private target: VideoQuality;
  private cap: VideoQuality = VideoQuality.HIGH;
  private effective: VideoQuality;
  private effectiveAt = Number.NEGATIVE_INFINITY;
  private paused = false;
  private readonly munger = new RtpMunger();

  constructor(
    readonly kind: MediaKind,
    private readonly clockRate: number,
    target: VideoQuality,
    /** The publisher's layers that delivered a packet recently, lowest first. */
    private readonly liveQualities: (now: number) => VideoQuality[],
  ) {
    this.target = target;
    this.effective = target;
  }

  /** The layer currently forwarded, undefined until the first keyframe (and after a resume). */
  get currentQuality(): VideoQuality | undefined {
    return this.current;
  }

  get targetQuality(): VideoQuality {
    return this.target;
  }

  /** The layer the subscriber should get: its target, lowered to the congestion cap. */
  get wantedQuality(): VideoQuality {
    return Math.min(this.target, this.cap) as VideoQuality;
  }

  get capQuality(): VideoQuality {
    return this.cap;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** The subscriber asked for another layer; returns whether that changed anything. */
  setTarget(quality: VideoQuality): boolean {
    if (quality === this.target) return false;
    this.target = quality;
    this.effectiveAt = Number.NEGATIVE_INFINITY;
    return true;
  }

  /** The congestion cap (the allocator's layer, or the loss-based one); returns whether it changed. */
  setCap(cap: VideoQuality): boolean {
    if (cap === this.cap) return false;
    this.cap = cap;
    this.effectiveAt = Number.NEGATIVE_INFINITY;
    return true;
  }

  /** Pause or resume (a resume starts again at a keyframe); returns whether that changed anything. */
  setPaused(paused: boolean): boolean {
    if (paused === this.paused) return false;
    this.paused = paused;
    // Whatever was sent before is stale for the decoder.
    if (!paused) this.current = undefined;
    return true;
  }

  /** One packet of layer `quality`; `keyframe` when it starts a keyframe of that layer. */
  forward(
    quality: VideoQuality,
    sequenceNumber: number,
    timestamp: number,
    keyframe: boolean,
    padding: boolean,
    now = performance.now(),
  ): Forwarding {
    const result: Forwarding = { header: undefined, switched: false, rebased: false };
    if (this.paused) return result;
    if (quality !== this.current) {
      // Audio has one layer, and every packet of it decodes on its own.
      if (this.kind === 'video' && !(keyframe && this.bringsCloser(quality, now))) return result;
      this.munger.switchTo(sequenceNumber, timestamp, this.clockRate, now);
      result.switched = this.current !== undefined;
      result.rebased = true;
      this.current = quality;
    }
    result.header = this.munger.map(sequenceNumber, timestamp, padding, now);
    return result;
  }

  /** The outgoing RTP time of an RTP time of the layer forwarded now; undefined before the first. */
  outgoingTimestamp(incoming: number): number | undefined {
    return this.munger.outgoingTimestamp(incoming);
  }

  /** Whether a keyframe of `quality` moves the subscriber towards the goal (see the class comment). */
  private bringsCloser(quality: VideoQuality, now: number): boolean {
    const goal = this.goal(now);
    const current = this.current;
    if (current === undefined || quality > current) return quality <= Math.max(goal, this.wantedQuality);
    return quality >= goal;
  }

  /**
   * The layer this down track is switching to: the wanted layer, or the nearest live one below it (else
   * above it) when the publisher is not sending it. Redone at most every 250 ms.
   */
  goal(now = performance.now()): VideoQuality {
    if (now - this.effectiveAt < targetRefreshMs) return this.effective;
    this.effectiveAt = now;
    const wanted = this.wantedQuality;
    const live = this.liveQualities(now);
    if (live.length === 0 || live.includes(wanted)) {
      this.effective = wanted;
    } else {
      const below = live.filter((q) => q < wanted);
      this.effective = below.length > 0 ? below[below.length - 1]! : live[0]!;
    }
    return this.effective;
  }
}
