import { type RemoteTrack, type Room, RoomEvent, TrackKind, VideoStream } from '@livekit/rtc-node';

/** What a room has decoded of one participant's video so far. */
export interface FrameCounter {
  frames: number;
  /** The width of the latest frame (0 before the first). */
  width: number;
}

/**
 * Counts the video frames a room decodes from `identity` (every video track it subscribes to of that
 * participant), live: attach before connecting, read the counter whenever.
 */
export function countVideoFrames(room: Room, identity: string): FrameCounter {
  const counter: FrameCounter = { frames: 0, width: 0 };
  room.on(RoomEvent.TrackSubscribed, (track: RemoteTrack, _publication, participant) => {
    if (track.kind !== TrackKind.KIND_VIDEO || participant.identity !== identity) return;
    void (async () => {
      const reader = new VideoStream(track).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        counter.frames++;
        counter.width = value.frame.width;
      }
    })();
  });
  return counter;
}
