/**
 * The publisher ignores a keyframe request that comes within 300 ms of the one before (libwebrtc's
 * EncoderRtcpFeedback, per layer or for the whole stream): ours are spaced a little more, so none is lost.
 */
export const minRequestSpacingMs = 350;
/** Longest wait for the answer to a request before asking again, however slow the layer has been. */
export const maxAnswerWaitMs = 1500;
const initialAnswerMs = 150;
const initialFrameIntervalMs = 1000 / 15;

/** The exponentially weighted mean of a series, weighting the newest sample `weight`. */
const ewma = (mean: number, sample: number, weight: number) => mean + weight * (sample - mean);

/** What the debug view shows of one layer's keyframe requests. */
export interface KeyframeRequestState {
  /** A request is out and no keyframe has come since. */
  unanswered: boolean;
  /** How long keyframes take to come after a request (mean), and the layer's frame interval, in ms. */
  answerMs: number;
  frameIntervalMs: number;
  sent: number;
  resent: number;
}

/**
 * When to send a keyframe request (PLI) upstream for one simulcast layer, for every subscriber of it: at
 * once when none is out (a subscriber switches, or its decoder lost the picture), at most every
 * `minRequestSpacingMs`; and, while a request goes unanswered, again once the keyframe is overdue — the
 * time keyframes have taken to come on this layer plus two frame intervals — so a lost request or a
 * keyframe the publisher did not make is asked for again within a bound. Asking more often than that would
 * make the publisher encode keyframe after keyframe, each one far bigger than a frame, on an uplink that may
 * already be short. Free of I/O: the receiver tells it of frames and keyframes as they arrive.
 */
export class KeyframeRequests {
  private askedAt = Number.NEGATIVE_INFINITY;
  private unanswered = false;
  private answerMs = initialAnswerMs;
  private frameIntervalMs = initialFrameIntervalMs;
  private lastFrameAt: number | undefined;
  private sent = 0;
  private resent = 0;

  /** A new frame of the layer began (its RTP timestamp changed). */
  frame(now: number): void {
    if (this.lastFrameAt !== undefined) {
      const interval = now - this.lastFrameAt;
      // Ignore the gaps of a paused layer: they are not its frame rate.
      if (interval < 1000) this.frameIntervalMs = ewma(this.frameIntervalMs, interval, 0.1);
    }
    this.lastFrameAt = now;
  }

  /** A keyframe of the layer arrived: the request out, if any, is answered. */
  keyframe(now: number): void {
    if (this.unanswered) this.answerMs = ewma(this.answerMs, now - this.askedAt, 0.25);
    this.unanswered = false;
  }

  /** When an unanswered request is overdue. */
  get overdueAfterMs(): number {
    return Math.min(maxAnswerWaitMs, Math.max(minRequestSpacingMs, this.answerMs + 2 * this.frameIntervalMs));
  }

  /**
   * A subscriber needs a keyframe of this layer: whether to send a request now (`repeat` when it asks
   * again for one that went unanswered), or undefined to wait for the one already asked for.
   */
  request(now: number): { repeat: boolean } | undefined {
    const since = now - this.askedAt;
    if (since < (this.unanswered ? this.overdueAfterMs : minRequestSpacingMs)) return undefined;
    const repeat = this.unanswered;
    this.askedAt = now;
    this.unanswered = true;
    this.sent += 1;
    if (repeat) this.resent += 1;
    return { repeat };
  }

  state(): KeyframeRequestState {
    return {
      unanswered: this.unanswered,
      answerMs: Math.round(this.answerMs),
      frameIntervalMs: Math.round(this.frameIntervalMs),
      sent: this.sent,
      resent: this.resent,
    };
  }
}
