import { AddTrackRequest, TrackSource, TrackType, VideoLayer, VideoQuality } from '@livekit/protocol';
import sdpTransform, { type MediaDescription } from 'sdp-transform';
import { isCodecCompatible, RTCRtpCodecParameters } from 'werift';
import { SfuError } from '../errors.js';

type Codecs = { audio: RTCRtpCodecParameters[]; video: RTCRtpCodecParameters[] };

/** A WHIP offer's media sections that send (audio or video), after the checks of `readWhipOffer`. */
export interface WhipOffer {
  /** The offer as it is answered: each sending section keeps only its chosen codec (and that codec's RTX). */
  sdp: string;
  media: MediaDescription[];
}

const sends = (m: MediaDescription) =>
  (m.type === 'audio' || m.type === 'video') &&
  m.port !== 0 &&
  m.direction !== 'recvonly' &&
  m.direction !== 'inactive';

/**
 * Checks a WHIP client's offer before anyone joins, so a bad one changes nothing: it must parse as SDP
 * (`v=0`, ICE credentials, a DTLS fingerprint) and send at least one audio or video section, each in a
 * codec this SFU forwards (werift's own compatibility rule against our codec table, so H.264 profiles
 * are matched as the negotiation will match them). Each section keeps only the first codec it lists that
 * we forward: an encoder lists what it means to send first, and werift would answer in the order of
 * our codec table instead (livekit-server answers in the offerer's order).
 */
export function readWhipOffer(sdp: string, supported: Codecs): WhipOffer {
  if (!/^v=0\r?\n/.test(sdp)) throw new SfuError('malformed', 'malformed SDP offer: it must start with v=0');
  let parsed: sdpTransform.SessionDescription;
  try {
    parsed = sdpTransform.parse(sdp);
  } catch (error) {
    throw new SfuError('malformed', `malformed SDP offer: ${(error as Error).message}`);
  }
  const media = (parsed.media ?? []).filter(sends);
  if (media.length === 0) throw new SfuError('malformed', 'malformed SDP offer: no audio or video to send');
  for (const m of media) {
    if (!(m.iceUfrag ?? parsed.iceUfrag) || !(m.icePwd ?? parsed.icePwd))
      throw new SfuError('malformed', `malformed SDP offer: ${m.type} section without ICE credentials`);
    if (!(m.fingerprint ?? parsed.fingerprint))
      throw new SfuError('malformed', `malformed SDP offer: ${m.type} section without a DTLS fingerprint`);
    const kind = m.type as 'audio' | 'video';
    const offered = (m.rtp ?? []).map(
      (rtp) =>
        new RTCRtpCodecParameters({
          mimeType: `${kind}/${rtp.codec}`,
          clockRate: rtp.rate ?? 0,
          channels: rtp.encoding ? Number(rtp.encoding) : undefined,
          payloadType: rtp.payload,
          parameters: m.fmtp?.find((f) => f.payload === rtp.payload)?.config,
        }),
    );
    const primary = offered.filter((c) => !/\/(rtx|red|ulpfec|flexfec-03)$/i.test(c.mimeType));
    const chosen =
      primary.find((codec) => supported[kind].some((ours) => isCodecCompatible(codec, ours))) ??
      primary.find((codec) => asOurH264(m, codec, supported[kind]));
    if (!chosen) {
      const names = primary.map((c) => `${c.mimeType}${c.parameters ? ` (${c.parameters})` : ''}`);
      const ours = supported[kind]
        .filter((c) => !c.mimeType.endsWith('/rtx'))
        .map((c) => `${c.mimeType}${c.parameters ? ` (${c.parameters})` : ''}`);
      throw new SfuError(
        'invalid_argument',
        `unsupported codec: the ${kind} section offers ${names.join(', ') || 'no codec'}; supported: ${[...new Set(ours)].join(', ')}`,
      );
    }
    keepOnly(m, chosen.payloadType);
  }
  return { sdp: sdpTransform.write(parsed), media };
}

const fmtpValue = (codec: RTCRtpCodecParameters, name: string) =>
  new RegExp(`(?:^|;)\\s*${name}=([^;]*)`, 'i')
    .exec(codec.parameters ?? '')?.[1]
    ?.trim()
    .toLowerCase();

/**
 * An H.264 profile-level-id's profile, without its level (RFC 6184 §8.1, Table 5): Baseline with
 * constraint_set1 is Constrained Baseline however the other flags are set (x264 writes 42c0, browsers 42e0).
 * Hand-read: the rule is these lines, and werift's match compares the whole id, level included.
 */
function h264Profile(profileLevelId: string | undefined): string | undefined {
  if (!profileLevelId || !/^[0-9a-f]{6}$/.test(profileLevelId)) return undefined;
  const iop = Number.parseInt(profileLevelId.slice(2, 4), 16);
  return profileLevelId.startsWith('42') && iop & 0x40 ? 'constrained-baseline' : profileLevelId.slice(0, 4);
}

/**
 * An offered H.264 that werift's exact rule refuses but that is one of ours at another level or with other
 * constraint flags (GStreamer's x264 offers 42c01f, a 4K encoder level 5.1): livekit-server takes it, so
 * we do, and the section then names our profile-level-id, which werift negotiates (the SFU forwards, never decodes).
 */
function asOurH264(
  m: MediaDescription,
  codec: RTCRtpCodecParameters,
  ours: RTCRtpCodecParameters[],
): boolean {
  if (codec.mimeType.toLowerCase() !== 'video/h264') return false;
  const profile = h264Profile(fmtpValue(codec, 'profile-level-id'));
  const match = ours.find(
    (c) =>
      c.mimeType.toLowerCase() === 'video/h264' &&
      fmtpValue(c, 'packetization-mode') === fmtpValue(codec, 'packetization-mode') &&
      profile !== undefined &&
      h264Profile(fmtpValue(c, 'profile-level-id')) === profile,
  );
  const fmtp = m.fmtp?.find((f) => f.payload === codec.payloadType);
  if (!match || !fmtp) return false;
  fmtp.config = fmtp.config.replace(
    /profile-level-id=[0-9a-f]{6}/i,
    `profile-level-id=${fmtpValue(match, 'profile-level-id')}`,
  );
  return true;
}

/** Drops every codec of a section but `payload` and the RTX that repairs it. */
function keepOnly(m: MediaDescription, payload: number): void {
  const rtx = m.fmtp?.find((f) => f.config.split(';').includes(`apt=${payload}`))?.payload;
  const kept = new Set([payload, ...(rtx === undefined ? [] : [rtx])]);
  m.rtp = m.rtp.filter((r) => kept.has(r.payload));
  m.fmtp = m.fmtp.filter((f) => kept.has(f.payload));
  if (m.rtcpFb) m.rtcpFb = m.rtcpFb.filter((f) => f.payload === '*' || kept.has(Number(f.payload)));
  m.payloads = [...kept].join(' ');
}

/** The rids a section sends, in the order of its `a=simulcast:send` line (`~` marks a paused one). */
function sendRids(m: MediaDescription): string[] {
  const list =
    m.simulcast?.dir1 === 'send'
      ? m.simulcast.list1
      : m.simulcast?.dir2 === 'send'
        ? m.simulcast.list2
        : undefined;
  const rids = list?.split(';').flatMap((alternatives) => alternatives.split(',')[0] ?? []) ?? [];
  if (rids.length > 0) return rids.map((rid) => rid.replace(/^~/, ''));
  return (m.rids ?? []).filter((r) => r.direction === 'send').map((r) => String(r.id));
}

/**
 * A WHIP client sends no AddTrackRequest: one per sending section, as LiveKit synthesizes them (a
 * microphone, a camera whose simulcast rids, in their offered order, become the low, medium and high
 * layers; a camera without rids has one layer), with the section's msid track id as client id.
 */
export function whipTrackRequests(offer: WhipOffer): AddTrackRequest[] {
  return offer.media.map((m) => {
    const cid =
      (m as { msid?: Array<{ appdata?: string }> }).msid?.find((e) => e.appdata)?.appdata ?? `whip-${m.mid}`;
    if (m.type === 'audio') {
      return new AddTrackRequest({
        cid,
        name: 'synthesized-microphone',
        type: TrackType.AUDIO,
        source: TrackSource.MICROPHONE,
        disableDtx: true,
        stream: 'camera',
      });
    }
    const rids = sendRids(m).slice(0, 3);
    const layers =
      rids.length > 1
        ? rids.map((rid, i) => new VideoLayer({ quality: i as VideoQuality, rid }))
        : [new VideoLayer({ quality: VideoQuality.HIGH })];
    return new AddTrackRequest({
      cid,
      name: 'synthesized-camera',
      type: TrackType.VIDEO,
      source: TrackSource.CAMERA,
      stream: 'camera',
      layers,
    });
  });
}

/** A trickle PATCH's body (RFC 8840 `application/trickle-ice-sdpfrag`), after the checks of `readTrickleFragment`. */
export interface TrickleFragment {
  /** The ICE credentials it names, if any (the session's own, or new ones for an ICE restart). */
  ufrag?: string;
  pwd?: string;
  /** Each `a=candidate` line (without `a=`), with the `a=mid` of its section. */
  candidates: { candidate: string; sdpMid?: string }[];
}

/** RFC 8839 §5.1's candidate-attribute, to its `typ`: what werift needs to use a candidate. */
const candidateLine =
  /^candidate:\S{1,32} \d{1,3} (udp|tcp) \d{1,10} \S+ \d{1,5} typ (host|srflx|prflx|relay)( .*)?$/i;

/**
 * Checks a trickle fragment whole before any of it is used, so a malformed one changes nothing: every
 * line an SDP line, every candidate well-formed, and at least one candidate or `a=end-of-candidates`.
 * Hand-read: the grammar is five attributes, and sdp-transform skips lines it cannot parse silently.
 */
export function readTrickleFragment(text: string): TrickleFragment {
  const fragment: TrickleFragment = { candidates: [] };
  let mid: string | undefined;
  let ended = false;
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    if (line === '') continue;
    if (!/^[a-z]=/.test(line))
      throw new SfuError('malformed', `malformed SDP fragment: line ${index + 1} is not an SDP line`);
    if (line.startsWith('m=')) mid = undefined;
    else if (line.startsWith('a=mid:')) mid = line.slice('a=mid:'.length).trim();
    else if (line.startsWith('a=ice-ufrag:')) fragment.ufrag = line.slice('a=ice-ufrag:'.length).trim();
    else if (line.startsWith('a=ice-pwd:')) fragment.pwd = line.slice('a=ice-pwd:'.length).trim();
    else if (line.startsWith('a=end-of-candidates')) ended = true;
    else if (line.startsWith('a=candidate:')) {
      const candidate = line.slice(2).trim();
      if (!candidateLine.test(candidate))
        throw new SfuError('malformed', `malformed SDP fragment: invalid candidate on line ${index + 1}`);
      fragment.candidates.push({ candidate, sdpMid: mid });
    }
  }
  if (fragment.candidates.length === 0 && !ended)
    throw new SfuError('malformed', 'malformed SDP fragment: no candidate and no end-of-candidates');
  return fragment;
}
