// What one received video track looks like to a viewer that does not decode: RTP counted (RFC 3550 loss),
// frames assembled from their packets, a decoder's chain of references followed (an interframe shows only
// if everything since the last keyframe arrived), and freezes counted as WebRTC counts them.

export interface VideoSize {
  width: number;
  height: number;
}

/**
 * The picture size when this RTP payload starts a VP8 keyframe (RFC 7741 payload descriptor, then the
 * keyframe header of RFC 6386 9.1), else undefined.
 */
export function vp8KeyframeSize(payload: Buffer): VideoSize | undefined {
  if (payload.length < 1) return undefined;
  const first = payload[0]!;
  if ((first & 0x10) === 0 || (first & 0x07) !== 0) return undefined; // not the start of partition 0
  let offset = 1;
  if (first & 0x80) {
    const extension = payload[offset++]!;
    if (extension & 0x80) offset += payload[offset]! & 0x80 ? 2 : 1; // picture id, 7 or 15 bits
    if (extension & 0x40) offset++; // TL0PICIDX
    if (extension & 0x30) offset++; // TID / KEYIDX
  }
  const header = payload.subarray(offset);
  if (header.length < 10 || (header[0]! & 0x01) !== 0) return undefined; // P bit set: an interframe
  if (header[3] !== 0x9d || header[4] !== 0x01 || header[5] !== 0x2a) return undefined;
  return { width: header.readUInt16LE(6) & 0x3fff, height: header.readUInt16LE(8) & 0x3fff };
}

/** Whether this VP8 payload is the first packet of a frame (S bit, partition 0). */
const startsFrame = (payload: Buffer) => payload.length > 0 && (payload[0]! & 0x17) === 0x10;

/**
 * RFC 3550 counting for one SSRC: packets, bytes, and what the extended sequence range says was sent.
 * A retransmission of a packet that had arrived counts as a duplicate, not as a packet, so expected minus
 * packets is what never arrived even after NACKs.
 */
export class StreamCounter {
  private base = -1;
  private highest = -1; // extended
  /** The extended sequence number last seen in each slot: duplicates within 4096 packets are recognised. */
  private readonly seen = new Int32Array(4096).fill(-1);
  packets = 0;
  duplicates = 0;
  bytes = 0;

  /** Counts a packet; returns its extended sequence number. */
  add(sequenceNumber: number, size: number): number {
    this.bytes += size;
    const extended = this.extend(sequenceNumber);
    const slot = extended & 4095;
    if (this.seen[slot] === extended) this.duplicates++;
    else {
      this.seen[slot] = extended;
      this.packets++;
    }
    return extended;
  }

  private extend(sequenceNumber: number): number {
    if (this.highest < 0) {
      this.base = this.highest = sequenceNumber;
      return sequenceNumber;
    }
    // Extend the 16-bit sequence number around the highest seen so far.
    const cycle = this.highest - (this.highest & 0xffff);
    let extended = cycle + sequenceNumber;
    if (extended < this.highest - 0x8000) extended += 0x10000;
    else if (extended > this.highest + 0x8000) extended -= 0x10000;
    if (extended > this.highest) this.highest = extended;
    return extended;
  }

  get expected(): number {
    return this.highest < 0 ? 0 : this.highest - this.base + 1;
  }
}

interface Frame {
  first?: number;
  last?: number;
  count: number;
  key?: VideoSize;
  since: number;
}

/** How long a decoder waits for a missing packet (NACK and retransmission) before it asks for a keyframe. */
const recoveryMs = 500;
/** Asking again while no keyframe comes. */
const pliIntervalMs = 1000;

/**
 * NACKs as libwebrtc's NackRequester sends them: a missing packet is asked for at once, again only after a
 * round trip (its default estimate, 100 ms, since a receiver alone cannot measure one), at most 10 times.
 * werift's own handler asks every 5 ms whatever the round trip, which on a slow link asks for each lost
 * packet ten times before the first retransmission can arrive and floods the downlink with retransmissions.
 */
const nackRttMs = 100;
const nackMaxTries = 10;
const nackMaxMissing = 1000;

/**
 * Freezes and pauses as the W3C webrtc-stats define them (and libwebrtc counts them): a gap between two
 * rendered frames of at least max(3 × avg, avg + 150 ms), avg the linear mean of the last 30 gaps, is a
 * freeze; a gap of 5 s or more is a pause (a track the SFU stopped sending), not a freeze. Frozen and
 * paused time are each gap's whole length.
 */
export class FreezeCounter {
  freezes = 0;
  frozenMs = 0;
  pauses = 0;
  pausedMs = 0;
  private readonly gaps: number[] = [];
  private sum = 0;

  /** Counts the gap since the previous rendered frame. */
  add(gapMs: number): void {
    if (gapMs >= pauseMs) {
      this.pauses++;
      this.pausedMs += gapMs;
      return;
    }
    if (this.isFreeze(gapMs)) {
      this.freezes++;
      this.frozenMs += gapMs;
    }
    this.gaps.push(gapMs);
    this.sum += gapMs;
    if (this.gaps.length > freezeWindow) this.sum -= this.gaps.shift()!;
  }

  /** Whether a gap this long, were a frame to end it now, would be a freeze (or a pause). */
  isFreeze(gapMs: number): boolean {
    if (this.gaps.length < freezeMinFrames) return false; // too few frames for a mean
    const mean = this.sum / this.gaps.length;
    return gapMs >= Math.max(3 * mean, mean + 150);
  }
}

/** webrtc-stats: the mean frame gap is over the last 30 frames; libwebrtc needs 5 before it judges. */
const freezeWindow = 30;
const freezeMinFrames = 5;
/** webrtc-stats: a gap of 5 s or more is a pause. */
const pauseMs = 5000;

export interface FrameEvents {
  /** Ask for these (16-bit) sequence numbers again. */
  nack?(sequenceNumbers: number[]): void;
  /** A frame is shown: `key` is set for a keyframe (a new layer starts with one). */
  rendered(now: number, key: VideoSize | undefined): void;
  /** The decoder needs a keyframe (it has none yet, or lost a reference): send a PLI. */
  needKeyframe(): void;
}

/**
 * One received video track. Frames are shown when complete and decodable; freezes and pauses between them
 * are counted by {@link FreezeCounter}.
 */
export class VideoReceiver {
  readonly counter = new StreamCounter();
  /** The layer being received: the size of the last keyframe. */
  size?: VideoSize;
  framesRendered = 0;
  readonly stalls = new FreezeCounter();
  /** Milliseconds shown at each layer height, and bytes received at it. */
  readonly msByHeight = new Map<number, number>();
  readonly bytesByHeight = new Map<number, number>();
  private readonly frames = new Map<number, Frame>();
  /** Complete frames waiting for an earlier one, by first sequence number. */
  private readonly waiting = new Map<number, Frame>();
  private readonly padding = new Set<number>();
  /** Missing packets (extended sequence numbers): when they were last asked for, and how often. */
  private readonly missing = new Map<number, { at: number; tries: number }>();
  private highestSeq = -1;
  private lastNackCheck = 0;
  nacks = 0;
  private nextSeq = -1;
  private broken = true;
  private lastPli = -Infinity;
  private lastRender = 0;
  private firstRender = 0;

  constructor(private readonly events: FrameEvents) {}

  add(sequenceNumber: number, timestamp: number, marker: boolean, payload: Buffer, size: number): void {
    const now = performance.now();
    const seq = this.counter.add(sequenceNumber, size);
    this.trackMissing(seq, now);
    if (payload.length === 0) {
      // Padding (bandwidth probes) takes sequence numbers but belongs to no frame.
      this.padding.add(seq);
      if (this.padding.size > 512) this.padding.clear();
      if (!this.broken) this.drain(now);
      return;
    }
    const height = this.size?.height ?? 0;
    this.bytesByHeight.set(height, (this.bytesByHeight.get(height) ?? 0) + size);
    let frame = this.frames.get(timestamp);
    if (!frame) {
      frame = { count: 0, since: now };
      this.frames.set(timestamp, frame);
      if (this.frames.size > 64) this.forgetOld(now);
    }
    frame.count++;
    if (startsFrame(payload)) {
      frame.first = seq;
      frame.key = vp8KeyframeSize(payload);
    }
    if (marker) frame.last = seq;
    if (
      frame.first !== undefined &&
      frame.last !== undefined &&
      frame.count >= frame.last - frame.first + 1
    ) {
      this.frames.delete(timestamp);
      this.complete(frame, now);
    }
    if (!this.broken && this.waiting.size > 0) {
      for (const w of this.waiting.values()) {
        if (now - w.since > recoveryMs) {
          this.broken = true;
          this.waiting.clear();
        }
        break; // the oldest is first in insertion order
      }
    }
    if (this.broken && now - this.lastPli > pliIntervalMs) {
      this.lastPli = now;
      this.events.needKeyframe();
    }
  }

  private trackMissing(seq: number, now: number): void {
    if (!this.events.nack) return;
    if (this.highestSeq < 0) this.highestSeq = seq;
    else if (seq > this.highestSeq) {
      for (let s = this.highestSeq + 1; s < seq; s++) this.missing.set(s, { at: 0, tries: 0 });
      this.highestSeq = seq;
      if (this.missing.size > nackMaxMissing) this.missing.clear(); // too far gone: the keyframe request recovers
    } else this.missing.delete(seq);
    if (this.missing.size === 0 || now - this.lastNackCheck < 10) return;
    this.lastNackCheck = now;
    const ask: number[] = [];
    for (const [s, entry] of this.missing) {
      if (entry.tries >= nackMaxTries) {
        this.missing.delete(s);
        continue;
      }
      if (entry.tries > 0 && now - entry.at < nackRttMs) continue;
      entry.at = now;
      entry.tries++;
      ask.push(s & 0xffff);
    }
    if (ask.length > 0) {
      this.nacks++;
      this.events.nack(ask);
    }
  }

  private complete(frame: Frame, now: number): void {
    if (frame.key) {
      this.size = frame.key;
      this.broken = false;
      this.waiting.clear();
      this.render(frame, now);
      return;
    }
    if (this.broken) return;
    this.skipPadding();
    if (frame.first !== this.nextSeq) {
      if (frame.first! > this.nextSeq) this.waiting.set(frame.first!, frame);
      return;
    }
    this.render(frame, now);
    this.drain(now);
  }

  /** Shows the waiting frames that now follow on. */
  private drain(now: number): void {
    this.skipPadding();
    let next = this.waiting.get(this.nextSeq);
    while (next) {
      this.waiting.delete(this.nextSeq);
      this.render(next, now);
      this.skipPadding();
      next = this.waiting.get(this.nextSeq);
    }
  }

  private skipPadding(): void {
    while (this.padding.delete(this.nextSeq)) this.nextSeq++;
  }

  private render(frame: Frame, now: number): void {
    this.nextSeq = frame.last! + 1;
    this.framesRendered++;
    if (this.lastRender > 0) {
      const interval = now - this.lastRender;
      const height = this.size?.height ?? 0;
      this.msByHeight.set(height, (this.msByHeight.get(height) ?? 0) + interval);
      this.stalls.add(interval);
    }
    this.lastRender = now;
    if (this.firstRender === 0) this.firstRender = now;
    this.events.rendered(now, frame.key);
  }

  /** Frames whose packets stopped coming long ago will never complete. */
  private forgetOld(now: number): void {
    for (const [timestamp, frame] of this.frames) if (now - frame.since > 2000) this.frames.delete(timestamp);
  }

  /** How long this track has played: from its first frame to `now`, less its pauses (freeze_ratio's denominator). */
  watchedMs(now: number): number {
    return this.firstRender > 0 ? now - this.firstRender - this.stalls.pausedMs : 0;
  }

  /**
   * At the end of a session a freeze still going on has not been ended by a next frame; count it now, as a
   * viewer looking at the screen would.
   */
  finish(now: number): void {
    if (this.lastRender === 0) return;
    const gap = now - this.lastRender;
    if (this.stalls.isFreeze(gap)) {
      this.stalls.add(gap);
      this.lastRender = now;
    }
  }
}
