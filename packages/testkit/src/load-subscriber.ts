// A lightweight LiveKit subscriber for load and network tests, in the spirit of `lk load-test`'s subscribers:
// it speaks LiveKit's signalling (protobuf over WebSocket, @livekit/protocol), answers the subscriber offer
// with a werift peer connection, and counts RTP packets and bytes per stream without decoding, so one
// process can hold many of them. Loss is RFC 3550's: expected (from the extended sequence range) minus
// received. It can also drop a share of what arrives, as a lossy network would, before SRTP: its receiver
// reports then carry that loss to the SFU like any real client's.
import {
  type JoinResponse,
  LeaveRequest,
  Ping,
  SessionDescription,
  SignalRequest,
  SignalResponse,
  SignalTarget,
  TrickleRequest,
} from '@livekit/protocol';
import { RTCPeerConnection, RTCRtpCodecParameters, useNACK, usePLI } from 'werift';
import WebSocket from 'ws';

/** Counters of one subscriber, summed over its video streams. */
export interface SubscriberCounters {
  packets: number;
  bytes: number;
  /** Packets the sequence numbers say were sent to us. */
  expected: number;
}

class StreamCounter {
  private base = -1;
  private highest = -1; // extended
  packets = 0;
  bytes = 0;

  add(sequenceNumber: number, size: number): void {
    this.packets++;
    this.bytes += size;
    if (this.highest < 0) {
      this.base = this.highest = sequenceNumber;
      return;
    }
    // Extend the 16-bit sequence number around the highest seen so far.
    const cycle = this.highest - (this.highest & 0xffff);
    let extended = cycle + sequenceNumber;
    if (extended < this.highest - 0x8000) extended += 0x10000;
    else if (extended > this.highest + 0x8000) extended -= 0x10000;
    if (extended > this.highest) this.highest = extended;
  }

  get expected(): number {
    return this.highest < 0 ? 0 : this.highest - this.base + 1;
  }
}

/**
 * The picture size when this RTP payload starts a VP8 keyframe (RFC 7741 payload descriptor, then the
 * keyframe header of RFC 6386 9.1), else undefined.
 */
export function vp8KeyframeSize(payload: Buffer): { width: number; height: number } | undefined {
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

export class LoadSubscriber {
  private socket?: WebSocket;
  private pc?: RTCPeerConnection;
  private ping?: NodeJS.Timeout;
  private queue: Promise<void> = Promise.resolve();
  private readonly streams = new Map<number, StreamCounter>();
  /** Size of the last VP8 keyframe received: which simulcast layer the SFU forwards to us. */
  keyframeSize?: { width: number; height: number };
  joined?: JoinResponse;
  error?: string;

  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  /** Connects and joins; media starts once the SFU's subscriber offer is answered (asynchronously). */
  async connect(timeoutMs = 15_000): Promise<void> {
    const socket = new WebSocket(
      `${this.url}/rtc?access_token=${encodeURIComponent(this.token)}&auto_subscribe=1&sdk=go&protocol=15`,
    );
    this.socket = socket;
    socket.binaryType = 'nodebuffer';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('join timed out')), timeoutMs);
      socket.on('message', (data: Buffer) => {
        let response: SignalResponse;
        try {
          response = SignalResponse.fromBinary(data);
        } catch (error) {
          this.error = `bad frame: ${(error as Error).message}`;
          return;
        }
        if (response.message.case === 'join') {
          clearTimeout(timer);
          this.joined = response.message.value;
          resolve();
        }
        // One message at a time, in order: a second offer must not interleave with the first's answer.
        this.queue = this.queue
          .then(() => this.handle(response))
          .catch((error: Error) => {
            this.error = error.message;
          });
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('close', (code, reason) => {
        clearTimeout(timer);
        this.error ??= `closed ${code} ${reason}`;
        reject(new Error(this.error));
      });
    });
    const interval = Math.max(1, this.joined?.pingInterval ?? 5) * 1000;
    this.ping = setInterval(
      () =>
        this.send({ case: 'pingReq', value: new Ping({ timestamp: BigInt(Date.now()), rtt: BigInt(0) }) }),
      interval,
    );
  }

  private send(message: SignalRequest['message']): void {
    if (this.socket?.readyState === WebSocket.OPEN)
      this.socket.send(new SignalRequest({ message }).toBinary());
  }

  private subscriberPc(): RTCPeerConnection {
    if (this.pc) return this.pc;
    const feedback = [useNACK(), usePLI()];
    const pc = new RTCPeerConnection({
      codecs: {
        video: [
          new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, rtcpFeedback: feedback }),
        ],
        audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 })],
      },
    });
    pc.onIceCandidate.subscribe((candidate) => {
      if (!candidate) return;
      this.send({
        case: 'trickle',
        value: new TrickleRequest({
          candidateInit: JSON.stringify(candidate.toJSON()),
          target: SignalTarget.SUBSCRIBER,
        }),
      });
    });
    pc.onTransceiverAdded.subscribe((transceiver) => {
      let lastPli = 0;
      transceiver.onTrack.subscribe((track) =>
        track.onReceiveRtp.subscribe((packet) => {
          let counter = this.streams.get(packet.header.ssrc);
          if (!counter) {
            counter = new StreamCounter();
            this.streams.set(packet.header.ssrc, counter);
          }
          counter.add(packet.header.sequenceNumber, packet.payload.length + 12);
          this.keyframeSize = vp8KeyframeSize(packet.payload) ?? this.keyframeSize;
          // As a real client's decoder would: no keyframe yet (joined mid-stream, or it was lost), ask for one.
          const now = performance.now();
          if (!this.keyframeSize && now - lastPli > 1000) {
            lastPli = now;
            transceiver.receiver.sendRtcpPLI(packet.header.ssrc).catch(() => undefined);
          }
        }),
      );
    });
    this.pc = pc;
    return pc;
  }

  private async handle(response: SignalResponse): Promise<void> {
    const { message } = response;
    switch (message.case) {
      case 'offer': {
        const pc = this.subscriberPc();
        await pc.setRemoteDescription({ type: 'offer', sdp: message.value.sdp });
        const answer = await pc.createAnswer();
        await pc.setLocalDescription(answer);
        this.send({
          case: 'answer',
          value: new SessionDescription({
            type: 'answer',
            sdp: pc.localDescription!.sdp,
            id: message.value.id,
          }),
        });
        break;
      }
      case 'trickle':
        if (message.value.target === SignalTarget.SUBSCRIBER)
          await this.subscriberPc().addIceCandidate(JSON.parse(message.value.candidateInit));
        break;
      case 'leave':
        this.error = `left: reason ${message.value.reason}`;
        break;
    }
  }

  /**
   * Drops this percentage of the datagrams that arrive (media and RTCP), like a lossy last mile. werift's
   * `debug.inboundPacketLoss` keeps a packet when `value / 100 < Math.random()` is false — that is, it is
   * the share kept, not lost — so we set its complement.
   */
  set inboundLossPercent(percent: number) {
    const { config } = this.subscriberPc();
    config.debug = { ...config.debug, inboundPacketLoss: percent > 0 ? 100 - percent : undefined };
  }

  /** Where the connection stands, for reports: the error, else the peer connection's state. */
  get state(): string {
    return (
      this.error ??
      (this.pc ? `pc ${this.pc.connectionState}, ice ${this.pc.iceConnectionState}` : 'no offer yet')
    );
  }

  counters(): SubscriberCounters {
    const total = { packets: 0, bytes: 0, expected: 0 };
    for (const stream of this.streams.values()) {
      total.packets += stream.packets;
      total.bytes += stream.bytes;
      total.expected += stream.expected;
    }
    return total;
  }

  async close(): Promise<void> {
    clearInterval(this.ping);
    this.send({ case: 'leave', value: new LeaveRequest({}) });
    this.socket?.close();
    await this.pc?.close().catch(() => undefined);
  }
}
