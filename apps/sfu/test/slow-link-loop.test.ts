// One viewer's whole send side on a slow link, free of sockets: the estimator (SendSideBwe), the
// allocator and probe regulator, the pacer — against a simulated `tc tbf` downlink (in order at the link
// rate; a packet that would wait longer than 300 ms is dropped) and a browser that returns transport-cc
// feedback every 50 ms. The viewer watches the studio zoomed in (180p / 360p / 720p at 10 fps; a switch
// takes 100 ms to the new layer's keyframe, the old layer flowing meanwhile), two thumbnails (one layer
// each) and three scenes' sound. Time is simulated: seconds run in milliseconds.
import { VideoQuality } from '@livekit/protocol';
import { describe, expect, it } from 'vitest';
import { Pacer, pacingRate } from '../src/sfu/pacer.js';
import { SendSideBwe } from '../src/sfu/send-side-bwe.js';
import {
  type Allocation,
  allocate,
  ProbeRegulator,
  type TrackAllocation,
} from '../src/sfu/stream-allocator.js';
import type { TwccReport } from '../src/sfu/twcc-responder.js';

const { LOW, MEDIUM, HIGH } = VideoQuality;
const mbps = (value: number) => value * 1_000_000;
/** What each layer sends, as the bench's studio does (bit/s); a keyframe is 4 frames' worth. */
const studio: Record<VideoQuality, number> = {
  [LOW]: 150_000,
  [MEDIUM]: 400_000,
  [HIGH]: 5_800_000,
} as Record<VideoQuality, number>;
const thumbnailBps = 450_000;
const fps = 10;
const audioPacket = 200;
const audioBps = 3 * 50 * audioPacket * 8;

interface Stream {
  id: string;
  /** The layer forwarded now (undefined: none yet, or paused). */
  current: VideoQuality | undefined;
  /** A switch under way: to this layer, its keyframe due at this time. */
  next: { layer: VideoQuality; atMs: number } | undefined;
  /** The layers it offers (one for a thumbnail). */
  layers: VideoQuality[];
  wanted: VideoQuality;
  bitrate(layer: VideoQuality): number;
}

class Viewer {
  readonly bwe = new SendSideBwe();
  readonly pacer = new Pacer();
  readonly regulator = new ProbeRegulator();
  now = 0;
  linkBps = Number.POSITIVE_INFINITY;
  lost = { audio: 0, video: 0 };
  sent = { audio: 0, video: 0 };
  /** The stage's layer at each ms a frame of it arrived whole, for the share and the freezes. */
  stageFrames: Array<[number, VideoQuality]> = [];
  allocation: Allocation | undefined;
  private freeAt = 0;
  /** Packets the publisher sends over each frame's first 20 ms (it paces them), as they arrive here. */
  private arriving: Array<{ atMs: number; push: () => void }> = [];
  private seq = 0;
  private inFlight: Array<{ seq: number; arrivalMs: number | undefined }> = [];
  private allocatedAt = 0;
  private probeEndsAt: number | undefined;
  private probePaddingBps = 0;
  private probeSent = 0;
  private estimateBeforeProbe = 0;
  /** Per frame of the stage: packets not yet arrived, and whether one was lost. */
  private frames = new Map<number, { layer: VideoQuality; left: number; lost: boolean }>();
  private frameId = 0;
  readonly streams: Stream[] = [
    {
      id: 'studio',
      current: HIGH,
      next: undefined,
      layers: [LOW, MEDIUM, HIGH],
      wanted: HIGH,
      bitrate: (q) => studio[q],
    },
    ...['factory', 'farm'].map((id) => ({
      id,
      current: LOW as VideoQuality | undefined,
      next: undefined,
      layers: [LOW],
      wanted: LOW,
      bitrate: () => thumbnailBps,
    })),
  ];

  run(ms: number): void {
    for (const end = this.now + ms; this.now < end; this.now++) {
      const now = this.now;
      if (now % 20 === 3) for (let i = 0; i < 3; i++) this.send('audio', audioPacket);
      if (now % (1000 / fps) === 0) for (const stream of this.streams) this.frame(stream);
      while (this.arriving.length > 0 && this.arriving[0]!.atMs <= now) this.arriving.shift()!.push();
      this.pacer.poll(now);
      this.probe();
      if (now % 50 === 0) this.feedback();
      const timedOut = this.bwe.tick(now);
      if (timedOut) this.probed();
      if (now - this.allocatedAt >= 1000) this.reallocate();
    }
  }

  /** A frame of each stream's current layer; a switch completes at the new layer's keyframe. */
  private frame(stream: Stream): void {
    let keyframe = false;
    if (stream.next && this.now >= stream.next.atMs) {
      stream.current = stream.next.layer;
      stream.next = undefined;
      keyframe = true;
    }
    if (stream.current === undefined) return;
    const bytes = ((keyframe ? 4 : 1) * stream.bitrate(stream.current)) / 8 / fps;
    const id = this.frameId++;
    const count = Math.max(1, Math.round(bytes / 1200));
    if (stream.id === 'studio') this.frames.set(id, { layer: stream.current, left: count, lost: false });
    for (let i = 0; i < count; i++)
      this.arriving.push({
        atMs: this.now + Math.floor((20 * i) / count),
        push: () => {
          if (keyframe && i === 0) this.pacer.drop(stream, id);
          this.pacer.push(
            {
              bytes: 1200,
              stream,
              frame: id,
              send: () => this.send('video', 1200, stream.id === 'studio' ? id : undefined),
            },
            this.now,
          );
        },
      });
    this.arriving.sort((a, b) => a.atMs - b.atMs);
  }

  private send(kind: 'audio' | 'video', bytes: number, stageFrame?: number): void {
    const now = this.now;
    let arrival: number | undefined;
    if (!Number.isFinite(this.linkBps)) arrival = now + 10;
    else {
      const start = Math.max(now, this.freeAt);
      if (start - now <= 300) {
        this.freeAt = start + (bytes * 8000) / this.linkBps;
        arrival = this.freeAt + 10;
      }
    }
    this.sent[kind] += 1;
    if (arrival === undefined) this.lost[kind] += 1;
    if (stageFrame !== undefined) {
      const frame = this.frames.get(stageFrame)!;
      frame.left -= 1;
      frame.lost ||= arrival === undefined;
      if (frame.left === 0) {
        this.frames.delete(stageFrame);
        if (!frame.lost) this.stageFrames.push([arrival!, frame.layer]);
      }
    }
    const seq = this.seq++ & 0xffff;
    this.inFlight.push({ seq, arrivalMs: arrival });
    this.bwe.sent(seq, bytes, now);
  }

  private feedback(): void {
    let newest = -1;
    for (let i = 0; i < this.inFlight.length; i++)
      if ((this.inFlight[i]!.arrivalMs ?? Number.POSITIVE_INFINITY) <= this.now) newest = i;
    if (newest < 0) return;
    const reports: TwccReport[] = this.inFlight.splice(0, newest + 1).map((p) => ({
      seq: p.seq,
      atUs: p.arrivalMs === undefined ? undefined : Math.round(p.arrivalMs * 1000),
    }));
    if (this.bwe.feedback(reports, this.now) || !this.allocation) this.reallocate();
    if (this.bwe.probeResult()) this.probed();
  }

  private reallocate(): void {
    this.allocatedAt = this.now;
    const previous = this.allocation;
    const before = this.bwe.estimateBps;
    const tracks = this.streams.map((s) => ({
      id: s.id,
      wanted: s.wanted,
      layers: s.layers,
      bitrate: s.bitrate,
    }));
    this.allocation = allocate(tracks, this.bwe.estimateBps - audioBps, previous?.tracks);
    this.pacer.setRate(pacingRate(before, audioBps, this.bwe.state === 'congested'));
    for (const stream of this.streams) this.apply(stream, this.allocation.tracks.get(stream.id)!);
  }

  /** The forwarder's part: pause at once; any other layer from its keyframe, 100 ms on. */
  private apply(stream: Stream, share: TrackAllocation): void {
    if (share === 'paused') {
      stream.current = undefined;
      stream.next = undefined;
      this.pacer.drop(stream);
      return;
    }
    if (share === stream.current) stream.next = undefined;
    else if (stream.next?.layer !== share) stream.next = { layer: share, atMs: this.now + 100 };
  }

  private probe(): void {
    if (this.probeEndsAt !== undefined) {
      const due = (this.probePaddingBps * (this.now - (this.probeEndsAt - 100))) / 8000;
      for (; this.probeSent < due; this.probeSent += 1000) this.send('video', 1000);
      if (this.now >= this.probeEndsAt) {
        this.probeEndsAt = undefined;
        this.bwe.endProbe(this.now);
      }
      return;
    }
    const allocation = this.allocation;
    if (!allocation || this.bwe.probing || this.bwe.state !== 'clear') return;
    const plan = this.regulator.plan(allocation, this.bwe.estimateBps, audioBps, this.now);
    if (!plan) return;
    this.estimateBeforeProbe = this.bwe.estimateBps;
    this.bwe.startProbe(plan.goalBps);
    this.probePaddingBps = Math.max(0, plan.goalBps - allocation.usageBps - audioBps);
    this.probeSent = 0;
    this.probeEndsAt = this.now + 100;
  }

  private probed(): void {
    const before = this.allocation;
    this.reallocate();
    const raised = [...this.allocation!.tracks].some(([id, share]) => {
      const had = before?.tracks.get(id);
      return had === undefined || (share !== 'paused' && (had === 'paused' || share > had));
    });
    this.regulator.done(raised || this.bwe.estimateBps >= 1.1 * this.estimateBeforeProbe, this.now);
  }

  /** Over [from, to): the stage's frozen time (gaps between whole frames over 600 ms) and layer shares. */
  stage(from: number, to: number) {
    const frames = this.stageFrames.filter(([at]) => at >= from && at < to);
    let frozenMs = 0;
    let last = from;
    for (const [at] of [...frames, [to] as [number]]) {
      if (at - last > 600) frozenMs += at - last;
      last = at;
    }
    const share: Partial<Record<VideoQuality, number>> = {};
    for (const [, layer] of frames) share[layer] = (share[layer] ?? 0) + 1 / frames.length;
    return { frames: frames.length, frozenMs, share };
  }
}

describe('a zoomed viewer on a slow link (estimator, allocator, pacer together)', () => {
  it.each([
    [0.5, LOW, 'paused'],
    [1, MEDIUM, 'paused'],
    [3, MEDIUM, LOW],
  ] as const)(
    'at %s Mbit/s the stage goes to the layer that fits (%i) and keeps flowing, thumbnails %s; once adapted the sound loses nothing',
    (cap, stage, thumbnails) => {
      const viewer = new Viewer();
      viewer.run(5000);
      expect(viewer.stage(3000, 5000).share[HIGH]).toBeCloseTo(1);
      viewer.linkBps = mbps(cap);
      viewer.run(2000); // the cap is seen, the stage switches down
      const lost = viewer.lost.audio;
      viewer.run(18_000);
      expect(viewer.lost.audio).toBe(lost);
      const capped = viewer.stage(7000, 25_000);
      expect(capped.frozenMs).toBe(0);
      expect(capped.share[stage]).toBeCloseTo(1);
      expect(Object.fromEntries(viewer.allocation!.tracks)).toEqual({
        studio: stage,
        factory: thumbnails,
        farm: thumbnails,
      });
      expect(viewer.bwe.estimateBps).toBeGreaterThan(mbps(0.85 * cap));
      expect(viewer.bwe.estimateBps).toBeLessThanOrEqual(mbps(cap) + 1);
    },
  );
});
