// Which RTP header extensions the SFU answers per media section (/rtc/v1: one connection, the client
// offers both ways). The microphone a client publishes is answered without transport-cc and abs-send-time,
// as livekit-server answers it — with them a camera's libwebrtc kept probing at 5 Mbit/s and cutting its
// own estimate (bench publisher-uplink). Audio the SFU sends keeps them (a subscriber's estimate must see
// all it receives), and so does video either way.
import sdpTransform from 'sdp-transform';
import { afterAll, describe, expect, it } from 'vitest';
import {
  RTCPeerConnection,
  RTCRtpCodecParameters,
  useAbsSendTime,
  useAudioLevelIndication,
  useSdesMid,
  useTransportWideCC,
} from 'werift';
import { createLogger } from '../src/logging.js';
import { Transport } from '../src/rtc/transport.js';

const twcc = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';
const absSendTime = 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time';

describe('header extensions in the answer', () => {
  const client = new RTCPeerConnection({
    codecs: {
      audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 })],
      video: [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000 })],
    },
    headerExtensions: {
      audio: [useSdesMid(), useAbsSendTime(), useAudioLevelIndication(), useTransportWideCC()],
      video: [useSdesMid(), useAbsSendTime(), useTransportWideCC()],
    },
  });
  const sfu = new Transport('publisher', {}, createLogger('silent'));
  afterAll(async () => {
    await client.close();
    await sfu.close();
  });

  it('leaves transport-cc and abs-send-time off audio a client publishes, and only there', async () => {
    client.addTransceiver('audio', { direction: 'sendonly' }); // the microphone
    client.addTransceiver('audio', { direction: 'recvonly' }); // someone else's voice
    client.addTransceiver('video', { direction: 'sendonly' }); // the camera
    client.addTransceiver('video', { direction: 'recvonly' });
    await client.setLocalDescription(await client.createOffer());
    const answer = sdpTransform.parse(await sfu.handleOffer(client.localDescription!.sdp));
    const uris = answer.media.map((m) => ({
      kind: m.type,
      direction: m.direction,
      uris: (m.ext ?? []).map((e) => e.uri),
    }));
    // A section offered to receive on, with nothing bound to it yet, is answered inactive.
    expect(uris.map(({ kind, direction }) => `${kind} ${direction}`)).toEqual([
      'audio recvonly',
      'audio inactive',
      'video recvonly',
      'video inactive',
    ]);
    const [microphone, voice, camera, video] = uris;
    expect(microphone!.uris).not.toContain(twcc);
    expect(microphone!.uris).not.toContain(absSendTime);
    expect(microphone!.uris).toContain('urn:ietf:params:rtp-hdrext:ssrc-audio-level'); // active speakers
    for (const section of [voice!, camera!, video!])
      expect(section.uris).toEqual(expect.arrayContaining([twcc, absSendTime]));
  });
});
