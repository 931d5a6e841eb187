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
 * Publishes a flat synthetic camera from an @livekit/rtc-node room and keeps feeding it frames.
 * Resolves to a stop function; rejects if the SFU refuses the publication.
 */
export async function publishSyntheticVideo(
  room: Room,
  { width = 160, height = 90, fps = 10, shade = 128 } = {},
): Promise<() => void> {
  const source = new VideoSource(width, height);
  await room.localParticipant!.publishTrack(
    LocalVideoTrack.createVideoTrack('camera', source),
    new TrackPublishOptions({ source: TrackSource.SOURCE_CAMERA }),
  );
  const frame = new Uint8Array(width * height * 4).fill(shade);
  const timer = setInterval(
    () => source.captureFrame(new VideoFrame(frame, width, height, VideoBufferType.RGBA)),
    1000 / fps,
  );
  return () => clearInterval(timer);
}
