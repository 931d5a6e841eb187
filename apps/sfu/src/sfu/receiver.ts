import type { VideoQuality } from '@livekit/protocol';
import {
  type MediaStreamTrack,
  RTP_EXTENSION_URI,
  type RtcpPacket,
  RtcpSrPacket,
  type RtpPacket,
} from 'werift';
import { guard, reportFault } from '../guard.js';
import { metrics } from '../telemetry.js';
import { AudioLevel } from './audio-level.js';
import { BitrateMeter, wireOverheadBytes } from './bitrate-meter.js';
import { isKeyframe } from './keyframe.js';
import { type KeyframeRequestState, KeyframeRequests } from './keyframe-requests.js';
import { NackGenerator, nackIntervalMs } from './nack-generator.js';
import { CaptureClock } from './sender-report.js';

/** Decided once, from the track's announced type (rtc/media-track); everything below reads it from here. */
export type MediaKind = 'audio' | 'video';

/** The way back to the publisher for one layer: keyframe requests and NACKs. */
export interface Upstream {
  sendPli(ssrc: number): void;
  sendNack(ssrc: number, lost: number[]): void;
}

/** What a receiver hands to each subscriber's down track. */
export interface PacketSink {
  write(quality: VideoQuality, packet: RtpPacket, keyframe: boolean): void;
}

interface Layer {
  track: MediaStreamTrack;
  /** Learnt from the first packet: rid-signalled layers carry no SSRC in the SDP. */
  ssrc: number | undefined;
  upstream: Upstream;
  nack: NackGenerator | undefined;
  lastPacketAt: number;
  /** Arrival times of the last few keyframes, oldest first. */
  keyframesAt: number[];
  lastTimestamp: number | undefined;
  frames: number;
  keyframeRequests: KeyframeRequests;
  bitrate: BitrateMeter;
  /** The publisher's capture clock, from its sender reports. */
  clock: CaptureClock;
}

/** One layer as the debug view shows it (times in ms ago, rounded). */
export interface LayerState {
  quality: VideoQuality;
  ssrc: number | undefined;
  /** Frames that began arriving on this layer so far (RTP timestamps seen). */
  frames: number;
  lastPacketMs: number | undefined;
  /** How long ago the last few keyframes arrived, newest first. */
  keyframesMs: number[];
  keyframeRequests: KeyframeRequestState;
  /** What the layer costs a subscriber now (bit/s), as the allocator sees it. */
  bitrate: number | undefined;
}

const layerStaleMs = 1500;
/** Keyframe arrival times kept per layer, for the debug view. */
const keyframesKept = 8;
/** Longest stretch of forwarding before reading the socket again. */
const fanOutSliceMs = 2;
/** Packets a receiver may hold for forwarding: about a second of a 4K top layer. */
const maxPending = 1000;

/**
 * The publisher side of one track: its RTP streams (one per simulcast layer), fanned out untouched to
 * every down track. Keeps per-layer liveness so forwarders can avoid paused layers.
 */
export class TrackReceiver {
  private readonly layers = new Map<VideoQuality, Layer>();
  /** The down tracks, replaced (never mutated) on attach/detach so a queued packet can keep its list. */
  private sinks: readonly PacketSink[] = [];
  /** Packets waiting to be forwarded, each with the down tracks attached when it arrived. */
  private pending: Array<{
    quality: VideoQuality;
    packet: RtpPacket;
    keyframe: boolean;
    sinks: readonly PacketSink[];
    next: number;
  }> = [];
  private flushScheduled = false;
  private nackTimer: NodeJS.Timeout | undefined;
  /**
   * Set by the room: a subscriber has been waiting for a layer the publisher is not sending, so the
   * publisher should be told again which layers are needed (dynacast).
   */
  onLayerWanted: ((quality: VideoQuality) => void) | undefined;
  /** A muted track's media is not forwarded, as LiveKit does; what still arrives only keeps the stats. */
  private muted = false;
  /** How loud an audio track is now, from the publisher's per-packet levels (when it sends them). */
  readonly audioLevel: AudioLevel | undefined;

  constructor(
    readonly kind: MediaKind,
    readonly mimeType: string,
    readonly clockRate: number,
    /** The negotiated id of the ssrc-audio-level header extension, if the publisher offered it. */
    audioLevelExtensionId?: number,
  ) {
    if (kind === 'audio' && audioLevelExtensionId !== undefined) this.audioLevel = new AudioLevel();
  }

  addLayer(quality: VideoQuality, track: MediaStreamTrack, upstream: Upstream): void {
    const video = this.kind === 'video';
    const layer: Layer = {
      track,
      ssrc: undefined,
      upstream,
      nack: undefined,
      lastPacketAt: 0,
      keyframesAt: [],
      lastTimestamp: undefined,
      frames: 0,
      keyframeRequests: new KeyframeRequests(),
      bitrate: new BitrateMeter(),
      clock: new CaptureClock(this.clockRate),
    };
    if (video) layer.nack = new NackGenerator();
    this.layers.set(quality, layer);
    track.onReceiveRtcp.subscribe(
      guard('sr_in', undefined, (packet: RtcpPacket) => {
        if (packet instanceof RtcpSrPacket) layer.clock.senderReport(packet.senderInfo.rtpTimestamp);
      }),
    );
    track.onReceiveRtp.subscribe(
      // `extensions`: the header extensions werift parsed, by URI. Opus that came in RED (werift unpacks
      // it, and rebuilds a lost packet from the next one's copy) has them only here, not in its header.
      guard('rtp_in', undefined, (packet: RtpPacket, extensions?: Record<string, unknown>) => {
        layer.lastPacketAt = performance.now();
        layer.ssrc = packet.header.ssrc;
        if (layer.nack) {
          layer.nack.onPacket(packet.header.sequenceNumber, layer.lastPacketAt);
          if (layer.nack.pending && !this.nackTimer) {
            this.nackTimer = setInterval(guard('nack_timer', undefined, this.sendNacks), nackIntervalMs);
            this.nackTimer.unref();
          }
        }
        layer.bitrate.add(packet.serializeSize + wireOverheadBytes, layer.lastPacketAt);
        metrics.packets.inc({ direction: 'incoming', kind: this.kind });
        metrics.bytes.inc({ direction: 'incoming', kind: this.kind }, packet.payload.length);
        if (this.muted) return;
        if (this.audioLevel) {
          // RFC 6464: the level in -dBov.
          const level = extensions?.[RTP_EXTENSION_URI.audioLevelIndication] as { level: number } | undefined;
          if (level) this.audioLevel.observe(level.level);
        }
        const keyframe = video ? isKeyframe(this.mimeType, packet.payload) : true;
        if (video) {
          if (packet.header.timestamp !== layer.lastTimestamp) {
            layer.lastTimestamp = packet.header.timestamp;
            layer.frames += 1;
            layer.keyframeRequests.frame(layer.lastPacketAt);
          }
          if (keyframe) {
            layer.keyframesAt.push(layer.lastPacketAt);
            if (layer.keyframesAt.length > keyframesKept) layer.keyframesAt.shift();
            layer.keyframeRequests.keyframe(layer.lastPacketAt);
          }
        }
        // Overloaded beyond catching up: drop the oldest rather than grow without bound and fall ever
        // further behind (subscribers recover with NACK or a keyframe).
        if (this.pending.length >= maxPending) {
          this.pending.shift();
          metrics.fanOutDrops.inc();
        }
        this.pending.push({ quality, packet, keyframe, sinks: this.sinks, next: 0 });
        if (!this.flushScheduled) {
          this.flushScheduled = true;
          setImmediate(this.flush);
        }
      }),
    );
  }

  /**
   * Fans received packets out to the down tracks, outside the receive path and in slices of a few ms.
   * Arrival times for the publisher's transport-cc feedback are taken as datagrams are read; forwarding
   * a packet to hundreds of subscribers in the same tick would delay the next datagram's read, and the
   * publisher's delay-based bandwidth estimate would take that delay for congestion and cut its bitrate.
   */
  private readonly flush = () => {
    const deadline = performance.now() + fanOutSliceMs;
    let written = 0;
    while (this.pending.length > 0) {
      const entry = this.pending[0]!;
      while (entry.next < entry.sinks.length) {
        const sink = entry.sinks[entry.next++]!;
        try {
          sink.write(entry.quality, entry.packet, entry.keyframe);
        } catch (error) {
          // One broken down track must not stop the others' media: it loses its feed, they keep theirs.
          reportFault('fan_out', undefined, error);
          this.detach(sink);
        }
        if (++written % 16 === 0 && performance.now() > deadline) {
          setImmediate(this.flush); // let pending datagrams be read, then go on
          return;
        }
      }
      this.pending.shift();
    }
    this.flushScheduled = false;
  };

  /** Ask each layer's publisher stream for the packets it lost; stop once nothing is missing. */
  private readonly sendNacks = () => {
    const now = performance.now();
    let pending = false;
    for (const layer of this.layers.values()) {
      if (!layer.nack) continue;
      const lost = layer.nack.due(now);
      if (lost.length > 0 && layer.ssrc !== undefined) layer.upstream.sendNack(layer.ssrc, lost);
      pending ||= layer.nack.pending;
    }
    if (!pending) {
      clearInterval(this.nackTimer);
      this.nackTimer = undefined;
    }
  };

  get layerCount(): number {
    return this.layers.size;
  }

  /** Layers that delivered a packet recently, lowest first. */
  liveQualities(now = performance.now()): VideoQuality[] {
    return [...this.layers.entries()]
      .filter(([, layer]) => now - layer.lastPacketAt < layerStaleMs)
      .map(([quality]) => quality)
      .sort((a, b) => a - b);
  }

  /** What a layer costs a subscriber, as the publisher sends it now (bit/s); undefined when unknown. */
  bitrate(quality: VideoQuality, now = performance.now()): number | undefined {
    return this.layers.get(quality)?.bitrate.bps(now);
  }

  /** A layer's RTP time of the moment its publisher captures now (`CaptureClock`); undefined if unknown. */
  rtpTimeAt(quality: VideoQuality, now = performance.now()): number | undefined {
    return this.layers.get(quality)?.clock.rtpTimeAt(now);
  }

  hasLayer(quality: VideoQuality): boolean {
    return this.layers.has(quality);
  }

  /** A subscriber waits for a layer that is not arriving (see `onLayerWanted`). */
  wantLayer(quality: VideoQuality): void {
    this.onLayerWanted?.(quality);
  }

  /** Each layer's SSRC, frames so far, how long ago its last packet and keyframes came, its keyframe requests. */
  layerStates(now = performance.now()): LayerState[] {
    const ago = (at: number) => (at > 0 ? Math.round(now - at) : undefined);
    return [...this.layers.entries()]
      .sort(([a], [b]) => a - b)
      .map(([quality, layer]) => ({
        quality,
        ssrc: layer.ssrc,
        frames: layer.frames,
        lastPacketMs: ago(layer.lastPacketAt),
        keyframesMs: layer.keyframesAt.map((at) => Math.round(now - at)).reverse(),
        keyframeRequests: layer.keyframeRequests.state(),
        bitrate: layer.bitrate.bps(now),
      }));
  }

  /** Mute or unmute the track: while muted nothing is forwarded. */
  setMuted(muted: boolean): void {
    if (this.muted === muted) return;
    this.muted = muted;
    // Subscribers resume mid-stream after a gap: a keyframe lets them decode at once.
    if (!muted && this.kind === 'video')
      for (const quality of this.layers.keys()) this.requestKeyframe(quality);
  }

  /**
   * A subscriber needs a keyframe of one layer: the publisher is asked when no request is out, and asked
   * again when the one out is overdue (KeyframeRequests), so every subscriber of the layer shares them.
   */
  requestKeyframe(quality: VideoQuality): void {
    const layer = this.layers.get(quality);
    if (!layer || layer.ssrc === undefined || this.kind === 'audio') return;
    const request = layer.keyframeRequests.request(performance.now());
    if (!request) return;
    metrics.plis.inc();
    if (request.repeat) metrics.keyframeRerequests.inc();
    layer.upstream.sendPli(layer.ssrc);
  }

  attach(sink: PacketSink): void {
    if (!this.sinks.includes(sink)) this.sinks = [...this.sinks, sink];
  }

  detach(sink: PacketSink): void {
    this.sinks = this.sinks.filter((s) => s !== sink);
  }

  close(): void {
    this.sinks = [];
    this.pending = [];
    clearInterval(this.nackTimer);
    this.nackTimer = undefined;
    for (const layer of this.layers.values()) layer.track.stop();
    this.layers.clear();
  }
}
