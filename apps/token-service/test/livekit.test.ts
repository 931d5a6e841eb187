// The tokens we issue, judged by the engine (either) through the official Node SDK: viewers watch but
// cannot publish, feeds publish but cannot subscribe, a token opens only its own show, the engine's
// webhooks turn a feed live and offline, and the studio's host chats with viewers. What the engine holds is
// read back through its RoomService API.
import { DisconnectReason, Room, RoomEvent } from '@livekit/rtc-node';
import { attributes, chatTopic, roles, type ScenecastClient } from '@scenecast/contract';
import { devKeys, type RunningEngine, startEngine } from '@scenecast/engine';
import { publishSyntheticVideo, type SignalTap, startSignalTap, waitFor } from '@scenecast/testkit';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningTokenService } from '../src/index.js';
import { adminToken, apiClient, demoShow, sqlite, startTestService } from './helpers.js';

let engine: RunningEngine;
// Between the viewer's SDK and the SFU, to read the SFU's answer to its publish.
let tap: SignalTap;
let roomService: RoomServiceClient;
let service: RunningTokenService;
let brand: ScenecastClient;
const rooms: Room[] = [];

const publishCamera = (room: Room) => publishSyntheticVideo(room, { width: 320, height: 180 });

/** The identities the SFU holds in `room` (none when the room does not exist). */
async function identitiesIn(room: string): Promise<string[]> {
  const rooms = await roomService.listRooms([room]);
  if (rooms.length === 0) return [];
  return (await roomService.listParticipants(room)).map((p) => p.identity);
}

const sceneLive = async (sceneId: string) =>
  (await brand.getShow('demo')).scenes.find((s) => s.id === sceneId)!.live;

async function join(url: string, token: string): Promise<Room> {
  const room = new Room();
  rooms.push(room);
  await room.connect(url, token, { autoSubscribe: true, dynacast: false });
  return room;
}

beforeAll(async () => {
  // The service first, so the engine can be given its webhook URL; then the service learns the engine's URL.
  // SQLite is enough here: what is judged is the tokens and webhooks, and test/api.test.ts runs the
  // webhook endpoint's storage on both engines.
  service = await startTestService(sqlite, { livekit: { url: '', ...devKeys } });
  engine = await startEngine({ webhookUrls: [`${service.url}/v1/livekit/webhook`] });
  service.setLivekitUrl(engine.url);
  tap = await startSignalTap(engine.url);
  roomService = new RoomServiceClient(engine.httpUrl, engine.apiKey, engine.apiSecret);
  const { apiKey } = await apiClient(service, adminToken).createBrand({ name: 'Integration' });
  brand = apiClient(service, apiKey);
  await brand.createShow(demoShow);
  await brand.createShow({ ...demoShow, id: 'other-show' });
});

afterAll(async () => {
  for (const room of rooms) await room.disconnect().catch(() => undefined);
  await tap?.close();
  await engine?.close();
  await service?.close();
});

describe('tokens against the engine', () => {
  it('a feed publishes its scene (live via webhook), cannot subscribe; a viewer receives it but cannot publish', async () => {
    const feed = await brand.addFeed('demo', {
      sceneId: 'farm',
      label: 'Farm phone',
      sourceKind: 'synthetic',
    });
    const feedGrant = await brand.feedToken(feed.id);
    const camera = await join(feedGrant.url, feedGrant.token);
    const stop = await publishCamera(camera);

    await waitFor(() => sceneLive('farm'), {
      what: 'the farm scene to turn live from the track_published webhook',
    });

    const viewerGrant = await brand.viewerToken('demo', { name: 'Mei' });
    expect(viewerGrant.url).toBe(engine.url);
    const viewer = await join(tap.url, viewerGrant.token);
    const subscribed = new Promise<string>((resolve) =>
      viewer.on(RoomEvent.TrackSubscribed, (_track, _pub, participant) => resolve(participant.identity)),
    );
    expect(await subscribed).toBe(feed.identity);
    const cameraParticipant = [...viewer.remoteParticipants.values()].find(
      (p) => p.identity === feed.identity,
    );
    expect(cameraParticipant?.attributes[attributes.scene]).toBe('farm');

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
    const other = await brand.addFeed('demo', { sceneId: 'factory', label: 'Line', sourceKind: 'synthetic' });
    const otherGrant = await brand.feedToken(other.id);
    const otherCamera = await join(otherGrant.url, otherGrant.token);
    const stopOther = await publishCamera(otherCamera);
    let cameraGotTrack = false;
    camera.on(RoomEvent.TrackSubscribed, () => {
      cameraGotTrack = true;
    });
    await waitFor(() => sceneLive('factory'), { what: 'factory live' });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(cameraGotTrack).toBe(false);

    // Leaving turns the feed offline again.
    stop();
    stopOther();
    await camera.disconnect();
    await waitFor(async () => !(await sceneLive('farm')), {
      what: 'the farm scene to go offline after the camera left',
    });
  });

  it("the studio's feed is the host: viewers see its role and read its chat; another camera cannot chat", async () => {
    const host = await brand.addFeed('demo', {
      sceneId: 'studio',
      label: 'Host phone',
      sourceKind: 'browser',
    });
    const line = await brand.addFeed('demo', { sceneId: 'factory', label: 'Line 2', sourceKind: 'browser' });
    const viewerGrant = await brand.viewerToken('demo');
    const viewer = await join(viewerGrant.url, viewerGrant.token);
    const messages: Array<{ from: string; text: string }> = [];
    viewer.registerTextStreamHandler(chatTopic, async (reader, from) => {
      messages.push({ from: from.identity, text: await reader.readAll() });
    });
    const hostGrant = await brand.feedToken(host.id);
    const hostRoom = await join(hostGrant.url, hostGrant.token);
    const lineGrant = await brand.feedToken(line.id);
    const lineRoom = await join(lineGrant.url, lineGrant.token);

    await hostRoom.localParticipant!.sendText('Welcome to the tasting!', { topic: chatTopic });
    await lineRoom.localParticipant!.sendText('not allowed', { topic: chatTopic }).catch(() => undefined);
    await waitFor(() => messages.length > 0, { what: "the host's message at the viewer" });
    await new Promise((resolve) => setTimeout(resolve, 1000)); // time for a refused message to arrive anyway
    expect(messages).toEqual([{ from: host.identity, text: 'Welcome to the tasting!' }]);
    // LiveKit batches participant updates: a newcomer's data can arrive before the update that names it.
    const roleOf = (identity: string) => viewer.remoteParticipants.get(identity)?.attributes[attributes.role];
    await waitFor(() => roleOf(host.identity) && roleOf(line.identity), {
      what: 'both feeds known to the viewer',
    });
    expect(roleOf(host.identity)).toBe(roles.host);
    expect(roleOf(line.identity)).toBe(roles.camera);
    await hostRoom.disconnect();
    await lineRoom.disconnect();
    await viewer.disconnect();
  });

  it("rotating a feed's key disconnects its camera, and its old token and publish links no longer get in", async () => {
    const feed = await brand.addFeed('demo', { sceneId: 'farm', label: 'Rotated', sourceKind: 'browser' });
    const oldGrant = await brand.feedToken(feed.id);
    const link = await brand.publishLink(feed.id);
    const camera = await join(oldGrant.url, oldGrant.token);
    let reason: number | undefined;
    camera.on(RoomEvent.Disconnected, (r) => {
      reason = r;
    });
    await waitFor(async () => (await identitiesIn('demo')).includes(feed.identity), {
      what: 'the camera in',
    });

    const rotated = await brand.rotateFeedKey(feed.id);
    expect(rotated).toMatchObject({ id: feed.id, live: false });
    expect(rotated.identity).not.toBe(feed.identity);
    // RemoveParticipant: the engine drops the camera and says why.
    await waitFor(async () => !(await identitiesIn('demo')).includes(feed.identity), {
      what: 'the camera removed by the rotation',
    });
    await waitFor(() => reason === DisconnectReason.PARTICIPANT_REMOVED, { what: 'PARTICIPANT_REMOVED' });
    // The publish link is gone; a new token carries the new identity.
    await expect(apiClient(service).publishToken(link.url.split('#')[1]!)).rejects.toMatchObject({
      status: 404,
    });
    expect((await brand.feedToken(feed.id)).identity).toBe(rotated.identity);
    // The old token still passes the engine's signature check (it has minutes to live), but the webhook of
    // its join finds the feed under another identity now and removes it.
    // Removed while it connects, or right after: either way it does not stay.
    const stale = new Room();
    rooms.push(stale);
    let staleGone = false;
    stale.on(RoomEvent.Disconnected, () => {
      staleGone = true;
    });
    await stale.connect(oldGrant.url, oldGrant.token, { autoSubscribe: false, dynacast: false }).then(
      () => waitFor(() => staleGone, { what: 'the old token removed after joining', timeoutMs: 20_000 }),
      (error: Error) => expect(error.message).toMatch(/connection|removed|timed out/),
    );
    expect(await identitiesIn('demo')).not.toContain(feed.identity);
    // Another brand cannot rotate it.
    const { apiKey } = await apiClient(service, adminToken).createBrand({ name: 'Stranger' });
    await expect(apiClient(service, apiKey).rotateFeedKey(feed.id)).rejects.toMatchObject({ status: 404 });
  });

  it('a token for one show cannot join another', async () => {
    const grant = await brand.viewerToken('demo');
    // The URL asks for the other show: the SDK lands in the token's show, and the SFU agrees.
    const viaUrl = await join(`${grant.url}/?room=other-show`, grant.token);
    expect(viaUrl.name).toBe('demo');
    expect(await identitiesIn('demo')).toContain(grant.identity);
    expect(await identitiesIn('other-show')).not.toContain(grant.identity);
    await viaUrl.disconnect();

    // The token rewritten to name the other show (its signature kept): the SFU refuses it with 401.
    const [header, payload, signature] = grant.token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const forged = [
      header,
      Buffer.from(JSON.stringify({ ...claims, video: { ...claims.video, room: 'other-show' } })).toString(
        'base64url',
      ),
      signature,
    ].join('.');
    await expect(join(grant.url, forged)).rejects.toThrow(/401/);
    expect(await identitiesIn('other-show')).not.toContain(grant.identity);

    // The other show is open to its own tokens: the refusals above are about the token, not the show.
    const own = await brand.viewerToken('other-show');
    const room = await join(own.url, own.token);
    expect(room.name).toBe('other-show');
    expect(await identitiesIn('other-show')).toEqual([own.identity]);
  });
});
