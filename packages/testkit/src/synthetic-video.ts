import { randomFillSync } from 'node:crypto';
import {
  LocalVideoTrack,
  type Room,
  TrackPublishOptions,
  TrackSource,
  VideoBufferType,
  VideoFrame,
  VideoSource,
} from '@livekit/rtc-node';

/**
 * Publishes a synthetic camera from an @livekit/rtc-node room and keeps feeding it frames: flat, or with
 * `noise` (0–1) of its rows fresh random pixels every frame, which the encoder cannot compress, so it runs
 * at its full bitrate. `simulcast` publishes rtc-node's three layers. Resolves to a stop function; rejects if
 * the SFU refuses the publication.
 */
export async function publishSyntheticVideo(
  room: Room,
  { width = 160, height = 90, fps = 10, shade = 128, simulcast = false, noise = 0 } = {},
): Promise<() => void> {
  const source = new VideoSource(width, height);
  await room.localParticipant!.publishTrack(
    LocalVideoTrack.createVideoTrack('camera', source),
    new TrackPublishOptions({ source: TrackSource.SOURCE_CAMERA, simulcast }),
  );
  const frame = new Uint8Array(width * height * 4).fill(shade);
  const noisy = Math.floor(height * noise) * width * 4;
  const timer = setInterval(() => {
    if (noisy > 0) randomFillSync(frame, frame.length - noisy, noisy);
    source.captureFrame(new VideoFrame(frame, width, height, VideoBufferType.RGBA));
  }, 1000 / fps);
  return () => clearInterval(timer);
}
