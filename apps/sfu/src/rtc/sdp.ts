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
