// A lightweight LiveKit subscriber, in the spirit of `lk load-test`'s subscribers: it speaks LiveKit's
// signalling (protobuf over WebSocket, @livekit/protocol), answers the subscriber offer with a werift peer
// connection, and follows RTP per track without decoding (client/video.ts), so one process holds hundreds.
// Its UDP traffic can pass through a pair of emulated links (network/link.ts), both ways; the signalling
// WebSocket (TCP) does not.
import {
  DisconnectReason,
  type JoinResponse,
  LeaveRequest,
  type ParticipantInfo,
  ParticipantInfo_State,
  Ping,
  SessionDescription,
  SignalRequest,
  SignalResponse,
  SignalTarget,
  TrackType,
  TrickleRequest,
  UpdateTrackSettings,
  type VideoQuality,
} from '@livekit/protocol';
import {
  GenericNack,
  type RTCDataChannel,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtcpTransportLayerFeedback,
  useNACK,
  usePLI,
} from 'werift';
import WebSocket from 'ws';
import { type Link, udpOverhead } from './link.js';
import { encodeText, type SendTextOptions, type TextMessage, TextStreamDecoder } from './text-stream.js';
import { StreamCounter, type VideoReceiver, type VideoSize, vp8KeyframeSize } from './video.js';

/** Counters of one subscriber, summed over its streams. */
export interface SubscriberCounters {
  packets: number;
  bytes: number;
  /** Packets the sequence numbers say were sent to us. */
  expected: number;
}

export interface SubscriberOptions {
  /** Emulated network: `down` carries what arrives, `up` what leaves. */
  network?: { down: Link; up: Link };
  /**
   * Builds the receiver of a video track (by track sid), which then also sends its NACKs; default: count
   * packets and keyframe sizes only, and let werift NACK.
   */
  videoReceiver?: (
    trackSid: string,
    feedback: { pli: () => void; nack: (lost: number[]) => void },
  ) => VideoReceiver;
  /** The session ended (socket closed, server sent us away, peer connection failed); not called after close(). */
  onDisconnected?: (reason: string) => void;
  /** The room's participants or their tracks changed. */
  onParticipants?: () => void;
  /** A track's media started arriving: it is subscribed now, so its settings can be sent (LiveKit's SFU drops
   * settings for a track not yet subscribed; livekit-client sends them again on TrackSubscribed). */
  onTrack?: (trackSid: string) => void;
  /** A text stream (chat) arrived on the SFU's data channels. */
  onText?: (message: TextMessage) => void;
}

/** werift's ICE connection: what the DTLS and SRTP layers send through and hear from. */
interface IceConnection {
  send: (data: Buffer) => Promise<void>;
  onData: { execute: (data: Buffer) => void };
}

/** Puts the emulated links between werift's ICE connection and the transports above it. */
function impair(connection: IceConnection, network: { down: Link; up: Link }): void {
  const send = connection.send;
  connection.send = (data) => {
    network.up.send(data.length + udpOverhead, () => void send(data).catch(() => undefined));
    return Promise.resolve();
  };
  const execute = connection.onData.execute;
  connection.onData.execute = (data) => network.down.send(data.length + udpOverhead, () => execute(data));
}

/** `a=msid:<stream> <track>` per `a=mid`: the SFU names each track's sid in its msid. */
function trackSidsByMid(sdp: string): Map<string, string> {
  const byMid = new Map<string, string>();
  for (const section of sdp.split(/\r?\nm=/).slice(1)) {
    const mid = /\na=mid:(\S+)/.exec(section)?.[1];
    const track = /\na=msid:\S+ (\S+)/.exec(section)?.[1];
    if (mid && track) byMid.set(mid, track);
  }
  return byMid;
}

export class LoadSubscriber {
  private socket?: WebSocket;
  private pc?: RTCPeerConnection;
  /** The publisher connection: data only (chat), made on the first sendText, as livekit-client does. */
  private publisher?: { pc: RTCPeerConnection; reliable: Promise<RTCDataChannel> };
  private readonly texts = new TextStreamDecoder();
  private ping?: NodeJS.Timeout;
  private queue: Promise<void> = Promise.resolve();
  private readonly streams = new Map<number, StreamCounter>();
  private trackSids = new Map<string, string>();
  private readonly impaired = new WeakSet<object>();
  private closed = false;
  /** Video receivers by track sid (when options.videoReceiver is given). */
  readonly videos = new Map<string, VideoReceiver>();
  /** The other participants, by sid. */
  readonly participants = new Map<string, ParticipantInfo>();
  /** Size of the last VP8 keyframe received on any track. */
  keyframeSize?: VideoSize;
  joined?: JoinResponse;
  error?: string;
  /** NACK packets and PLIs this subscriber sent. */
  nacks = 0;
  plis = 0;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly options: SubscriberOptions = {},
  ) {}

  /** Connects and joins; media starts once the SFU's subscriber offer is answered (asynchronously). */
  async connect(timeoutMs = 15_000): Promise<void> {
    const socket = new WebSocket(
      `${this.url.replace(/\/+$/, '')}/rtc?access_token=${encodeURIComponent(this.token)}&auto_subscribe=1&sdk=go&protocol=15`,
    );
    this.socket = socket;
    socket.binaryType = 'nodebuffer';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error('join timed out'));
        socket.terminate();
      }, timeoutMs);
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
          this.updateParticipants(this.joined.otherParticipants);
          resolve();
        }
        // One message at a time, in order: a second offer must not interleave with the first's answer.
        this.queue = this.queue
          .then(() => this.handle(response))
          .catch((error: Error) => {
            this.error = error.message;
          });
      });
      socket.once('unexpected-response', (_request, response) => {
        clearTimeout(timer);
        let body = '';
        response.on('data', (chunk: Buffer) => {
          body += chunk;
        });
        response.on('end', () =>
          reject(new SignalRejected(response.statusCode ?? 0, body.trim() || response.statusMessage || '')),
        );
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('close', (code, reason) => {
        clearTimeout(timer);
        this.error ??= `closed ${code} ${reason}`;
        reject(new Error(this.error));
        this.disconnected(this.error);
      });
    });
    const interval = Math.max(1, this.joined?.pingInterval ?? 5) * 1000;
    this.ping = setInterval(
      () =>
        this.send({ case: 'pingReq', value: new Ping({ timestamp: BigInt(Date.now()), rtt: BigInt(0) }) }),
      interval,
    );
  }

  private disconnected(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.ping);
    this.options.onDisconnected?.(reason);
  }

  private send(message: SignalRequest['message']): void {
    if (this.socket?.readyState === WebSocket.OPEN)
      this.socket.send(new SignalRequest({ message }).toBinary());
  }

  private updateParticipants(infos: readonly ParticipantInfo[]): void {
    const self = this.joined?.participant?.sid;
    for (const info of infos) {
      if (info.sid === self) continue;
      if (info.state === ParticipantInfo_State.DISCONNECTED) this.participants.delete(info.sid);
      else this.participants.set(info.sid, info);
    }
    this.options.onParticipants?.();
  }

  /** Asks the SFU for these tracks at this quality (LiveKit's UpdateTrackSettings). */
  setQuality(trackSids: string[], quality: VideoQuality): void {
    if (trackSids.length === 0) return;
    this.send({
      case: 'trackSetting',
      value: new UpdateTrackSettings({ trackSids, disabled: false, quality }),
    });
  }

  /** Video tracks of the room, with the participant that publishes each. */
  videoTracks() {
    const tracks = [];
    for (const participant of this.participants.values())
      for (const track of participant.tracks)
        if (track.type === TrackType.VIDEO && !track.muted) tracks.push({ participant, track });
    return tracks;
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
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'failed') this.disconnected('peer connection failed');
    });
    // The SFU's own data channels (_reliable, _lossy) carry what others send us: chat among it.
    pc.onDataChannel.subscribe((channel) =>
      channel.onMessage.subscribe((data) => {
        if (typeof data === 'string') return;
        const message = this.texts.add(data);
        if (message) this.options.onText?.(message);
      }),
    );
    pc.onTransceiverAdded.subscribe((transceiver) => {
      this.impairTransports();
      const { receiver } = transceiver;
      receiver.onPacketLost.subscribe(() => {
        this.nacks++;
      });
      // A video receiver of ours asks for lost packets itself, paced by the round trip (see VideoReceiver).
      if (this.options.videoReceiver)
        (receiver as unknown as { nack: { addPacket: (packet: unknown) => void } }).nack.addPacket = () =>
          undefined;
      transceiver.onTrack.subscribe((track) => {
        const trackSid = transceiver.mid ? this.trackSids.get(transceiver.mid) : undefined;
        if (trackSid) this.options.onTrack?.(trackSid);
        let lastPli = 0;
        let video: VideoReceiver | undefined;
        track.onReceiveRtp.subscribe((packet) => {
          const { ssrc, sequenceNumber, timestamp, marker } = packet.header;
          const size = packet.payload.length + 12;
          if (track.kind === 'video' && trackSid && this.options.videoReceiver) {
            if (!video) {
              video = this.options.videoReceiver(trackSid, {
                pli: () => {
                  this.plis++;
                  receiver.sendRtcpPLI(ssrc).catch(() => undefined);
                },
                nack: (lost) => {
                  this.nacks++;
                  const feedback = new GenericNack({
                    senderSsrc: receiver.rtcpSsrc,
                    mediaSourceSsrc: ssrc,
                    lost,
                  });
                  receiver.dtlsTransport
                    .sendRtcp([new RtcpTransportLayerFeedback({ feedback })])
                    .catch(() => undefined);
                },
              });
              this.videos.set(trackSid, video);
            }
            video.add(sequenceNumber, timestamp, marker, packet.payload, size);
            if (video.size) this.keyframeSize = video.size;
            return;
          }
          let counter = this.streams.get(ssrc);
          if (!counter) {
            counter = new StreamCounter();
            this.streams.set(ssrc, counter);
          }
          counter.add(sequenceNumber, size);
          if (track.kind !== 'video') return;
          this.keyframeSize = vp8KeyframeSize(packet.payload) ?? this.keyframeSize;
          // As a real client's decoder would: no keyframe yet (joined mid-stream, or it was lost), ask for one.
          const now = performance.now();
          if (!this.keyframeSize && now - lastPli > 1000) {
            lastPli = now;
            this.plis++;
            transceiver.receiver.sendRtcpPLI(ssrc).catch(() => undefined);
          }
        });
      });
    });
    this.pc = pc;
    return pc;
  }

  /** Routes every transport's datagrams through the emulated links, once each (before DTLS starts). */
  private impairTransports(pc = this.pc): void {
    const { network } = this.options;
    if (!network || !pc) return;
    for (const transport of pc.dtlsTransports) {
      const connection = transport.iceTransport.connection as unknown as IceConnection | undefined;
      if (connection && !this.impaired.has(connection)) {
        this.impaired.add(connection);
        impair(connection, network);
      }
    }
  }

  private async handle(response: SignalResponse): Promise<void> {
    const { message } = response;
    switch (message.case) {
      case 'offer': {
        const pc = this.subscriberPc();
        for (const [mid, sid] of trackSidsByMid(message.value.sdp)) this.trackSids.set(mid, sid);
        await pc.setRemoteDescription({ type: 'offer', sdp: message.value.sdp });
        this.impairTransports();
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
        else await this.publisher?.pc.addIceCandidate(JSON.parse(message.value.candidateInit));
        break;
      case 'answer':
        await this.publisher?.pc.setRemoteDescription({ type: 'answer', sdp: message.value.sdp });
        this.impairTransports(this.publisher?.pc);
        break;
      case 'update':
        this.updateParticipants(message.value.participants);
        break;
      case 'leave':
        // By name: the report counts errors by their text with the digits masked.
        this.error = `left: ${DisconnectReason[message.value.reason] ?? message.value.reason}`;
        this.disconnected(this.error);
        break;
    }
  }

  /** This participant's identity (from the join). */
  get identity(): string | undefined {
    return this.joined?.participant?.identity;
  }

  /**
   * Opens the publisher connection's reliable data channel (negotiated with the SFU), as livekit-client has
   * it before the first message: resolves when it is open. Idempotent.
   */
  openData(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return Promise.reject(new Error('not connected'));
    if (!this.publisher) {
      const publisher = this.openPublisher(timeoutMs);
      this.publisher = publisher;
      // One that did not open is dropped, so the next message tries afresh.
      publisher.reliable.catch(() => {
        if (this.publisher === publisher) this.publisher = undefined;
        void publisher.pc.close().catch(() => undefined);
      });
    }
    return this.publisher.reliable.then(() => undefined);
  }

  /** Sends a text stream as `localParticipant.sendText` does, on the reliable data channel (openData). */
  async sendText(text: string, options: SendTextOptions): Promise<void> {
    await this.openData();
    const channel = await this.publisher!.reliable;
    for (const packet of encodeText(text, options)) channel.send(Buffer.from(packet));
  }

  private openPublisher(timeoutMs: number): NonNullable<LoadSubscriber['publisher']> {
    const pc = new RTCPeerConnection();
    pc.onIceCandidate.subscribe((candidate) => {
      if (!candidate) return;
      this.send({
        case: 'trickle',
        value: new TrickleRequest({
          candidateInit: JSON.stringify(candidate.toJSON()),
          target: SignalTarget.PUBLISHER,
        }),
      });
    });
    // livekit-client's labels: the SFU tells reliable from lossy data by them.
    const channel = pc.createDataChannel('_reliable', { ordered: true });
    pc.createDataChannel('_lossy', { ordered: false, maxRetransmits: 0 });
    const reliable = new Promise<RTCDataChannel>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('data channel did not open')), timeoutMs);
      channel.stateChanged.subscribe((state) => {
        if (state === 'open') {
          clearTimeout(timer);
          resolve(channel);
        }
      });
    });
    reliable.catch(() => undefined);
    void (async () => {
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      this.impairTransports(pc);
      this.send({
        case: 'offer',
        value: new SessionDescription({ type: 'offer', sdp: pc.localDescription!.sdp }),
      });
    })().catch((error: Error) => {
      this.error = `publisher: ${error.message}`;
    });
    return { pc, reliable };
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
    const streams = [...this.streams.values(), ...[...this.videos.values()].map((v) => v.counter)];
    for (const stream of streams) {
      total.packets += stream.packets;
      total.bytes += stream.bytes;
      total.expected += stream.expected;
    }
    return total;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.ping);
    this.send({ case: 'leave', value: new LeaveRequest({}) });
    this.socket?.close();
    this.options.network?.down.close();
    this.options.network?.up.close();
    await this.pc?.close().catch(() => undefined);
    await this.publisher?.pc.close().catch(() => undefined);
  }
}

/** The server refused the WebSocket upgrade (LiveKit answers 401 for a bad token, 404 for no room, …). */
export class SignalRejected extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`the LiveKit server refused the connection (${status}${body ? `: ${body.slice(0, 200)}` : ''})`);
  }
}
