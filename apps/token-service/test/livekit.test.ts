// The tokens we issue, judged by the engine through the official Node SDK: viewers watch but
// cannot publish, feeds publish but cannot subscribe, a token opens only its own show, and the engine's
// webhooks turn a feed live and offline.
import { Room, RoomEvent } from '@livekit/rtc-node';
import { type RunningEngine, startEngine } from '@scenecast/engine';
import { publishSyntheticVideo, waitFor } from '@scenecast/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningTokenService } from '../src/index.js';
import { adminToken, type Client, client, demoShow, sqlite, startTestService } from './helpers.js';

let engine: RunningEngine;
let service: RunningTokenService;
let api: Client;
let key: string;
const rooms: Room[] = [];

const publishCamera = (room: Room) => publishSyntheticVideo(room, { width: 320, height: 180 });

async function join(url: string, token: string): Promise<Room> {
  const room = new Room();
  rooms.push(room);
  await room.connect(url, token, { autoSubscribe: true, dynacast: false });
  return room;
}

beforeAll(async () => {
  // The engine calls our webhook endpoint; the token service points its LIVEKIT_URL at the engine.
  const port = 21_000 + Math.floor(Math.random() * 20_000);
  engine = await startEngine({ webhookUrls: [`http://127.0.0.1:${port}/v1/livekit/webhook`] });
  // SQLite is enough here: what is judged is the tokens and webhooks, and test/api.test.ts runs the
  // webhook endpoint's storage on both engines.
  service = await startTestService(sqlite, {
    port,
    livekit: { url: engine.url, apiKey: engine.apiKey, apiSecret: engine.apiSecret },
  });
  api = client(service.url);
  key = (await api.call('POST', '/v1/brands', { name: 'Integration' }, adminToken)).body.apiKey;
  await api.call('POST', '/v1/shows', demoShow, key);
  await api.call('POST', '/v1/shows', { ...demoShow, id: 'other-show' }, key);
});

afterAll(async () => {
  for (const room of rooms) await room.disconnect().catch(() => undefined);
  await engine?.close();
  await service?.close();
});

describe('tokens against the engine', () => {
  it('a feed publishes its scene (live via webhook), cannot subscribe; a viewer receives it but cannot publish', async () => {
    const feed = (
      await api.call(
        'POST',
        '/v1/shows/demo/feeds',
        { sceneId: 'farm', label: 'Farm phone', sourceKind: 'synthetic' },
        key,
      )
    ).body;
    const feedGrant = (await api.call('POST', `/v1/feeds/${feed.id}/token`, {}, key)).body;
    const camera = await join(feedGrant.url, feedGrant.token);
    const stop = await publishCamera(camera);

    await waitFor(
      async () =>
        (await api.call('GET', '/v1/shows/demo')).body.scenes.find((s: { id: string }) => s.id === 'farm')
          .live,
      { what: 'the farm scene to turn live from the track_published webhook' },
    );

    const viewerGrant = (await api.call('POST', '/v1/shows/demo/viewer-token', { name: 'Mei' })).body;
    const viewer = await join(viewerGrant.url, viewerGrant.token);
    const subscribed = new Promise<string>((resolve) =>
      viewer.on(RoomEvent.TrackSubscribed, (_track, _pub, participant) => resolve(participant.identity)),
    );
    expect(await subscribed).toBe(feed.identity);
    const cameraParticipant = [...viewer.remoteParticipants.values()].find(
      (p) => p.identity === feed.identity,
    );
    expect(cameraParticipant?.attributes['scenecast.scene']).toBe('farm');

    // The viewer's publish is refused and nothing reaches the camera's side.
    await expect(publishCamera(viewer)).rejects.toThrow();
    const viewerSeenByCamera = [...camera.remoteParticipants.values()].find(
      (p) => p.identity === viewerGrant.identity,
    );
    expect(viewerSeenByCamera?.trackPublications.size ?? 0).toBe(0);

    // The feed cannot subscribe: it never receives the other camera's track.
    const other = (
      await api.call(
        'POST',
        '/v1/shows/demo/feeds',
        { sceneId: 'factory', label: 'Line', sourceKind: 'synthetic' },
        key,
      )
    ).body;
    const otherGrant = (await api.call('POST', `/v1/feeds/${other.id}/token`, {}, key)).body;
    const otherCamera = await join(otherGrant.url, otherGrant.token);
    const stopOther = await publishCamera(otherCamera);
    let cameraGotTrack = false;
    camera.on(RoomEvent.TrackSubscribed, () => {
      cameraGotTrack = true;
    });
    await waitFor(
      async () =>
        (await api.call('GET', '/v1/shows/demo')).body.scenes.find((s: { id: string }) => s.id === 'factory')
          .live,
      {
        what: 'factory live',
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(cameraGotTrack).toBe(false);

    // Leaving turns the feed offline again.
    stop();
    stopOther();
    await camera.disconnect();
    await waitFor(
      async () =>
        !(await api.call('GET', '/v1/shows/demo')).body.scenes.find((s: { id: string }) => s.id === 'farm')
          .live,
      { what: 'the farm scene to go offline after the camera left' },
    );
  });

  it('a token for one show cannot join another', async () => {
    const grant = (await api.call('POST', '/v1/shows/demo/viewer-token', {})).body;
    const validate = await fetch(`${engine.httpUrl}/rtc/validate?access_token=${grant.token}`);
    expect(validate.status).toBe(200);
    // The room is in the token, not the URL: joining "other-show" with it is impossible; forging fails.
    const forged = grant.token.replace(/\.[^.]+$/, '.invalidsignature');
    const refused = await fetch(`${engine.httpUrl}/rtc/validate?access_token=${forged}`);
    expect(refused.status).toBe(401);
    const room = await join(grant.url, grant.token);
    expect(room.name).toBe('demo');
  });
});
