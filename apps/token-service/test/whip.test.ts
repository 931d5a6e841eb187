// WHIP ingest through the token service: a brand's feed of sourceKind whip gets a stream key; an
// independent WHIP client (@eyevinn/whip-web-client in Chromium) publishes its fake camera with that key as
// bearer, the service swaps it for a feed token and passes the offer to the engine's own /whip/v1 (either
// engine), and a LiveKit viewer receives the feed. Wrong, replaced and revoked keys are refused; revoking
// disconnects the live encoder; a malformed offer gets the engine's reason.
import { Room } from '@livekit/rtc-node';
import { attributes, type Feed, type ScenecastClient } from '@scenecast/contract';
import { devKeys, type RunningEngine, startEngine } from '@scenecast/engine';
import {
  countVideoFrames,
  type FrameCounter,
  publishWhipFromChromium,
  type WhipPublisher,
  waitFor,
} from '@scenecast/testkit';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningTokenService } from '../src/index.js';
import { adminToken, apiClient, demoShow, sqlite, startTestService } from './helpers.js';

let engine: RunningEngine;
let service: RunningTokenService;
let brand: ScenecastClient;
let roomService: RoomServiceClient;
let feed: Feed;
const rooms: Room[] = [];

beforeAll(async () => {
  service = await startTestService(sqlite, { livekit: { url: '', ...devKeys } });
  engine = await startEngine({ webhookUrls: [`${service.url}/v1/livekit/webhook`] });
  service.setLivekitUrl(engine.url);
  roomService = new RoomServiceClient(engine.httpUrl, engine.apiKey, engine.apiSecret);
  const { apiKey } = await apiClient(service, adminToken).createBrand({ name: 'Encoders' });
  brand = apiClient(service, apiKey);
  await brand.createShow(demoShow);
  feed = await brand.addFeed('demo', { sceneId: 'factory', label: 'Curing line (OBS)', sourceKind: 'whip' });
});

afterAll(async () => {
  for (const room of rooms) await room.disconnect().catch(() => undefined);
  await engine?.close();
  await service?.close();
});

/** A viewer of the show (the service's own viewer token) counting the frames it decodes from the feed. */
async function watchFeed(): Promise<FrameCounter> {
  const grant = await apiClient(service).viewerToken('demo', {});
  const room = new Room();
  rooms.push(room);
  const counter = countVideoFrames(room, feed.identity);
  await room.connect(grant.url, grant.token, { autoSubscribe: true, dynacast: false });
  return counter;
}

const feedInRoom = async () =>
  (await roomService.listParticipants('demo')).find((p) => p.identity === feed.identity);

const offer = (url: string, key: string, sdp: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/sdp', authorization: `Bearer ${key}` },
    body: sdp,
  });

describe('WHIP settings', () => {
  it('are only for feeds of sourceKind whip', async () => {
    const phone = await brand.addFeed('demo', {
      sceneId: 'farm',
      label: 'Farm phone',
      sourceKind: 'browser',
    });
    await expect(brand.whipSettings(phone.id)).rejects.toMatchObject({ status: 409 });
  });

  it('give the service’s WHIP URL and a key shown once; asking again replaces the key', async () => {
    const first = await brand.whipSettings(feed.id);
    expect(first.url).toBe(`${service.url}/v1/whip`);
    expect(first.streamKey).toMatch(/^[\w-]{40,}$/);
    const second = await brand.whipSettings(feed.id);
    expect(second.streamKey).not.toBe(first.streamKey);
    const stale = await offer(second.url, first.streamKey, 'v=0\r\n');
    expect(stale.status).toBe(401);
    expect(await stale.json()).toMatchObject({ status: 401, detail: expect.stringMatching(/stream key/) });
  });
});

describe('WHIP ingest through the stream key', () => {
  let publisher: WhipPublisher | undefined;
  afterAll(async () => publisher?.stop());

  for (const simulcast of [false, true]) {
    it(`publishes an encoder's camera${simulcast ? ' with simulcast' : ''} that a viewer of the show receives`, async () => {
      const { url, streamKey } = await brand.whipSettings(feed.id);
      const viewer = await watchFeed();
      publisher = await publishWhipFromChromium({
        endpoint: url,
        token: streamKey,
        simulcast,
        width: 1280,
        height: 720,
      });
      // The session's resource is the service's: PATCH and DELETE come here, with the key.
      expect(publisher.resourceUrl).toMatch(new RegExp(`^${service.url}/v1/whip/PA_\\w+$`));
      await waitFor(() => viewer.frames >= 10, { what: 'the encoder’s frames at the viewer' });
      const participant = await feedInRoom();
      expect(participant?.attributes[attributes.feed]).toBe(feed.id);
      expect(participant?.attributes[attributes.scene]).toBe('factory');
      if (simulcast) {
        const video = participant?.tracks.find((t) => t.layers.length > 1);
        expect(video?.layers.length).toBe(3);
      }
      // The feed is live for its brand, from the engine's webhooks, like any camera.
      await waitFor(async () => (await brand.getShow('demo')).scenes.find((s) => s.id === 'factory')?.live, {
        what: 'the factory scene live',
      });
      await publisher.stop();
      publisher = undefined;
      await waitFor(async () => !(await feedInRoom()), { what: 'the encoder gone after its DELETE' });
    });
  }

  it('refuses a wrong key with 401, and nothing is published', async () => {
    const { url } = await brand.whipSettings(feed.id);
    await expect(publishWhipFromChromium({ endpoint: url, token: 'not-a-stream-key' })).rejects.toThrow(
      /401/,
    );
    expect(await feedInRoom()).toBeUndefined();
  });

  it('answers a malformed offer with 400 and the engine’s reason', async () => {
    const { url, streamKey } = await brand.whipSettings(feed.id);
    const answer = await offer(url, streamKey, 'v=0\r\nnot an offer');
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await answer.json()) as { detail: string }).toMatchObject({
      detail: expect.stringMatching(/malformed SDP offer/i),
    });
    expect(await feedInRoom()).toBeUndefined();
  });

  it('revoking the key disconnects the live encoder, and the key no longer works', async () => {
    const { url, streamKey } = await brand.whipSettings(feed.id);
    const viewer = await watchFeed();
    publisher = await publishWhipFromChromium({ endpoint: url, token: streamKey, width: 640, height: 360 });
    await waitFor(() => viewer.frames >= 10, { what: 'frames before the revocation' });
    await brand.revokeWhip(feed.id);
    await waitFor(async () => !(await feedInRoom()), { what: 'the encoder disconnected by the revocation' });
    const again = await fetch(publisher.resourceUrl, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${streamKey}` },
    });
    expect(again.status).toBe(401);
    expect((await offer(url, streamKey, 'v=0\r\n')).status).toBe(401);
  });
});
