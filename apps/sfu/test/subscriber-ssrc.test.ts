// `/rtc/v1` (one peer connection, the client offers): a track bound to a media section the client offered
// ahead goes out under SSRCs the client first sees together with the track's media stream (a=msid).
// Chromium makes a receive stream when it first sees an SSRC and never moves it into a stream's sync group
// later, so a subscriber's camera and microphone bound to such sections played out of step (#21, bench
// lip-sync). The subscriber here is werift speaking LiveKit's signalling as livekit-client does on
// `/rtc/v1`; the publisher is @livekit/rtc-node; media and a NACK must still flow under the new SSRCs.
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
import { Room } from '@livekit/rtc-node';
import { participantToken, publishSyntheticVideo, publishTone, waitFor } from '@scenecast/testkit';
import sdpTransform from 'sdp-transform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GenericNack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtcpTransportLayerFeedback,
  type RtpPacket,
  useNACK,
  usePLI,
  useSdesMid,
} from 'werift';
import WebSocket from 'ws';
import { type RunningSfu, startSfu } from '../src/index.js';

/** What one of the SFU's answers says about one media section. */
interface AnsweredSection {
  kind: string;
  direction: string;
  ssrcs: number[];
  /** The FID group: [media, RTX]. */
  rtx: [number, number] | undefined;
  msid: boolean;
}

function sections(sdp: string): AnsweredSection[] {
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

/**
 * A `/rtc/v1` subscriber as livekit-client is one: its first offer (in the join) already has receive
 * sections, three of each kind (livekit-client 2.x's `applyInitialPublisherLayout`), more come when the SFU asks for them (MediaSectionsRequirement), and it offers again
 * whenever the SFU asks. Keeps every answer and, per SSRC, the sequence numbers that arrived (for RTX: the
 * original sequence number each retransmission carries).
 */
class V1Subscriber {
  readonly pc = new RTCPeerConnection({
    codecs: {
      audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 })],
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
  readonly answers: AnsweredSection[][] = [];
  readonly arrived = new Map<number, number[]>();
  private socket: WebSocket | undefined;
  private offerId = 0;
  private offerAgain = false;
  private queue = Promise.resolve();
  error: unknown;

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

let sfu: RunningSfu;
const closers: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  sfu = await startSfu({ port: 0 });
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await sfu?.close();
});

describe('a subscriber on one peer connection', () => {
  it('first sees a bound section’s SSRCs with its media stream, and gets media and a NACK’s answer under them', async () => {
    const roomName = 'v1-ssrc';
    const viewer = new V1Subscriber();
    closers.push(() => viewer.close());
    await viewer.join(sfu.url, await participantToken(roomName, 'viewer', { canPublish: false }));
    // The first answer: the sections offered ahead, with nothing to carry yet.
    const first = await waitFor(() => viewer.answers[0], { what: 'the answer to the offer in the join' });
    expect(first.filter((s) => s.kind !== 'application' && s.direction === 'inactive')).toHaveLength(6);

    const publisher = new Room();
    closers.push(() => publisher.disconnect());
    await publisher.connect(sfu.url, await participantToken(roomName, 'studio'));
    const stopTone = await publishTone(publisher, { hz: 440 });
    const stopVideo = await publishSyntheticVideo(publisher, { fps: 30 });
    closers.push(stopTone, stopVideo);

    // Both tracks bound to the sections offered ahead: a later answer sends on them, with their stream.
    const bound = await waitFor(
      () => {
        const sending = viewer.answers.at(-1)?.filter((s) => s.direction === 'sendonly' && s.msid);
        return sending?.length === 2 && sending;
      },
      { what: 'an answer sending audio and video with their media stream' },
    );
    expect(viewer.error).toBeUndefined();
    expect(bound.map((s) => s.kind).sort()).toEqual(['audio', 'video']);
    const video = bound.find((s) => s.kind === 'video')!;
    expect(video.rtx, 'the video section names its RTX SSRC').toBeDefined();

    // No SSRC the client was told of without a stream is the one that later carries the stream.
    const withoutStream = new Set(
      viewer.answers.flatMap((answer) => answer.filter((s) => !s.msid).flatMap((s) => s.ssrcs)),
    );
    for (const section of bound)
      for (const ssrc of section.ssrcs)
        expect(withoutStream.has(ssrc), `${section.kind} SSRC ${ssrc} was named before its msid`).toBe(false);

    // The media arrives under them…
    const [mediaSsrc, rtxSsrc] = video.rtx!;
    const audioSsrc = bound.find((s) => s.kind === 'audio')!.ssrcs[0]!;
    await waitFor(
      () =>
        (viewer.arrived.get(audioSsrc)?.length ?? 0) >= 50 &&
        (viewer.arrived.get(mediaSsrc)?.length ?? 0) >= 60,
      { what: 'audio and video packets under the answered SSRCs', timeoutMs: 30_000 },
    );
    // …and RTCP about them reaches their sender: a NACK for a packet well behind the newest (beyond what a
    // bandwidth probe resends) comes back on the RTX SSRC.
    const seqs = viewer.arrived.get(mediaSsrc)!;
    const nacked = seqs[seqs.length - 50]!;
    await viewer.nack(mediaSsrc, nacked);
    await waitFor(() => viewer.arrived.get(rtxSsrc)?.includes(nacked), {
      what: `the retransmission of ${nacked} on RTX SSRC ${rtxSsrc}`,
      timeoutMs: 5_000,
    });
  });
});
