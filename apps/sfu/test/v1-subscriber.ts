// A subscriber on `/rtc/v1` (one peer connection, the client offers) as livekit-client is one, built from
// werift and LiveKit's signalling, for tests that read what the SFU sends on the wire: its answers, RTP
// and RTCP.
import {
  ConnectionSettings,
  JoinRequest,
  SessionDescription,
  SignalRequest,
  SignalResponse,
  SignalTarget,
  TrickleRequest,
  WrappedJoinRequest,
} from '@livekit/protocol';
import sdpTransform from 'sdp-transform';
import {
  GenericNack,
  ntpTimeToEpochMs,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  type RtcpPacket,
  RtcpSrPacket,
  RtcpTransportLayerFeedback,
  type RtpPacket,
  useNACK,
  usePLI,
  useSdesMid,
} from 'werift';
import WebSocket from 'ws';

/** What one of the SFU's answers says about one media section. */
export interface AnsweredSection {
  kind: string;
  direction: string;
  ssrcs: number[];
  /** The FID group: [media, RTX]. */
  rtx: [number, number] | undefined;
  msid: boolean;
}

export function sections(sdp: string): AnsweredSection[] {
  return sdpTransform.parse(sdp).media.map((media) => {
    const fid = media.ssrcGroups
      ?.find((g) => g.semantics === 'FID')
      ?.ssrcs.split(' ')
      .map(Number);
    return {
      kind: media.type,
      direction: media.direction ?? 'sendrecv',
      ssrcs: [...new Set((media.ssrcs ?? []).map((s) => Number(s.id)))],
      rtx: fid?.length === 2 ? [fid[0]!, fid[1]!] : undefined,
      msid: (media as { msid?: unknown }).msid !== undefined,
    };
  });
}

export interface Arrival {
  /** Wall clock, ms. */
  at: number;
  timestamp: number;
}

const arrivalsKept = 200;

/**
 * A `/rtc/v1` subscriber as livekit-client is one: its first offer (in the join) already has receive
 * sections, three of each kind (livekit-client 2.x's `applyInitialPublisherLayout`), more come when the SFU asks for them
 * (MediaSectionsRequirement), and it offers again whenever the SFU asks. Keeps every answer and, per SSRC,
 * the sequence numbers that arrived (for RTX: the original sequence number each retransmission carries),
 * when the last packets arrived, and the last sender report.
 */
export class V1Subscriber {
  readonly pc: RTCPeerConnection;
  readonly answers: AnsweredSection[][] = [];
  readonly arrived = new Map<number, number[]>();
  /** Per SSRC, the last packets' RTP timestamps and arrival times (wall clock, ms). */
  readonly arrivals = new Map<number, Arrival[]>();
  /** Per SSRC, the last RTCP sender report: the wall clock (ms) the sender pairs with an RTP time. */
  readonly senderReports = new Map<number, { ntpMs: number; rtpTimestamp: number }>();
  private socket: WebSocket | undefined;
  private offerId = 0;
  private offerAgain = false;
  private queue = Promise.resolve();
  error: unknown;

  /** `red`: it takes Opus in RED (RFC 2198) too, as a browser does. */
  constructor({ red = false }: { red?: boolean } = {}) {
    const opus = new RTCRtpCodecParameters({
      mimeType: 'audio/opus',
      clockRate: 48000,
      channels: 2,
      payloadType: 111,
    });
    this.pc = new RTCPeerConnection({
      codecs: {
        audio: red
          ? [
              new RTCRtpCodecParameters({
                mimeType: 'audio/red',
                clockRate: 48000,
                channels: 2,
                payloadType: 63,
                parameters: '111/111',
              }),
              opus,
            ]
          : [opus],
        video: [
          new RTCRtpCodecParameters({
            mimeType: 'video/VP8',
            clockRate: 90000,
            payloadType: 96,
            rtcpFeedback: [useNACK(), usePLI()],
          }),
          new RTCRtpCodecParameters({
            mimeType: 'video/rtx',
            clockRate: 90000,
            payloadType: 97,
            parameters: 'apt=96',
          }),
        ],
      },
      headerExtensions: { audio: [useSdesMid()], video: [useSdesMid()] },
    });
  }

  async join(url: string, token: string): Promise<void> {
    for (let i = 0; i < 3; i++) {
      this.pc.addTransceiver('audio', { direction: 'recvonly' });
      this.pc.addTransceiver('video', { direction: 'recvonly' });
    }
    this.pc.onIceCandidate.subscribe((candidate) => {
      if (!candidate) return;
      this.send({
        case: 'trickle',
        value: new TrickleRequest({
          candidateInit: JSON.stringify(candidate.toJSON()),
          target: SignalTarget.PUBLISHER,
        }),
      });
    });
    const join = new JoinRequest({
      connectionSettings: new ConnectionSettings({ autoSubscribe: true }),
      publisherOffer: await this.createOffer(),
    });
    const wrapped = new WrappedJoinRequest({ joinRequest: join.toBinary() });
    const socket = new WebSocket(
      `${url}/rtc/v1?access_token=${token}&join_request=${Buffer.from(wrapped.toBinary()).toString('base64url')}`,
    );
    this.socket = socket;
    socket.on('message', (data: Buffer) => {
      const response = SignalResponse.fromBinary(data);
      this.queue = this.queue
        .then(() => this.handle(response))
        .catch((error: unknown) => {
          this.error = error;
        });
    });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
  }

  private send(message: SignalRequest['message']): void {
    if (this.socket?.readyState === WebSocket.OPEN)
      this.socket.send(new SignalRequest({ message }).toBinary());
  }

  private async createOffer(): Promise<SessionDescription> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    this.offerId += 1;
    return new SessionDescription({ type: 'offer', sdp: this.pc.localDescription!.sdp, id: this.offerId });
  }

  /** One offer outstanding at a time, as livekit-client negotiates: a request meanwhile waits for the answer. */
  private async offer(): Promise<void> {
    if (this.pc.signalingState !== 'stable') {
      this.offerAgain = true;
      return;
    }
    this.send({ case: 'offer', value: await this.createOffer() });
  }

  private async handle(response: SignalResponse): Promise<void> {
    const { message } = response;
    switch (message.case) {
      case 'answer':
        this.answers.push(sections(message.value.sdp));
        await this.pc.setRemoteDescription({ type: 'answer', sdp: message.value.sdp });
        this.watchRtp();
        if (this.offerAgain) {
          this.offerAgain = false;
          await this.offer();
        }
        return;
      case 'trickle':
        await this.pc.addIceCandidate(JSON.parse(message.value.candidateInit));
        return;
      case 'mediaSectionsRequirement':
        for (let i = 0; i < message.value.numAudios; i++)
          this.pc.addTransceiver('audio', { direction: 'recvonly' });
        for (let i = 0; i < message.value.numVideos; i++)
          this.pc.addTransceiver('video', { direction: 'recvonly' });
        await this.offer();
        return;
    }
  }

  private readonly watched = new Set<unknown>();
  private watchRtp(): void {
    for (const dtls of this.pc.dtlsTransports) {
      if (this.watched.has(dtls)) continue;
      this.watched.add(dtls);
      dtls.onRtp.subscribe((packet: RtpPacket) => {
        const { ssrc, sequenceNumber, payloadType } = packet.header;
        const seqs = this.arrived.get(ssrc) ?? [];
        this.arrived.set(ssrc, seqs);
        // RTX (RFC 4588): the original sequence number leads the payload.
        seqs.push(payloadType === 97 ? packet.payload.readUInt16BE(0) : sequenceNumber);
        if (payloadType === 97) return;
        const arrivals = this.arrivals.get(ssrc) ?? [];
        this.arrivals.set(ssrc, arrivals);
        arrivals.push({ at: performance.timeOrigin + performance.now(), timestamp: packet.header.timestamp });
        if (arrivals.length > arrivalsKept) arrivals.shift();
      });
      dtls.onRtcp.subscribe((packet: RtcpPacket) => {
        if (!(packet instanceof RtcpSrPacket)) return;
        const { ntpTimestamp, rtpTimestamp } = packet.senderInfo;
        this.senderReports.set(packet.ssrc, { ntpMs: ntpTimeToEpochMs(ntpTimestamp), rtpTimestamp });
      });
    }
  }

  /** NACKs one packet of a media SSRC, as a browser does for a packet it missed. */
  async nack(mediaSourceSsrc: number, sequenceNumber: number): Promise<void> {
    const feedback = new GenericNack({ senderSsrc: 1, mediaSourceSsrc, lost: [sequenceNumber] });
    await this.pc.dtlsTransports[0]!.sendRtcp([new RtcpTransportLayerFeedback({ feedback })]);
  }

  async close(): Promise<void> {
    this.socket?.close();
    await this.pc.close();
  }
}
