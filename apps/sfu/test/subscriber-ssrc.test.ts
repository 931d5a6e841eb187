// `/rtc/v1` (one peer connection, the client offers): a track bound to a media section the client offered
// ahead goes out under SSRCs the client first sees together with the track's media stream (a=msid).
// Chromium makes a receive stream when it first sees an SSRC and never moves it into a stream's sync group
// later, so a subscriber's camera and microphone bound to such sections played out of step (#21, bench
// lip-sync). The subscriber here is werift speaking LiveKit's signalling as livekit-client does on
// `/rtc/v1`; the publisher is @livekit/rtc-node; media and a NACK must still flow under the new SSRCs.
import { Room } from '@livekit/rtc-node';
import { participantToken, publishSyntheticVideo, publishTone, waitFor } from '@scenecast/testkit';
import { describe, expect, it } from 'vitest';
import { sfuForFile } from './sfu-fixture.js';
import { V1Subscriber } from './v1-subscriber.js';

const fixture = sfuForFile();

describe('a subscriber on one peer connection', () => {
  it('first sees a bound section’s SSRCs with its media stream, and gets media and a NACK’s answer under them', async () => {
    const roomName = 'v1-ssrc';
    const viewer = new V1Subscriber();
    fixture.closing(() => viewer.close());
    await viewer.join(fixture.sfu.url, await participantToken(roomName, 'viewer', { canPublish: false }));
    // The first answer: the sections offered ahead, with nothing to carry yet.
    const first = await waitFor(() => viewer.answers[0], { what: 'the answer to the offer in the join' });
    expect(first.filter((s) => s.kind !== 'application' && s.direction === 'inactive')).toHaveLength(6);

    const publisher = new Room();
    fixture.closing(() => publisher.disconnect());
    await publisher.connect(fixture.sfu.url, await participantToken(roomName, 'studio'));
    const stopTone = await publishTone(publisher, { hz: 440 });
    const stopVideo = await publishSyntheticVideo(publisher, { fps: 30 });
    fixture.closing(stopTone);
    fixture.closing(stopVideo);

    // Both tracks bound to the sections offered ahead: a later answer sends on them, with their stream.
    const bound = await waitFor(
      () => {
        const sending = viewer.answers.at(-1)?.filter((s) => s.direction === 'sendonly' && s.msid);
        return sending?.length === 2 && sending;
      },
      { what: 'an answer sending audio and video with their media stream' },
    );
    expect(viewer.error).toBeUndefined();
    expect(bound.map((s) => s.kind).sort()).toEqual(['audio', 'video']);
    const video = bound.find((s) => s.kind === 'video')!;
    expect(video.rtx, 'the video section names its RTX SSRC').toBeDefined();

    // No SSRC the client was told of without a stream is the one that later carries the stream.
    const withoutStream = new Set(
      viewer.answers.flatMap((answer) => answer.filter((s) => !s.msid).flatMap((s) => s.ssrcs)),
    );
    for (const section of bound)
      for (const ssrc of section.ssrcs)
        expect(withoutStream.has(ssrc), `${section.kind} SSRC ${ssrc} was named before its msid`).toBe(false);

    // The media arrives under them…
    const [mediaSsrc, rtxSsrc] = video.rtx!;
    const audioSsrc = bound.find((s) => s.kind === 'audio')!.ssrcs[0]!;
    await waitFor(
      () =>
        (viewer.arrived.get(audioSsrc)?.length ?? 0) >= 50 &&
        (viewer.arrived.get(mediaSsrc)?.length ?? 0) >= 60,
      { what: 'audio and video packets under the answered SSRCs', timeoutMs: 30_000 },
    );
    // …and RTCP about them reaches their sender: a NACK for a packet well behind the newest (beyond what a
    // bandwidth probe resends) comes back on the RTX SSRC.
    const seqs = viewer.arrived.get(mediaSsrc)!;
    const nacked = seqs[seqs.length - 50]!;
    await viewer.nack(mediaSsrc, nacked);
    await waitFor(() => viewer.arrived.get(rtxSsrc)?.includes(nacked), {
      what: `the retransmission of ${nacked} on RTX SSRC ${rtxSsrc}`,
      timeoutMs: 5_000,
    });
  });
});
