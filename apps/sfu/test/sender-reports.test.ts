// A subscriber plays a publisher's picture and sound in step by the RTCP sender reports of each stream:
// they pair an RTP time with the wall-clock instant it was captured. Reports that pair it with the instant
// the SFU forwarded it hide how much later one stream leaves its publisher than the other (a camera's
// encoder, a browser's pacer on a busy uplink), and the receiver plays them that much apart (#21, bench
// lip-sync). The publisher here is werift over WHIP, whose picture leaves 300 ms after its capture (its
// reports say so, as libwebrtc's would); the reports a subscriber gets must still say so.
import { participantToken, waitFor } from '@scenecast/testkit';
import { describe, expect, it } from 'vitest';
import { RTCPeerConnection, RtpHeader, RtpPacket, useOPUS, useVP8 } from 'werift';
import { reportCaptureClock } from '../src/sfu/sender-report.js';
import { sfuForFile } from './sfu-fixture.js';
import { V1Subscriber } from './v1-subscriber.js';

const captureLagMs = 300;

const fixture = sfuForFile();

/** Signed distance from RTP time b to a (32-bit wrap). */
const rtpDiff = (a: number, b: number) => ((a - b + 2 ** 31) >>> 0) - 2 ** 31;
/** An RTP clock that reads the wall clock (performance time, ms) at `rate`, less `lagMs`. */
const rtpClock =
  (rate: number, lagMs = 0) =>
  (now: number) =>
    Math.round(((performance.timeOrigin + now - lagMs) * rate) / 1000) >>> 0;

/**
 * A WHIP encoder made of werift: 50 Opus packets a second stamped when sent, and 30 VP8 frames a second
 * (every one a keyframe, of no real picture: the SFU forwards what it cannot decode) stamped as captured
 * `captureLagMs` before they are sent. Its sender reports pair each stream's RTP clock with the capture
 * time, as a browser's do.
 */
async function publishOverWhip(token: string): Promise<() => Promise<void>> {
  const pc = new RTCPeerConnection({
    codecs: { audio: [useOPUS()], video: [useVP8()] },
  });
  const audio = pc.addTransceiver('audio', { direction: 'sendonly' });
  const video = pc.addTransceiver('video', { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  await waitFor(() => pc.iceGatheringState === 'complete', { what: 'werift gathering its candidates' });
  const response = await fetch(`${fixture.sfu.httpUrl}/whip/v1`, {
    method: 'POST',
    headers: { 'content-type': 'application/sdp', authorization: `Bearer ${token}` },
    body: pc.localDescription!.sdp,
  });
  expect(response.status).toBe(201);
  await pc.setRemoteDescription({ type: 'answer', sdp: await response.text() });
  await waitFor(() => pc.connectionState === 'connected', { what: 'the WHIP publisher connected' });
  // Packets carry the RTP time of their capture; reports pair now with the RTP time of now.
  const audioClock = rtpClock(48_000);
  const videoClock = rtpClock(90_000, captureLagMs);
  reportCaptureClock(audio.sender, audioClock);
  reportCaptureClock(video.sender, rtpClock(90_000));
  let audioSeq = 0;
  let videoSeq = 0;
  const send = (
    sender: typeof audio.sender,
    payloadType: number,
    seq: number,
    clock: typeof audioClock,
    payload: Buffer,
  ) =>
    void sender
      .sendRtp(
        new RtpPacket(
          new RtpHeader({
            payloadType,
            sequenceNumber: seq & 0xffff,
            timestamp: clock(performance.now()),
            marker: true,
          }),
          payload,
        ),
      )
      .catch(() => undefined);
  const opus = Buffer.from([0xf8, 0xff, 0xfe]); // an Opus frame of silence
  // RFC 7741 descriptor (start of partition 0), then a key frame's header: 160x90.
  const vp8 = Buffer.from([0x10, 0x50, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0xa0, 0x00, 0x5a, 0x00, 0, 0, 0, 0]);
  const audioTimer = setInterval(
    () => send(audio.sender, audio.codecs[0]!.payloadType, audioSeq++, audioClock, opus),
    20,
  );
  const videoTimer = setInterval(
    () => send(video.sender, video.codecs[0]!.payloadType, videoSeq++, videoClock, vp8),
    33,
  );
  return async () => {
    clearInterval(audioTimer);
    clearInterval(videoTimer);
    await pc.close();
  };
}

/**
 * How long after its capture (by the SFU's sender report) each packet that arrived reached the
 * subscriber, median, ms.
 */
function medianCaptureDelay(viewer: V1Subscriber, ssrc: number, clockRate: number): number {
  const report = viewer.senderReports.get(ssrc)!;
  const delays = (viewer.arrivals.get(ssrc) ?? [])
    .map(
      ({ at, timestamp }) =>
        at - (report.ntpMs + (rtpDiff(timestamp, report.rtpTimestamp) / clockRate) * 1000),
    )
    .sort((a, b) => a - b);
  return delays[Math.floor(delays.length / 2)]!;
}

describe('sender reports toward a subscriber', () => {
  it('carry the publisher’s capture clock: a picture that leaves 300 ms after its capture arrives 300 ms “late”', async () => {
    const roomName = 'sender-reports';
    const viewer = new V1Subscriber();
    fixture.closing(() => viewer.close());
    await viewer.join(fixture.sfu.url, await participantToken(roomName, 'viewer', { canPublish: false }));
    fixture.closing(
      await publishOverWhip(await participantToken(roomName, 'encoder', { canSubscribe: false })),
    );

    const bound = await waitFor(
      () => {
        const sending = viewer.answers.at(-1)?.filter((s) => s.direction === 'sendonly' && s.msid);
        return sending?.length === 2 && sending;
      },
      { what: 'an answer sending audio and video' },
    );
    const audio = bound.find((s) => s.kind === 'audio')!.ssrcs[0]!;
    const video = bound.find((s) => s.kind === 'video')!.rtx![0];
    // Reports go out every 0.5–1.5 s; wait for a few, after the publisher's own reached the SFU.
    await waitFor(() => viewer.senderReports.has(audio) && viewer.senderReports.has(video), {
      what: 'a sender report for each stream',
      timeoutMs: 20_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const audioDelay = medianCaptureDelay(viewer, audio, 48_000);
    const videoDelay = medianCaptureDelay(viewer, video, 90_000);
    // Forwarding-time reports would make both about the hop from the SFU (a few ms).
    const what = `video ${videoDelay.toFixed(0)} ms after its capture, audio ${audioDelay.toFixed(0)} ms`;
    expect(videoDelay - audioDelay, what).toBeGreaterThan(captureLagMs - 50);
    expect(videoDelay - audioDelay, what).toBeLessThan(captureLagMs + 50);
    expect(Math.abs(audioDelay), what).toBeLessThan(50);
  });
});
