// WHIP ingest through the token service: a brand's feed of sourceKind whip gets a stream key; an
// independent WHIP client (@eyevinn/whip-web-client in Chromium) publishes its fake camera with that key as
// bearer, the service swaps it for a feed token and passes the offer to the engine's own /whip/v1 (either
// engine), and a LiveKit viewer receives the feed. Wrong, replaced and revoked keys are refused; revoking
// disconnects the live encoder; a malformed offer gets the engine's reason.
import { Room } from '@livekit/rtc-node';
import { attributes, type Feed, type ScenecastClient } from '@scenecast/contract';
import { devKeys, type RunningEngine, startEngine } from '@scenecast/engine';
import {
  type CandidateListener,
  countVideoFrames,
  type FrameCounter,
  listenForChecks,
  patchWhipSession,
  publishWhipFromChromium,
  trickleFragment,
  trickleOffer,
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
      // Its candidates trickled through us (If-Match: our sealed ETag), each answered 204.
      const patches = await publisher.patchStatuses();
      expect(patches.length).toBeGreaterThan(0);
      // livekit-server takes a fragment of one media section (the bundle's); this client writes one per section: 400.
      expect(new Set(patches)).toEqual(new Set([engine.engine === 'embedded' ? 204 : 400]));
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

describe('WHIP trickle ICE through the stream key (PATCH, RFC 9725 §4.3)', () => {
  let streamKey: string;
  let resource: string;
  let etag: string;
  const listeners: CandidateListener[] = [];
  const candidate = async () => {
    const listener = await listenForChecks();
    listeners.push(listener);
    return listener;
  };
  const patch = (body: string, headers: Record<string, string>) =>
    patchWhipSession(resource, streamKey, body, headers);
  const problem = async (answer: Response) => {
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    return ((await answer.json()) as { detail: string }).detail;
  };

  beforeAll(async () => {
    const settings = await brand.whipSettings(feed.id);
    streamKey = settings.streamKey;
    const created = await offer(settings.url, streamKey, trickleOffer);
    expect(created.status, await created.clone().text()).toBe(201);
    resource = new URL(created.headers.get('location')!, settings.url).toString();
    expect(resource).toMatch(new RegExp(`^${service.url}/v1/whip/PA_\\w+$`));
    etag = created.headers.get('etag') ?? '';
  });
  afterAll(async () => {
    for (const l of listeners) l.close();
    await fetch(resource, { method: 'DELETE', headers: { authorization: `Bearer ${streamKey}` } });
    await waitFor(async () => !(await feedInRoom()), { what: 'the trickle session ended' });
  });

  it('answers a PATCH with the session’s ETag 204, and the candidate reaches the engine’s session', async () => {
    expect(etag).toMatch(/^"[\w-]+\.[\w-]+"$/);
    const socket = await candidate();
    const answer = await patch(trickleFragment([socket.candidate]), { 'if-match': etag });
    expect(answer.status).toBe(204);
    expect(await answer.text()).toBe('');
    await waitFor(() => socket.checks > 0, { what: 'the engine’s STUN check at the trickled candidate' });
  });

  it('answers a PATCH without If-Match 428 and one with another tag 412, as problems, using no candidate', async () => {
    const socket = await candidate();
    const fragment = trickleFragment([socket.candidate]);
    const none = await patch(fragment, {});
    expect(none.status).toBe(428);
    expect(await problem(none)).toMatch(/entity tag/);
    for (const wrong of ['"another-session"', etag.replace(/\.[\w-]+"$/, '.forged"'), 'W/' + etag]) {
      const answer = await patch(fragment, { 'if-match': wrong });
      expect(answer.status, wrong).toBe(412);
      expect(await problem(answer)).toMatch(/If-Match/);
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(socket.checks).toBe(0);
  });

  it('answers a malformed fragment 400 with the engine’s reason, and the session trickles on', async () => {
    const answer = await patch('this is not SDP\r\n', { 'if-match': etag });
    expect(answer.status).toBe(400);
    // The embedded SFU names the line; livekit-server says "invalid sdp fragment".
    expect(await problem(answer)).toMatch(
      /(malformed SDP fragment: line 1 is not an SDP line|invalid sdp fragment)/,
    );
    const socket = await candidate();
    expect((await patch(trickleFragment([socket.candidate]), { 'if-match': etag })).status).toBe(204);
    await waitFor(() => socket.checks > 0, { what: 'a STUN check after the malformed PATCH' });
  });

  it('answers an ICE restart (If-Match: *) 422 where the engine cannot restart ICE', async () => {
    const restart = trickleFragment([(await candidate()).candidate], {
      ufrag: 'restartufrag',
      pwd: 'restartpasswordrestartpw',
    });
    const answer = await patch(restart, { 'if-match': '*' });
    // livekit-server restarts ICE: 200, its fragment and its ETag, sealed.
    if (engine.engine !== 'embedded') {
      expect(answer.status).toBe(200);
      return expect(answer.headers.get('etag')).toMatch(/^"[\w-]+\.[\w-]+"$/);
    }
    expect(answer.status).toBe(422);
    expect(await problem(answer)).toMatch(/ICE restart is not supported/);
  });
});
