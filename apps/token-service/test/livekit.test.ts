// The tokens we issue, judged by the embedded SFU through the official Node SDK: viewers watch but
// cannot publish, feeds publish but cannot subscribe, a token opens only its own show, and the SFU's
// webhooks turn a feed live and offline. What the SFU holds is read back through its RoomService API.
import { Room, RoomEvent } from '@livekit/rtc-node';
import { type RunningSfu, startSfu } from '@scenecast/sfu';
import { publishSyntheticVideo, type SignalTap, startSignalTap, waitFor } from '@scenecast/testkit';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningTokenService } from '../src/index.js';
import { adminToken, type Client, client, demoShow, sqlite, startTestService } from './helpers.js';

let sfu: RunningSfu;
// Between the viewer's SDK and the SFU, to read the SFU's answer to its publish.
let tap: SignalTap;
let roomService: RoomServiceClient;
let service: RunningTokenService;
let api: Client;
let key: string;
const rooms: Room[] = [];

const publishCamera = (room: Room) => publishSyntheticVideo(room, { width: 320, height: 180 });

/** The identities the SFU holds in `room` (none when the room does not exist). */
async function identitiesIn(room: string): Promise<string[]> {
  const rooms = await roomService.listRooms([room]);
  if (rooms.length === 0) return [];
  return (await roomService.listParticipants(room)).map((p) => p.identity);
}

async function join(url: string, token: string): Promise<Room> {
  const room = new Room();
  rooms.push(room);
  await room.connect(url, token, { autoSubscribe: true, dynacast: false });
  return room;
}

beforeAll(async () => {
  // The SFU calls our webhook endpoint; the token service points its LIVEKIT_URL at the SFU.
  const port = 21_000 + Math.floor(Math.random() * 20_000);
  sfu = await startSfu({
    port: 0,
    webhook: { urls: [`http://127.0.0.1:${port}/v1/livekit/webhook`], apiKey: 'devkey' },
  });
  tap = await startSignalTap(sfu.url);
  roomService = new RoomServiceClient(sfu.httpUrl, 'devkey', 'secret');
  // SQLite is enough here: what is judged is the tokens and webhooks, and test/api.test.ts runs the
  // webhook endpoint's storage on both engines.
  service = await startTestService(sqlite, {
    port,
    livekit: { url: sfu.url, apiKey: 'devkey', apiSecret: 'secret' },
  });
  api = client(service.url);
  key = (await api.call('POST', '/v1/brands', { name: 'Integration' }, adminToken)).body.apiKey;
  await api.call('POST', '/v1/shows', demoShow, key);
  await api.call('POST', '/v1/shows', { ...demoShow, id: 'other-show' }, key);
});

afterAll(async () => {
  for (const room of rooms) await room.disconnect().catch(() => undefined);
  await tap?.close();
  await sfu?.close();
  await service?.close();
});

describe('tokens against the embedded SFU', () => {
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
    expect(viewerGrant.url).toBe(sfu.url);
    const viewer = await join(tap.url, viewerGrant.token);
    const subscribed = new Promise<string>((resolve) =>
      viewer.on(RoomEvent.TrackSubscribed, (_track, _pub, participant) => resolve(participant.identity)),
    );
    expect(await subscribed).toBe(feed.identity);
    const cameraParticipant = [...viewer.remoteParticipants.values()].find(
      (p) => p.identity === feed.identity,
    );
    expect(cameraParticipant?.attributes['scenecast.scene']).toBe('farm');

    // The viewer's publish is refused by the SFU (NOT_ALLOWED; the SDK reports its own timeout), and after
    // those ten seconds — far longer than the camera's track took — the SFU holds no track of the viewer.
    const attempt = publishCamera(viewer);
    attempt.catch(() => undefined);
    expect(await tap.addTrackAnswer(viewerGrant.identity)).toBe('NOT_ALLOWED');
    await expect(attempt).rejects.toThrow(/publication timed out/);
    const held = await roomService.listParticipants('demo');
    expect(held.map((p) => p.identity)).toContain(viewerGrant.identity);
    expect(held.find((p) => p.identity === viewerGrant.identity)?.tracks).toEqual([]);
    expect(held.find((p) => p.identity === feed.identity)?.tracks).toHaveLength(1);

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
    // The URL asks for the other show: the SDK lands in the token's show, and the SFU agrees.
    const viaUrl = await join(`${grant.url}/?room=other-show`, grant.token);
    expect(viaUrl.name).toBe('demo');
    expect(await identitiesIn('demo')).toContain(grant.identity);
    expect(await identitiesIn('other-show')).not.toContain(grant.identity);
    await viaUrl.disconnect();

    // The token rewritten to name the other show (its signature kept): the SFU refuses it with 401.
    const [header, payload, signature] = grant.token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = [
      header,
      Buffer.from(JSON.stringify({ ...claims, video: { ...claims.video, room: 'other-show' } })).toString(
        'base64url',
      ),
      signature,
    ].join('.');
    await expect(join(grant.url, forged)).rejects.toThrow(
      /401 Unauthorized - invalid access token signature/,
    );
    expect(await identitiesIn('other-show')).not.toContain(grant.identity);

    // The other show is open to its own tokens: the refusals above are about the token, not the show.
    const own = (await api.call('POST', '/v1/shows/other-show/viewer-token', {})).body;
    const room = await join(own.url, own.token);
    expect(room.name).toBe('other-show');
    expect(await identitiesIn('other-show')).toEqual([own.identity]);
  });
});
