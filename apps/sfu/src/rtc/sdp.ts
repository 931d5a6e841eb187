import { AudioTrackFeature } from '@livekit/protocol';
import sdpTransform from 'sdp-transform';
import type { RTCRtpCodecParameters, RTCRtpTransceiver } from 'werift';

/**
 * `a=msid:<stream> <track>` per m-section of a publisher's offer, by mid: LiveKit clients use the track
 * id as AddTrackRequest.cid, which is how arriving media finds the track it belongs to.
 */
export function msidsByMid(sdp: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const media of sdpTransform.parse(sdp).media) {
    // sdp-transform yields `msid` as a list of { id, appdata } (appdata is the track id).
    const msid = (media as { msid?: Array<{ id: string; appdata?: string }> }).msid;
    const trackId =
      msid?.find((entry) => entry.appdata)?.appdata ??
      media.ssrcs?.find((s) => s.attribute === 'msid')?.value?.split(' ')[1];
    if (media.mid !== undefined && trackId) result.set(String(media.mid), trackId);
  }
  return result;
}

/**
 * Negotiate only these codecs, in this order (and their RTX): a subscriber gets the codec the publisher
 * actually sends, a publisher that asked for no RED gets none.
 */
export function preferCodec(
  transceiver: RTCRtpTransceiver,
  codecs: RTCRtpCodecParameters[],
  mimeTypes: string[],
): void {
  const primary = mimeTypes.flatMap((mime) =>
    codecs.filter((c) => c.mimeType.toLowerCase() === mime.toLowerCase()),
  );
  if (primary.length === 0) return;
  const rtx = codecs.filter(
    (c) =>
      c.mimeType.toLowerCase().endsWith('/rtx') &&
      primary.some((p) => c.parameters === `apt=${p.payloadType}`),
  );
  transceiver.setCodecPreferences([...primary, ...rtx]);
}

/** What a published audio track asked for: its features (DTX off, stereo) and whether it takes RED. */
export interface AudioSettings {
  features: AudioTrackFeature[];
  red: boolean;
}

/**
 * The publisher answer's audio settings per track, as LiveKit writes them: DTX unless the track asked
 * for none, stereo where it asked for it, and no RED where it asked for none (a browser sends the first
 * codec of the answer, and werift's answer puts RED first wherever the offer has it).
 */
export function configureAudioAnswer(sdp: string, settingsByMid: Map<string, AudioSettings>): string {
  if (settingsByMid.size === 0) return sdp;
  const parsed = sdpTransform.parse(sdp);
  for (const media of parsed.media) {
    const settings =
      media.type === 'audio' && media.mid !== undefined && settingsByMid.get(String(media.mid));
    if (!settings || media.direction === 'inactive') continue;
    if (!settings.red) dropCodec(media, 'red');
    const opus = media.rtp.find((rtp) => rtp.codec.toLowerCase() === 'opus');
    const fmtp = opus && media.fmtp.find((f) => f.payload === opus.payload);
    if (!fmtp) continue;
    const features = settings.features;
    const params = new Map(
      fmtp.config
        .split(';')
        .filter(Boolean)
        .map((pair) => pair.split('=') as [string, string]),
    );
    if (features.includes(AudioTrackFeature.TF_NO_DTX)) params.delete('usedtx');
    else params.set('usedtx', '1');
    if (features.includes(AudioTrackFeature.TF_STEREO)) {
      params.set('stereo', '1');
      params.set('maxaveragebitrate', '510000');
    } else params.delete('stereo');
    fmtp.config = [...params].map(([key, value]) => `${key}=${value}`).join(';');
  }
  return sdpTransform.write(parsed);
}

/** Removes a codec (by name) from one m-section: its payload type, rtpmap, fmtp and feedback lines. */
function dropCodec(media: sdpTransform.MediaDescription, name: string): void {
  const dropped = new Set(media.rtp.filter((r) => r.codec.toLowerCase() === name).map((r) => r.payload));
  if (dropped.size === 0) return;
  media.rtp = media.rtp.filter((r) => !dropped.has(r.payload));
  media.fmtp = media.fmtp.filter((f) => !dropped.has(f.payload));
  if (media.rtcpFb) media.rtcpFb = media.rtcpFb.filter((f) => !dropped.has(Number(f.payload)));
  media.payloads = String(media.payloads ?? '')
    .split(' ')
    .filter((pt) => pt && !dropped.has(Number(pt)))
    .join(' ');
}
