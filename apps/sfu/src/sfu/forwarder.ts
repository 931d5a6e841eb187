import { VideoQuality } from '@livekit/protocol';
import type { MediaKind } from './receiver.js';
import { type MungedHeader, RtpMunger } from './rtp-munger.js';

/** How long the layer chosen from the live layers and the congestion cap is reused before it is redone. */
const targetRefreshMs = 250;

/** What to do with one packet: send it with this header (else drop it), and whether to ask for a keyframe. */
export interface Forwarding {
  header: MungedHeader | undefined;
  /** A layer to ask the publisher for a keyframe of. */
  keyframeRequest: VideoQuality | undefined;
  /** The packet started a different layer than the one forwarded before. */
  switched: boolean;
}

/**
 * The decisions of one down track, free of I/O (as LiveKit's forwarder): which simulcast layer to
 * forward, switching only at a keyframe of the wanted layer, and the munged header of each packet so the
 * subscriber sees one continuous stream. The wanted layer is the subscriber's target, lowered to the
 * congestion cap, or the nearest live layer when the publisher has paused that one.
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

  get isPaused(): boolean {
    return this.paused;
  }

  /** The subscriber asked for another layer; returns the layer to ask a keyframe of, if any. */
  setTarget(quality: VideoQuality, now = performance.now()): VideoQuality | undefined {
    if (quality === this.target) return undefined;
    this.target = quality;
    this.effectiveAt = Number.NEGATIVE_INFINITY;
    return quality === this.current ? undefined : this.effectiveTarget(now);
  }

  /** The congestion cap changed; returns the layer to ask a keyframe of. */
  setCap(cap: VideoQuality, now = performance.now()): VideoQuality {
    this.cap = cap;
    this.effectiveAt = Number.NEGATIVE_INFINITY;
    return this.effectiveTarget(now);
  }

  /** Pause or resume; a resume starts again at a keyframe (returned: the layer to ask one of). */
  setPaused(paused: boolean, now = performance.now()): VideoQuality | undefined {
    if (paused === this.paused) return undefined;
    this.paused = paused;
    if (paused) return undefined;
    // Whatever was sent before is stale for the decoder.
    this.current = undefined;
    return this.effectiveTarget(now);
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
    const result: Forwarding = { header: undefined, keyframeRequest: undefined, switched: false };
    if (this.paused) return result;
    if (quality !== this.current) {
      // Audio has one layer, and every packet of it decodes on its own.
      const audio = this.kind === 'audio';
      if (!audio && quality !== this.effectiveTarget(now)) return result;
      if (!audio && !keyframe) {
        result.keyframeRequest = quality;
        return result;
      }
      this.munger.switchTo(sequenceNumber, timestamp, this.clockRate, now);
      result.switched = this.current !== undefined;
      this.current = quality;
    } else if (this.kind === 'video' && this.effectiveTarget(now) !== quality) {
      result.keyframeRequest = this.effective;
    }
    result.header = this.munger.map(sequenceNumber, timestamp, padding, now);
    return result;
  }

  private effectiveTarget(now: number): VideoQuality {
    if (now - this.effectiveAt < targetRefreshMs) return this.effective;
    this.effectiveAt = now;
    const wanted = Math.min(this.target, this.cap) as VideoQuality;
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
