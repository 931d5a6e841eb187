import type { RemoteTrackPublication } from '@livekit/rtc-node';

const qualities = { low: 0, medium: 1, high: 2 } as const;

/**
 * Asks the SFU for one simulcast layer of a subscribed track, as livekit-client's setVideoQuality does.
 * @livekit/rtc-node 1.x does not expose this yet, but the Rust SDK under it does
 * (`SetRemoteTrackPublicationQualityRequest`, sent as an UpdateTrackSettings), so we send that request
 * through rtc-node's own FFI client: the real SDK and the real signalling, no stand-in.
 */
export function setVideoQuality(publication: RemoteTrackPublication, quality: keyof typeof qualities): void {
  const ffi = globalThis._ffiClientInstance;
  if (!ffi) throw new Error('rtc-node is not initialised (no FFI client); connect a Room first');
  ffi.request({
    message: {
      case: 'setRemoteTrackPublicationQuality',
      value: { trackPublicationHandle: publication.ffiHandle.handle, quality: qualities[quality] },
    },
  });
}
