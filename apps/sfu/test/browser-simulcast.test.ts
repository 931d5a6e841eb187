// livekit-client in real Debian Chromium, with its default options, publishes a simulcast camera through
// the engine; a second page subscribes, and the layer it receives follows setVideoQuality /
// setVideoDimensions. The default is LiveKit's `/rtc/v1`: one peer connection each way, no fallback.

import { type RunningEngine, startEngine } from '@scenecast/engine';
import { launchChromium, participantToken, serveLivekitClientPage, waitFor } from '@scenecast/testkit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

declare const LivekitClient: typeof import('livekit-client');
declare global {
  interface Window {
    room: import('livekit-client').Room;
  }
}

let engine: RunningEngine;
let page: Awaited<ReturnType<typeof serveLivekitClientPage>>;
let browser: Browser;
let publisher: Page;
let subscriber: Page;
/** What the pages logged as warnings or errors (a fallback from `/rtc/v1` to `/rtc` is a warning). */
const complaints: string[] = [];

/** What the subscriber's video element shows and what inbound-rtp says it decodes. */
async function received(p: Page) {
  return p.evaluate(async () => {
    const video = document.querySelector('video');
    const publication = [...window.room.remoteParticipants.values()][0]?.getTrackPublications()[0];
    const report = await publication?.track?.getRTCStatsReport();
    let frameWidth = 0;
    let framesDecoded = 0;
    report?.forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') {
        frameWidth = r.frameWidth ?? 0;
        framesDecoded = r.framesDecoded ?? 0;
      }
    });
    return {
      videoWidth: video?.videoWidth ?? 0,
      videoHeight: video?.videoHeight ?? 0,
      frameWidth,
      framesDecoded,
    };
  });
}

/** The publisher's outbound layers, for diagnosing bandwidth or CPU limits. */
async function sent(p: Page) {
  return p.evaluate(async () => {
    const track = [...window.room.localParticipant.videoTrackPublications.values()][0]?.track;
    const report = await track?.getRTCStatsReport();
    const layers: unknown[] = [];
    report?.forEach((r) => {
      if (r.type === 'outbound-rtp')
        layers.push([r.rid, r.frameWidth, r.qualityLimitationReason, r.targetBitrate]);
      if (r.type === 'candidate-pair' && r.nominated) layers.push(['bwe', r.availableOutgoingBitrate]);
    });
    return layers;
  });
}

beforeAll(async () => {
  engine = await startEngine();
  page = await serveLivekitClientPage();
  browser = await launchChromium();
  publisher = await browser.newPage();
  subscriber = await browser.newPage();
  for (const p of [publisher, subscriber])
    p.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') complaints.push(m.text());
    });
  await publisher.goto(page.url);
  await subscriber.goto(page.url);
});

afterAll(async () => {
  await browser?.close();
  await page?.close();
  await engine?.close();
});

describe('livekit-client through the engine', () => {
  it('publishes a simulcast camera and the subscriber receives the layer it asks for', async () => {
    const pubToken = await participantToken('simulcast', 'publisher');
    const subToken = await participantToken('simulcast', 'subscriber', { canPublish: false });

    await publisher.evaluate(
      async ({ url, token }) => {
        const room = new LivekitClient.Room({ dynacast: true });
        await room.connect(url, token);
        await room.localParticipant.setCameraEnabled(
          true,
          // A 360p source (livekit-client sends two layers for it: q=160x90 LOW, h=640x360 MEDIUM) fits the
          // publisher's starting bandwidth estimate, so the test does not depend on how fast congestion
          // control ramps up; 4K ramp-up is covered by the camera and viewer tests.
          { resolution: LivekitClient.VideoPresets.h360.resolution },
          {
            simulcast: true,
            videoSimulcastLayers: [LivekitClient.VideoPresets.h90, LivekitClient.VideoPresets.h180],
          },
        );
        window.room = room;
      },
      { url: engine.url, token: pubToken },
    );

    await subscriber.evaluate(
      async ({ url, token }) => {
        const room = new LivekitClient.Room({ adaptiveStream: false });
        room.on(LivekitClient.RoomEvent.TrackSubscribed, (track) => {
          const element = track.attach() as HTMLVideoElement;
          element.muted = true;
          document.getElementById('media')?.appendChild(element);
        });
        await room.connect(url, token);
        window.room = room;
      },
      { url: engine.url, token: subToken },
    );

    // Both joined on `/rtc/v1`: one peer connection (the client's), and nothing fell back.
    for (const p of [publisher, subscriber]) {
      expect(
        await p.evaluate(
          () => (window.room.engine as unknown as { pcManager: { mode: string } }).pcManager.mode,
        ),
      ).toBe('publisher-only');
    }
    expect(complaints.filter((text) => /v1 RTC path|Retrying|ServiceNotFound/i.test(text))).toEqual([]);

    // Default quality is the top layer; it arrives once the publisher's bandwidth estimate allows it.
    const top = await waitFor(
      async () => {
        const r = await received(subscriber);
        if (process.env.DEBUG_TEST) console.log(JSON.stringify(r), JSON.stringify(await sent(publisher)));
        return r.videoWidth === 640 && r.frameWidth === 640 ? r : undefined;
      },
      { timeoutMs: 40_000, what: '640x360 on the subscriber' },
    );
    expect(top.videoHeight).toBe(360);

    const setQuality = (quality: 'LOW' | 'MEDIUM' | 'HIGH') =>
      subscriber.evaluate((q) => {
        const publication = [...window.room.remoteParticipants.values()][0]!.getTrackPublications()[0]!;
        (publication as import('livekit-client').RemoteTrackPublication).setVideoQuality(
          LivekitClient.VideoQuality[q],
        );
      }, quality);

    await setQuality('LOW');
    const low = await waitFor(
      async () => {
        const r = await received(subscriber);
        return r.videoWidth === 160 && r.frameWidth === 160 ? r : undefined;
      },
      { timeoutMs: 20_000, what: '160x90 after setVideoQuality(LOW)' },
    );
    expect(low.videoHeight).toBe(90);

    await subscriber.evaluate(() => {
      const publication = [...window.room.remoteParticipants.values()][0]!.getTrackPublications()[0]!;
      (publication as import('livekit-client').RemoteTrackPublication).setVideoDimensions({
        width: 600,
        height: 340,
      });
    });
    await waitFor(
      async () => {
        const r = await received(subscriber);
        return r.videoWidth === 640 && r.frameWidth === 640 ? r : undefined;
      },
      { timeoutMs: 20_000, what: '640x360 after setVideoDimensions(600x340)' },
    );

    await subscriber.evaluate(() => {
      const publication = [...window.room.remoteParticipants.values()][0]!.getTrackPublications()[0]!;
      (publication as import('livekit-client').RemoteTrackPublication).setVideoDimensions({
        width: 120,
        height: 68,
      });
    });
    await waitFor(
      async () => {
        const r = await received(subscriber);
        return r.videoWidth === 160 && r.frameWidth === 160 ? r : undefined;
      },
      { timeoutMs: 20_000, what: '160x90 after setVideoDimensions(120x68)' },
    );

    // Frames keep flowing after all the switches: the munged stream stays decodable.
    const before = (await received(subscriber)).framesDecoded;
    await waitFor(async () => (await received(subscriber)).framesDecoded > before + 10, {
      what: 'frames still decoding after the switches',
    });
  });
});
