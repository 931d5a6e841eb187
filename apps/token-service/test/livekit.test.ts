// The tokens we issue, judged by the embedded SFU through the official Node SDK: viewers watch but
// cannot publish, feeds publish but cannot subscribe, the studio's host chats with viewers, a token opens
// only its own show, and the SFU's webhooks turn a feed live and offline.
import { Room, RoomEvent } from '@livekit/rtc-node';
import { attributes, chatTopic, roles, type ScenecastClient } from '@scenecast/contract';
import { type RunningSfu, startSfu } from '@scenecast/sfu';
import { publishSyntheticVideo, waitFor } from '@scenecast/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningTokenService } from '../src/index.js';
import { adminToken, apiClient, demoShow, sqlite, startTestService } from './helpers.js';

let sfu: RunningSfu;
let service: RunningTokenService;
let brand: ScenecastClient;
const rooms: Room[] = [];

const publishCamera = (room: Room) => publishSyntheticVideo(room, { width: 320, height: 180 });

async function join(url: string, token: string): Promise<Room> {
  const room = new Room();
  rooms.push(room);
  await room.connect(url, token, { autoSubscribe: true, dynacast: false });
  return room;
}

const sceneLive = async (sceneId: string) =>
  (await brand.getShow('demo')).scenes.find((s) => s.id === sceneId)!.live;

beforeAll(async () => {
  // The service first, so the SFU can be given its webhook URL; then the service learns the SFU's URL.
  // SQLite is enough here: what is judged is the tokens and webhooks, and test/api.test.ts runs the
  // webhook endpoint's storage on both engines.
  service = await startTestService(sqlite, { livekit: { url: '', apiKey: 'devkey', apiSecret: 'secret' } });
  sfu = await startSfu({
    port: 0,
    webhook: { urls: [`${service.url}/v1/livekit/webhook`], apiKey: 'devkey' },
  });
  service.setLivekitUrl(sfu.url);
  const { apiKey } = await apiClient(service, adminToken).createBrand({ name: 'Integration' });
  brand = apiClient(service, apiKey);
  await brand.createShow(demoShow);
  await brand.createShow({ ...demoShow, id: 'other-show' });
});

afterAll(async () => {
  for (const room of rooms) await room.disconnect().catch(() => undefined);
  await sfu?.close();
  await service?.close();
});

describe('tokens against the embedded SFU', () => {
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
    const viewer = await join(viewerGrant.url, viewerGrant.token);
    const subscribed = new Promise<string>((resolve) =>
      viewer.on(RoomEvent.TrackSubscribed, (_track, _pub, participant) => resolve(participant.identity)),
    );
    expect(await subscribed).toBe(feed.identity);
    const cameraParticipant = [...viewer.remoteParticipants.values()].find(
      (p) => p.identity === feed.identity,
    );
    expect(cameraParticipant?.attributes[attributes.scene]).toBe('farm');

    // The viewer's publish is refused and nothing reaches the camera's side.
    await expect(publishCamera(viewer)).rejects.toThrow();
    const viewerSeenByCamera = [...camera.remoteParticipants.values()].find(
      (p) => p.identity === viewerGrant.identity,
    );
    expect(viewerSeenByCamera?.trackPublications.size ?? 0).toBe(0);

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
    const seen = viewer.remoteParticipants.get(host.identity)!;
    expect(seen.attributes[attributes.role]).toBe(roles.host);
    expect(viewer.remoteParticipants.get(line.identity)!.attributes[attributes.role]).toBe(roles.camera);
    await hostRoom.disconnect();
    await lineRoom.disconnect();
    await viewer.disconnect();
  });

  it('a token for one show cannot join another', async () => {
    const grant = await brand.viewerToken('demo');
    const validate = await fetch(`${sfu.url.replace('ws', 'http')}/rtc/validate?access_token=${grant.token}`);
    expect(validate.status).toBe(200);
    // The room is in the token, not the URL: joining "other-show" with it is impossible; forging fails.
    const forged = grant.token.replace(/\.[^.]+$/, '.invalidsignature');
    const refused = await fetch(`${sfu.url.replace('ws', 'http')}/rtc/validate?access_token=${forged}`);
    expect(refused.status).toBe(401);
    const room = await join(grant.url, grant.token);
    expect(room.name).toBe('demo');
  });
});
