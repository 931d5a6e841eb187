import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  type RTCDtlsTransport,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  type RTCRtpHeaderExtensionParameters,
  type RTCRtpSender,
  type RTCRtpTransceiver,
  type RtcpPacket,
  type RtpHeader,
  type RtpPacket,
  serializeTransportWideCC,
  uint16Add,
  useAbsSendTime,
  useAudioLevelIndication,
  useH264,
  useNACK,
  useOPUS,
  usePLI,
  useREMB,
  useRepairedRtpStreamId,
  useSdesMid,
  useSdesRTPStreamId,
  useTransportWideCC,
  useTWCC,
  useVP8,
  useVP9,
} from 'werift';
import { SfuError } from '../errors.js';
import { guard } from '../guard.js';
import type { Logger } from '../logging.js';
import { wireOverheadBytes } from '../sfu/bitrate-meter.js';
import type { MediaKind } from '../sfu/receiver.js';
import { TwccResponder } from '../sfu/twcc-responder.js';

export interface RtcConfig {
  /** Inclusive UDP port range for ICE host candidates; undefined lets the OS choose. */
  portRange?: [number, number];
  /** Extra address announced in host candidates (LiveKit's `rtc.node_ip`). */
  nodeIp?: string;
}

export type TransportRole = 'publisher' | 'subscriber';

export interface IceCandidateJson {
  candidate: string;
  sdpMid?: string | undefined;
  sdpMLineIndex?: number | undefined;
  usernameFragment?: string | undefined;
}

/** What a subscriber's bandwidth estimate reads: each RTP packet as it leaves, each RTCP packet that arrives. */
export interface MediaWatcher {
  rtpSent(transportSeq: number, bytes: number, atMs: number, kind: MediaKind): void;
  rtcp(packet: RtcpPacket): void;
  /** Whether a retransmission (an answer to a NACK) may go out now. */
  retransmissionAllowed(): boolean;
}

/** werift's RTP router (not exported): where RTCP finds the sender whose SSRC it names. */
interface RtpRouterInternals {
  ssrcTable: Record<number, unknown>;
  registerRtpSender(sender: RTCRtpSender): void;
}

interface TransportEvents {
  candidate: [IceCandidateJson];
  offer: [sdp: string, id: number];
  connected: [];
  failed: [];
}

// transport-cc lets the publisher's browser estimate its bandwidth and ramp up to its top layer.
/** werift keeps its NACK handler private; it is switched off from outside (see the constructor). */
interface WeriftNackHandler {
  nack: { addPacket(packet: RtpPacket): void };
}

const transportWideCcUri = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';
const absSendTimeUri = 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time';
const videoFeedback = () => [useNACK(), usePLI(), useREMB(), useTWCC()];

/** One codec table for both directions, so what a publisher sends a subscriber can always receive. */
export function supportedCodecs(): { audio: RTCRtpCodecParameters[]; video: RTCRtpCodecParameters[] } {
  const rtx = (apt: number, payloadType: number) =>
    new RTCRtpCodecParameters({
      mimeType: 'video/rtx',
      clockRate: 90000,
      payloadType,
      parameters: `apt=${apt}`,
    });
  return {
    // RED first (as LiveKit prefers it): a publisher sends Opus with copies of the frames before, which
    // werift's receiver unpacks (rebuilding a lost packet from the next one's copy); a subscriber of such a
    // track that accepts RED gets redundancy on its own hop too (werift's sender wraps the Opus again, never
    // across a pause: DownTrack).
    audio: [
      new RTCRtpCodecParameters({
        mimeType: 'audio/red',
        clockRate: 48000,
        channels: 2,
        payloadType: 63,
        parameters: '111/111',
      }),
      useOPUS({ payloadType: 111, parameters: 'minptime=10;useinbandfec=1' }),
    ],
    video: [
      useVP8({ payloadType: 96, rtcpFeedback: videoFeedback() }),
      rtx(96, 97),
      useH264({
        payloadType: 102,
        rtcpFeedback: videoFeedback(),
        parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
      }),
      rtx(102, 103),
      useH264({
        payloadType: 108,
        rtcpFeedback: videoFeedback(),
        parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
      }),
      rtx(108, 109),
      useVP9({ payloadType: 98, rtcpFeedback: videoFeedback(), parameters: 'profile-id=0' }),
      rtx(98, 99),
    ],
  };
}

function headerExtensions(): {
  audio: RTCRtpHeaderExtensionParameters[];
  video: RTCRtpHeaderExtensionParameters[];
} {
  return {
    // Audio levels: the publisher's own loudness per packet, for active speakers (sfu/audio-level).
    // transport-cc on audio too: a subscriber's bandwidth estimate must see all it receives; but not on
    // audio a client publishes (`withoutAudioCongestionControl`).
    audio: [useSdesMid(), useAbsSendTime(), useAudioLevelIndication(), useTransportWideCC()],
    video: [
      useSdesMid(),
      useSdesRTPStreamId(),
      useRepairedRtpStreamId(),
      useAbsSendTime(),
      useTransportWideCC(),
    ],
  };
}

/**
 * Audio a client publishes is answered without transport-cc and abs-send-time, as livekit-server answers
 * it. With them, an rtc-node camera's libwebrtc sent a 5 Mbit/s probe cluster (its default probe cap)
 * every 5–15 s once its estimate stood above that, and each probe's lower result cut the estimate by a
 * third or more; without them it sends none and its estimate stays where livekit-server's does (bench
 * publisher-uplink). Why the microphone's packets start those probes is libwebrtc's affair; video keeps
 * both extensions, audio the SFU sends too (a subscriber's estimate must see all it receives).
 */
function withoutAudioCongestionControl(transceivers: RTCRtpTransceiver[]): void {
  for (const transceiver of transceivers)
    if (transceiver.kind === 'audio' && transceiver.offerDirection === 'recvonly')
      transceiver.headerExtensions = transceiver.headerExtensions.filter(
        (e) => e.uri !== transportWideCcUri && e.uri !== absSendTimeUri,
      );
}

/**
 * One WebRTC peer connection with a participant. In LiveKit's dual-PC mode the client offers on the
 * publisher transport and the server offers on the subscriber transport; this class hides werift and
 * serialises negotiation so an offer is never created while another is outstanding.
 */
export class Transport extends EventEmitter<TransportEvents> {
  readonly pc: RTCPeerConnection;
  private offerId = 0;
  private negotiating = false;
  private renegotiate = false;
  private restartIceNext = false;
  private closed = false;
  private readonly twcc = new Map<RTCDtlsTransport, TwccResponder>();
  private watcher: MediaWatcher | undefined;
  private readonly watched = new Set<RTCDtlsTransport>();
  /** The transport-wide sequence number's extension id on what we send, once negotiated. */
  private outgoingTwccId: number | undefined;
  /** Our senders' SSRCs by kind, as `sentKind` last found them. */
  private readonly sentKinds = new Map<number, MediaKind>();

  constructor(
    readonly role: TransportRole,
    config: RtcConfig,
    private readonly log: Logger,
  ) {
    super();
    this.pc = new RTCPeerConnection({
      codecs: supportedCodecs(),
      headerExtensions: headerExtensions(),
      iceServers: [],
      iceUseIpv6: false,
      iceLite: false,
      bundlePolicy: 'max-bundle',
      // werift's NACK generator tracks one SSRC per receiver and misfires on simulcast; ours is per layer.
      debug: { disableSendNack: true },
      icePortRange: config.portRange,
      iceAdditionalHostAddresses: config.nodeIp ? [config.nodeIp] : undefined,
    });
    this.pc.onIceCandidate.subscribe(
      guard(
        'ice_gathering',
        log,
        (candidate: { candidate?: string; toJSON(): IceCandidateJson } | undefined) => {
          if (!candidate?.candidate) return;
          this.emit('candidate', candidate.toJSON());
        },
      ),
    );
    // werift's built-in TWCC feedback is per receiver and imprecise; TwccResponder replaces it. Its NACK
    // handler too: it follows one sequence space per receiver, so a simulcast track's three layers read as
    // gaps of hundreds of packets, NACKed every 5 ms — the publisher retransmitted what it never lost.
    // sfu/nack-generator asks per layer.
    this.pc.onTransceiverAdded.subscribe((transceiver) => {
      transceiver.receiver.setupTWCC = () => undefined;
      (transceiver.receiver as unknown as WeriftNackHandler).nack.addPacket = () => undefined;
    });
    this.pc.connectionStateChange.subscribe(
      guard('connection_state', log, (state: string) => {
        this.log.debug({ role, state }, 'transport state');
        if (state === 'connected') this.emit('connected');
        if (state === 'failed') this.emit('failed');
      }),
    );
  }

  /** The codecs this connection negotiates for one kind of media. */
  codecs(kind: 'audio' | 'video'): RTCRtpCodecParameters[] {
    return this.pc.config.codecs[kind] ?? [];
  }

  get connected(): boolean {
    return this.pc.connectionState === 'connected';
  }

  get failed(): boolean {
    return this.pc.connectionState === 'failed';
  }

  /** The client offered (publisher transport, or a subscriber answer round): answer it. */
  async handleOffer(sdp: string): Promise<string> {
    await this.applyRemote('offer', sdp);
    withoutAudioCongestionControl(this.pc.getTransceivers());
    this.startCongestionFeedback();
    // One connection (`/rtc/v1`): the client's offer negotiates what we send too.
    this.outgoingTwccId = undefined;
    this.watchDtls();
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    return this.pc.localDescription?.sdp ?? answer.sdp;
  }

  async handleAnswer(sdp: string, id: number): Promise<void> {
    if (this.pc.signalingState !== 'have-local-offer') {
      this.log.warn({ role: this.role, id }, 'answer without an outstanding offer ignored');
      return;
    }
    await this.applyRemote('answer', sdp);
    this.outgoingTwccId = undefined; // renegotiated: read it again from the senders
    this.negotiating = false;
    if (this.renegotiate) {
      this.renegotiate = false;
      void this.negotiate();
    }
  }

  async addIceCandidate(candidate: IceCandidateJson): Promise<void> {
    await this.pc.addIceCandidate(candidate).catch((error: Error) => {
      throw new SfuError('invalid_argument', `candidate refused: ${error.message}`);
    });
  }

  /** The client's description, which werift may refuse: that is the client's error, not ours. */
  private async applyRemote(type: 'offer' | 'answer', sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type, sdp }).catch((error: Error) => {
      throw new SfuError('invalid_argument', `${type} refused: ${error.message}`);
    });
  }

  /** Server-side offer (subscriber transport). Coalesces requests that arrive mid-negotiation. */
  async negotiate(options: { iceRestart?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    if (options.iceRestart) this.restartIceNext = true;
    if (this.negotiating) {
      this.renegotiate = true;
      return;
    }
    this.negotiating = true;
    try {
      const iceRestart = this.restartIceNext;
      this.restartIceNext = false;
      const offer = await this.pc.createOffer({ iceRestart });
      await this.pc.setLocalDescription(offer);
      this.watchDtls();
      this.offerId += 1;
      this.emit('offer', this.pc.localDescription?.sdp ?? offer.sdp, this.offerId);
    } catch (error) {
      this.negotiating = false;
      if (!this.closed) this.log.error({ err: error, role: this.role }, 'negotiation failed');
    }
  }

  /** A resumed client lost its answer: forget the outstanding offer so the next one goes out. */
  resetNegotiation(): void {
    this.negotiating = false;
  }

  /**
   * New SSRCs (media and RTX) for a sender that has sent nothing yet, registered with werift's router in
   * place of the old one so the subscriber's RTCP about them (NACK, PLI, receiver reports) still reaches
   * it; our next description names them. werift sets them once, when it makes the sender, and has no API
   * to change them: hence its router's internals, checked here so that a werift without them fails loudly.
   */
  renewSsrcs(sender: RTCRtpSender): void {
    const router = (this.pc as unknown as { router?: Partial<RtpRouterInternals> }).router;
    if (typeof router?.ssrcTable !== 'object' || typeof router.registerRtpSender !== 'function')
      throw new Error('werift changed: its peer connection has no RTP router to register a sender with');
    const table = router.ssrcTable;
    if (table[sender.ssrc] === sender) delete table[sender.ssrc];
    const taken = new Set(this.pc.getSenders().flatMap((s) => [s.ssrc, s.rtxSsrc]));
    const fresh = () => {
      let ssrc: number;
      do ssrc = randomBytes(4).readUInt32BE(0);
      while (ssrc === 0 || taken.has(ssrc) || table[ssrc] !== undefined);
      taken.add(ssrc);
      return ssrc;
    };
    // werift declares them read-only, but reads them afresh for every packet, report and description.
    const writable = sender as { ssrc: number; rtxSsrc: number };
    writable.ssrc = fresh();
    writable.rtxSsrc = fresh();
    router.registerRtpSender(sender);
  }

  /** Report what this connection sends and the RTCP it gets back (the subscriber's bandwidth estimate). */
  watchMedia(watcher: MediaWatcher): void {
    this.watcher = watcher;
    this.watchDtls();
  }

  /**
   * Every RTP packet a watched DTLS transport sends passes here with its transport-wide sequence number
   * (the header extension werift's senders stamp, negotiated where down tracks go so browsers send
   * transport-cc feedback). werift stamps each packet just before this call; its RTX retransmissions reuse
   * the original packet's extensions and so its number, and get a fresh one here, so that feedback reports
   * them apart and they count toward what the link carries — or are dropped while the link is congested:
   * answering every NACK of a link that already drops packets keeps it full (a NACK storm) and keeps the
   * lower layer's keyframe from getting through.
   */
  private watchDtls(): void {
    const watcher = this.watcher;
    if (!watcher) return;
    for (const dtls of this.pc.dtlsTransports) {
      if (this.watched.has(dtls)) continue;
      this.watched.add(dtls);
      const send = dtls.sendRtp.bind(dtls);
      dtls.sendRtp = (payload: Buffer, header: RtpHeader) => {
        const id = this.twccIdOnSenders();
        const extension = id === undefined ? undefined : header.extensions.find((e) => e.id === id);
        if (extension && extension.payload.length >= 2) {
          let seq = extension.payload.readUInt16BE(0);
          if (seq !== dtls.transportSequenceNumber) {
            if (!watcher.retransmissionAllowed()) return Promise.resolve(0);
            seq = uint16Add(dtls.transportSequenceNumber, 1);
            dtls.transportSequenceNumber = seq;
            header.extensions = header.extensions.map((e) =>
              e.id === id ? { id, payload: serializeTransportWideCC(seq) } : e,
            );
          }
          const bytes = header.serializeSize + payload.length + wireOverheadBytes;
          watcher.rtpSent(seq, bytes, performance.now(), this.sentKind(header.ssrc));
        }
        return send(payload, header);
      };
      dtls.onRtcp.subscribe(guard('bwe_rtcp', this.log, (packet: RtcpPacket) => watcher.rtcp(packet)));
    }
  }

  /** Whether one of our senders' SSRCs (media or RTX) carries sound or video (video if unknown). */
  private sentKind(ssrc: number): MediaKind {
    let kind = this.sentKinds.get(ssrc);
    if (kind === undefined) {
      for (const transceiver of this.pc.getTransceivers())
        for (const known of [transceiver.sender.ssrc, transceiver.sender.rtxSsrc])
          this.sentKinds.set(known, transceiver.kind === 'audio' ? 'audio' : 'video');
      kind = this.sentKinds.get(ssrc) ?? 'video';
      this.sentKinds.set(ssrc, kind); // an unknown one is not looked for again on every packet
    }
    return kind;
  }

  /**
   * Senders stamp the extensions negotiated for their section — in the answer to our offer, or (one
   * connection) in the client's offer we answered; werift's extIdUriMap holds what was offered.
   */
  private twccIdOnSenders(): number | undefined {
    if (this.outgoingTwccId !== undefined) return this.outgoingTwccId;
    for (const transceiver of this.pc.getTransceivers()) {
      const extensions = (
        transceiver.sender as unknown as { headerExtensions?: RTCRtpHeaderExtensionParameters[] }
      ).headerExtensions;
      const twcc = extensions?.find((e) => e.uri === transportWideCcUri);
      if (twcc) this.outgoingTwccId = twcc.id;
      if (twcc) break;
    }
    return this.outgoingTwccId;
  }

  /** One TWCC responder per DTLS transport (bundled: one per connection) that carries media to us. */
  private startCongestionFeedback(): void {
    for (const dtls of this.pc.dtlsTransports) {
      if (this.twcc.has(dtls)) continue;
      const responder = new TwccResponder(dtls, () => this.extensionIds(), randomBytes(4).readUInt32BE(0));
      dtls.onRtp.subscribe(guard('twcc_rtp', this.log, (packet: RtpPacket) => responder.onRtp(packet)));
      this.twcc.set(dtls, responder);
    }
  }

  /** Negotiated ids of the header extensions congestion feedback reads. */
  private extensionIds(): { twcc?: number; absSendTime?: number } {
    const ids: { twcc?: number; absSendTime?: number } = {};
    for (const [id, uri] of Object.entries(this.pc.extIdUriMap)) {
      if (uri === transportWideCcUri) ids.twcc = Number(id);
      if (uri === absSendTimeUri) ids.absSendTime = Number(id);
    }
    return ids;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const responder of this.twcc.values()) responder.close();
    this.removeAllListeners();
    await this.pc.close().catch(() => undefined);
  }
}
