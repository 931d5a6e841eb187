import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';

/** The ICE credentials of `trickleOffer`: its fragments name them, and the engine's checks carry the ufrag. */
const trickleOfferIce = { ufrag: 'scenecasttrickle', pwd: 'scenecasttricklepassword00' };

/**
 * A complete WHIP offer sending one VP8 camera and no candidates (every one is trickled): a session to
 * PATCH, not to publish from (no DTLS follows; the engine drops it when it never connects).
 */
export const trickleOffer = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'c=IN IP4 0.0.0.0',
  'a=mid:0',
  'a=sendonly',
  'a=rtcp-mux',
  `a=ice-ufrag:${trickleOfferIce.ufrag}`,
  `a=ice-pwd:${trickleOfferIce.pwd}`,
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99',
  'a=setup:actpass',
  'a=msid:encoder camera',
  'a=rtpmap:96 VP8/90000',
  'a=ssrc:1111 cname:encoder',
  '',
].join('\r\n');

/** An RFC 8840 trickle fragment for `trickleOffer`'s section: the candidates, under the given credentials. */
export function trickleFragment(candidates: string[], ice = trickleOfferIce): string {
  return [
    `a=ice-ufrag:${ice.ufrag}`,
    `a=ice-pwd:${ice.pwd}`,
    'm=video 9 UDP/TLS/RTP/SAVPF 96',
    'a=mid:0',
    ...candidates.map((c) => `a=${c}`),
    '',
  ].join('\r\n');
}

export interface CandidateListener {
  /** The candidate attribute (without `a=`) of this socket, to trickle. */
  candidate: string;
  /** STUN binding requests for `trickleOffer`'s session received so far: the engine checks the candidate. */
  checks: number;
  close(): void;
}

/**
 * A UDP socket on loopback standing in for an encoder's host candidate: counts the ICE connectivity checks
 * (STUN binding requests whose USERNAME starts `trickleOffer`'s ufrag, RFC 8445 §7.2.2) the engine sends
 * it, which it can only do once the trickled candidate reached the session.
 */
export async function listenForChecks(): Promise<CandidateListener> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = (socket.address() as AddressInfo).port;
  const username = Buffer.from(`${trickleOfferIce.ufrag}:`);
  const listener: CandidateListener = {
    candidate: `candidate:1 1 udp 2130706431 127.0.0.1 ${port} typ host`,
    checks: 0,
    close: () => socket.close(),
  };
  socket.on('message', (message) => {
    if (message.readUInt16BE(0) === 0x0001 && message.includes(username)) listener.checks += 1;
  });
  return listener;
}

/** A trickle PATCH of a WHIP session, with `bearer` (an access token, or a stream key) and extra headers. */
export function patchWhipSession(
  resource: string,
  bearer: string,
  fragment: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(resource, {
    method: 'PATCH',
    headers: {
      'content-type': 'application/trickle-ice-sdpfrag',
      authorization: `Bearer ${bearer}`,
      ...headers,
    },
    body: fragment,
  });
}
