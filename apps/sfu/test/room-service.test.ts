// livekit-server-sdk's RoomServiceClient and WebhookReceiver against the engine, with participants
// that really joined through @livekit/rtc-node.
import { DataPacket_Kind, TrackSource as ProtoTrackSource } from '@livekit/protocol';
import {
  LocalVideoTrack,
  type RemoteTrack,
  Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
  VideoBufferType,
  VideoFrame,
  VideoSource,
  VideoStream,
} from '@livekit/rtc-node';
import { type RunningEngine, startEngine } from '@scenecast/engine';
import {
  participantToken,
  publishSyntheticVideo,
  receiveWebhooks,
  type WebhookSink,
  waitFor,
} from '@scenecast/testkit';
import { AccessToken, RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let engine: RunningEngine;
let api: RoomServiceClient;
let hooks: WebhookSink;
const joined: Room[] = [];

async function join(room: string, identity: string): Promise<Room> {
  const r = new Room();
  joined.push(r);
  await r.connect(engine.url, await participantToken(room, identity), {
    autoSubscribe: true,
    dynacast: false,
  });
  return r;
}

/** Counts the video frames a room receives, across re-subscriptions: what the engine forwards to it. */
function countFrames(room: Room): { frames: number } {
  const counter = { frames: 0 };
  const count = async (track: RemoteTrack) => {
    if (track.kind !== TrackKind.KIND_VIDEO) return;
    const frames = new VideoStream(track).getReader();
    while (!(await frames.read()).done) counter.frames++;
  };
  for (const participant of room.remoteParticipants.values())
    for (const publication of participant.trackPublications.values())
      if (publication.track) void count(publication.track);
  room.on(RoomEvent.TrackSubscribed, (track) => void count(track));
  return counter;
}

beforeAll(async () => {
  hooks = await receiveWebhooks('devkey', 'secret');
  engine = await startEngine({ webhookUrls: [hooks.url] });
  api = new RoomServiceClient(engine.httpUrl, engine.apiKey, engine.apiSecret);
});

afterAll(async () => {
  for (const r of joined) await r.disconnect().catch(() => undefined);
  await engine?.close();
  hooks?.close();
});

describe('RoomServiceClient', () => {
  it('creates, lists and deletes rooms, and updates room metadata', async () => {
    const created = await api.createRoom({ name: 'api-room', maxParticipants: 5, metadata: 'hello' });
    expect(created.name).toBe('api-room');
    expect(created.maxParticipants).toBe(5);
    expect((await api.listRooms()).map((r) => r.name)).toContain('api-room');
    expect((await api.listRooms(['api-room'])).length).toBe(1);
    const updated = await api.updateRoomMetadata('api-room', 'show starts at 20:00');
    expect(updated.metadata).toBe('show starts at 20:00');
    await api.deleteRoom('api-room');
    expect((await api.listRooms()).map((r) => r.name)).not.toContain('api-room');
  });

  it('lists, gets, updates, mutes, re-subscribes, sends data to and removes participants', async () => {
    const alice = await join('people', 'alice');
    const bob = await join('people', 'bob');
    const stop = await publishSyntheticVideo(alice, { width: 320, height: 180 });
    try {
      const participants = await waitFor(async () => {
        const list = await api.listParticipants('people');
        return list.length === 2 && list.find((p) => p.identity === 'alice')?.tracks.length === 1
          ? list
          : undefined;
      });
      expect(participants.map((p) => p.identity).sort()).toEqual(['alice', 'bob']);
      const trackSid = participants.find((p) => p.identity === 'alice')!.tracks[0]!.sid;

      const info = await api.getParticipant('people', 'bob');
      expect(info.identity).toBe('bob');

      const updated = await api.updateParticipant('people', 'bob', {
        metadata: 'vip',
        name: 'Bob B',
        attributes: { seat: 'A1' },
      });
      expect(updated).toMatchObject({ metadata: 'vip', name: 'Bob B' });
      await waitFor(
        () => [...alice.remoteParticipants.values()].find((p) => p.identity === 'bob')?.metadata === 'vip',
        {
          what: 'alice to see bob’s new metadata',
        },
      );

      // The engine stops and resumes forwarding to bob: seen in the frames bob's client decodes (rtc-node
      // reports a server-made unsubscription only at the next negotiation, on either engine).
      const bobGets = countFrames(bob);
      await waitFor(() => bobGets.frames > 5, { what: 'frames at bob' });
      await api.updateSubscriptions('people', 'bob', [trackSid], false);
      await waitFor(
        async () => {
          const before = bobGets.frames;
          await new Promise((resolve) => setTimeout(resolve, 1000));
          return bobGets.frames === before;
        },
        { what: 'no more frames at bob once unsubscribed' },
      );
      const atUnsubscribe = bobGets.frames;
      await api.updateSubscriptions('people', 'bob', [trackSid], true);
      await waitFor(() => bobGets.frames > atUnsubscribe + 5, {
        what: 'frames at bob once subscribed again',
      });

      // A muted track's media stops at the engine, whatever the publisher still sends; and bob is told:
      // he sees alice's track muted, not just the API's echo. Bob is still in the room throughout.
      const alicesTrackAsBobSees = () =>
        [...bob.remoteParticipants.values()]
          .find((p) => p.identity === 'alice')
          ?.trackPublications.get(trackSid);
      expect(alicesTrackAsBobSees()?.muted).toBe(false);
      const muted = await api.mutePublishedTrack('people', 'alice', trackSid, true);
      expect(muted.muted).toBe(true);
      await waitFor(() => alicesTrackAsBobSees()?.muted === true, { what: "bob to see alice's track muted" });
      expect((await api.getParticipant('people', 'bob')).identity).toBe('bob');
      await waitFor(
        async () => {
          const before = bobGets.frames;
          await new Promise((resolve) => setTimeout(resolve, 1000));
          return bobGets.frames === before;
        },
        { what: 'no more frames at bob once the track is muted' },
      );

      const got = new Promise<{ topic?: string; text: string }>((resolve) =>
        bob.on(RoomEvent.DataReceived, (payload, _p, _kind, topic) =>
          resolve({ topic, text: new TextDecoder().decode(payload) }),
        ),
      );
      await api.sendData('people', new TextEncoder().encode('from the server'), DataPacket_Kind.RELIABLE, {
        destinationIdentities: ['bob'],
        topic: 'notice',
      });
      expect(await got).toEqual({ topic: 'notice', text: 'from the server' });

      await api.removeParticipant('people', 'bob');
      await waitFor(async () => (await api.listParticipants('people')).length === 1, { what: 'bob removed' });
    } finally {
      stop();
    }
  });

  it('refuses calls without the right grant, for another room, or with a bad token', async () => {
    await join('guarded', 'someone');
    const noAdmin = new AccessToken('devkey', 'secret', { identity: 'x' });
    noAdmin.addGrant({ roomJoin: true, room: 'guarded' });
    const response = await fetch(`${engine.httpUrl}/twirp/livekit.RoomService/ListParticipants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await noAdmin.toJwt()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ room: 'guarded' }),
    });
    // LiveKit answers a missing or wrong-room grant with 401 "unauthenticated" (not 403).
    expect(response.status).toBe(401);
    expect((await response.json()).code).toBe('unauthenticated');
    const otherRoom = new AccessToken('devkey', 'secret', { identity: 'x' });
    otherRoom.addGrant({ roomAdmin: true, room: 'elsewhere' });
    const r2 = await fetch(`${engine.httpUrl}/twirp/livekit.RoomService/ListParticipants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await otherRoom.toJwt()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ room: 'guarded' }),
    });
    expect(r2.status).toBe(401);
    const wrongSecret = new RoomServiceClient(engine.httpUrl, 'devkey', 'not-the-secret');
    await expect(wrongSecret.listRooms()).rejects.toMatchObject({ status: 401 });
    const r3 = await fetch(`${engine.httpUrl}/twirp/livekit.RoomService/NoSuchMethod`, {
      method: 'POST',
      body: '{}',
    });
    expect(r3.status).toBe(404);
  });
});

describe('webhooks', () => {
  it('are signed so that WebhookReceiver accepts them, and cover the room and track lifecycle', async () => {
    const r = await join('hooked', 'cam');
    const source = new VideoSource(160, 90);
    const publication = await r.localParticipant!.publishTrack(
      LocalVideoTrack.createVideoTrack('cam', source),
      new TrackPublishOptions({ source: TrackSource.SOURCE_CAMERA }),
    );
    const frame = new Uint8Array(160 * 90 * 4).fill(50);
    const timer = setInterval(
      () => source.captureFrame(new VideoFrame(frame, 160, 90, VideoBufferType.RGBA)),
      100,
    );
    await waitFor(
      () => hooks.events.some((e) => e.event === 'track_published' && e.room?.name === 'hooked'),
      {
        what: 'track_published',
      },
    );
    await r.localParticipant!.unpublishTrack(publication.sid!);
    clearInterval(timer);
    await r.disconnect();
    await api.deleteRoom('hooked');
    const names = await waitFor(
      () => {
        const events = hooks.events.filter((e) => e.room?.name === 'hooked').map((e) => e.event);
        return events.includes('room_finished') ? events : undefined;
      },
      { what: 'room_finished' },
    );
    for (const event of [
      'room_started',
      'participant_joined',
      'track_published',
      'track_unpublished',
      'participant_left',
      'room_finished',
    ]) {
      expect(names).toContain(event);
    }
    const published = hooks.events.find((e) => e.event === 'track_published' && e.room?.name === 'hooked')!;
    expect(published.participant?.identity).toBe('cam');
    expect(published.track?.source).toBe(ProtoTrackSource.CAMERA);
  });
});
