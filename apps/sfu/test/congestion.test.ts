// Congestion towards one subscriber: a client whose link loses packets gets a lower simulcast layer, its
// neighbour on a clean link keeps the top one, and the lossy one climbs back once its link is clean.
// The loss is real: the subscriber (werift) drops a share of the datagrams before SRTP, and the SFU only
// learns of it from the receiver reports that client sends, as it would from a browser.
import { VideoQuality } from '@livekit/protocol';
import { Room } from '@livekit/rtc-node';
import { LoadSubscriber, participantToken, publishSyntheticVideo, waitFor } from '@scenecast/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSfu, startSfu } from '../src/index.js';
import { LossBasedCap } from '../src/sfu/congestion.js';

const roomName = 'congestion';
let sfu: RunningSfu;
let publisher: Room;
let stopFrames: () => void;
const subscribers: LoadSubscriber[] = [];

function downTrack(identity: string) {
  const participant = sfu.rooms.get(roomName)?.participants.get(identity);
  return participant && [...participant.subscriptions.values()][0]?.downTrack;
}

/** The layer the SFU forwards to a subscriber now. */
const forwarded = (identity: string): VideoQuality | undefined => downTrack(identity)?.currentQuality;

/**
 * The highest layer congestion control allows a subscriber. (What it is forwarded can also dip when the
 * publisher pauses its top layer for a moment, as on a starved machine: that is not this subscriber's doing.)
 */
const cap = (identity: string): VideoQuality | undefined => downTrack(identity)?.state().cap;

async function metric(direction: 'down' | 'up'): Promise<number> {
  const text = await (await fetch(`${sfu.httpUrl}/metrics`)).text();
  const match = new RegExp(`livekit_congestion_layer_change_total\\{direction="${direction}"\\} (\\d+)`).exec(
    text,
  );
  return Number(match?.[1] ?? 0);
}

beforeAll(async () => {
  sfu = await startSfu({ port: 0 });
  publisher = new Room();
  await publisher.connect(sfu.url, await participantToken(roomName, 'camera'));
  stopFrames = await publishSyntheticVideo(publisher, {
    width: 1280,
    height: 720,
    fps: 15,
    simulcast: true,
    noise: 0.1,
  });
  for (const identity of ['lossy', 'clean']) {
    const subscriber = new LoadSubscriber(
      sfu.url,
      await participantToken(roomName, identity, { canPublish: false }),
    );
    await subscriber.connect();
    subscribers.push(subscriber);
  }
});

afterAll(async () => {
  stopFrames?.();
  await Promise.all(subscribers.map((s) => s.close()));
  await publisher?.disconnect();
  await sfu?.close();
});

describe('congestion towards subscribers', () => {
  it('steps a lossy subscriber down a layer, leaves its clean neighbour alone, and steps back up', async () => {
    const [lossy, clean] = subscribers as [LoadSubscriber, LoadSubscriber];
    await waitFor(
      () => forwarded('lossy') === VideoQuality.HIGH && forwarded('clean') === VideoQuality.HIGH,
      {
        what: 'both subscribers on the top layer',
        timeoutMs: 30_000,
      },
    );
    const downBefore = await metric('down');

    lossy.inboundLossPercent = 30;
    await waitFor(() => cap('lossy')! < VideoQuality.HIGH && forwarded('lossy')! < VideoQuality.HIGH, {
      what: 'the lossy subscriber capped, and on a lower layer',
      timeoutMs: 20_000,
    });
    expect(cap('clean')).toBe(VideoQuality.HIGH);
    expect(await metric('down')).toBeGreaterThan(downBefore);

    const upBefore = await metric('up');
    lossy.inboundLossPercent = 0;
    await waitFor(() => cap('lossy') === VideoQuality.HIGH && forwarded('lossy') === VideoQuality.HIGH, {
      what: 'the lossy subscriber back on the top layer once its link is clean',
      timeoutMs: 60_000,
    });
    expect(await metric('up')).toBeGreaterThan(upBefore);
    expect(cap('clean')).toBe(VideoQuality.HIGH);
    await waitFor(() => forwarded('clean') === VideoQuality.HIGH, {
      what: 'the clean subscriber on the top layer',
    });
    expect(clean.counters().packets).toBeGreaterThan(0);
  }, 120_000);
});

describe('LossBasedCap', () => {
  const { HIGH, MEDIUM, LOW } = VideoQuality;

  it('steps down one layer after sustained loss, not after one lossy report', () => {
    const cap = new LossBasedCap();
    expect(cap.report(0.3, HIGH, 10_000)).toBeUndefined();
    expect(cap.report(0.3, HIGH, 11_000)).toBe(MEDIUM);
    // The switch needs time: no second step within the settle time.
    expect(cap.report(0.3, MEDIUM, 11_500)).toBeUndefined();
    expect(cap.report(0.3, MEDIUM, 12_000)).toBeUndefined();
    expect(cap.report(0.3, MEDIUM, 13_500)).toBe(LOW);
    expect(cap.report(0.5, LOW, 20_000)).toBeUndefined(); // nothing below the lowest layer
    expect(cap.cap).toBe(LOW);
  });

  it('probes one layer up after a clean stretch, and waits twice as long after a failed probe', () => {
    const cap = new LossBasedCap();
    cap.report(0.3, HIGH, 0);
    expect(cap.report(0.3, HIGH, 1000)).toBe(MEDIUM);
    expect(cap.report(0.01, MEDIUM, 2000)).toBeUndefined();
    expect(cap.report(0.01, MEDIUM, 9000)).toBeUndefined();
    expect(cap.report(0.01, MEDIUM, 10_000)).toBe(HIGH); // 8 s clean
    // The probe brings the loss back: down again, and the next probe waits 16 s.
    cap.report(0.3, HIGH, 12_100);
    expect(cap.report(0.3, HIGH, 13_000)).toBe(MEDIUM);
    expect(cap.report(0.0, MEDIUM, 14_000)).toBeUndefined();
    expect(cap.report(0.0, MEDIUM, 22_000)).toBeUndefined();
    expect(cap.report(0.0, MEDIUM, 30_000)).toBe(HIGH);
  });

  it('ignores moderate loss between the clean and congested thresholds', () => {
    const cap = new LossBasedCap();
    for (let t = 0; t < 60_000; t += 1000) expect(cap.report(0.05, HIGH, t)).toBeUndefined();
    expect(cap.cap).toBe(HIGH);
  });
});
