// RED toward a subscriber that takes it: each packet carries copies of the frames just before, but never of
// frames from before a pause in the sound (DTX). Chromium plays comfort noise through a pause and takes
// silence frames copied into the first word's packet for new sound: it played them, then time-compressed the
// sound to catch up, ~45 ms late (#21, bench lip-sync). The publisher is @livekit/rtc-node with RED and DTX,
// talking 0.4 s in every 2; the subscriber is werift on `/rtc/v1` taking RED, reading every block.
import { Room } from '@livekit/rtc-node';
import { participantToken, publishTone, waitFor } from '@scenecast/testkit';
import { describe, expect, it } from 'vitest';
import type { RtpPacket } from 'werift';
import { sfuForFile } from './sfu-fixture.js';
import { V1Subscriber } from './v1-subscriber.js';

const redPayloadType = 63;
const frameTicks = 960; // 20 ms at 48 kHz

const fixture = sfuForFile();

/** RFC 2198: the timestamp offsets of a RED payload's redundant blocks (the primary has none). */
function redundantOffsets(payload: Buffer): number[] {
  const offsets: number[] = [];
  for (let o = 0; payload[o]! & 0x80; o += 4) offsets.push((payload[o + 1]! << 6) | (payload[o + 2]! >> 2));
  return offsets;
}

describe('RED toward a subscriber', () => {
  it('copies the frames before, never across a pause in the sound', async () => {
    const roomName = 'red-pause';
    const viewer = new V1Subscriber({ red: true });
    fixture.closing(() => viewer.close());
    await viewer.join(fixture.sfu.url, await participantToken(roomName, 'viewer', { canPublish: false }));
    const packets: { timestamp: number; offsets: number[] }[] = [];
    await waitFor(() => viewer.pc.dtlsTransports.length > 0, { what: 'the viewer’s transport' });
    viewer.pc.dtlsTransports[0]!.onRtp.subscribe((packet: RtpPacket) => {
      if (packet.header.payloadType === redPayloadType)
        packets.push({ timestamp: packet.header.timestamp, offsets: redundantOffsets(packet.payload) });
    });
    const publisher = new Room();
    fixture.closing(() => publisher.disconnect());
    await publisher.connect(fixture.sfu.url, await participantToken(roomName, 'host'));
    fixture.closing(
      await publishTone(publisher, { red: true, amplitude: () => (Date.now() % 2000 < 400 ? 0.5 : 0) }),
    );
    await waitFor(() => packets.length >= 150, { what: '150 RED packets at the viewer', timeoutMs: 30_000 });

    // The premise: pauses (DTX: a frame every 400 ms), and redundancy while talking.
    const steps = packets.slice(1).map((p, i) => (p.timestamp - packets[i]!.timestamp) >>> 0);
    expect(steps.filter((step) => step > 5 * frameTicks).length, 'pauses in the sound').toBeGreaterThan(2);
    const withTwoCopies = packets.filter((p) => p.offsets.length === 2).length;
    expect(withTwoCopies, 'packets carrying two earlier frames').toBeGreaterThan(packets.length / 4);
    // No copy reaches back past the frames just before (a pause is longer than two frames).
    const farthest = Math.max(...packets.flatMap((p) => p.offsets));
    expect(farthest, 'the oldest frame a packet carries a copy of (ticks back)').toBeLessThanOrEqual(
      2 * frameTicks,
    );
  });
});
