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

/** Offer only the codec the publisher actually sends (and its RTX), so the subscriber cannot pick another. */
export function preferCodec(
  transceiver: RTCRtpTransceiver,
  codecs: RTCRtpCodecParameters[],
  mimeType: string,
): void {
  const primary = codecs.filter((c) => c.mimeType.toLowerCase() === mimeType.toLowerCase());
  if (primary.length === 0) return;
  const rtx = codecs.filter(
    (c) =>
      c.mimeType.toLowerCase().endsWith('/rtx') &&
      primary.some((p) => c.parameters === `apt=${p.payloadType}`),
  );
  transceiver.setCodecPreferences([...primary, ...rtx]);
}

/**
 * The publisher answer's Opus settings per audio track, as LiveKit writes them: DTX unless the track
 * asked for none, stereo where it asked for it. A browser's encoder follows what the answer says.
 */
export function configureAudioAnswer(sdp: string, featuresByMid: Map<string, AudioTrackFeature[]>): string {
  if (featuresByMid.size === 0) return sdp;
  const parsed = sdpTransform.parse(sdp);
  for (const media of parsed.media) {
    const features =
      media.type === 'audio' && media.mid !== undefined && featuresByMid.get(String(media.mid));
    if (!features || media.direction === 'inactive') continue;
    const opus = media.rtp.find((rtp) => rtp.codec.toLowerCase() === 'opus');
    const fmtp = opus && media.fmtp.find((f) => f.payload === opus.payload);
    if (!fmtp) continue;
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
