// The grants matrix at the SFU's door and inside the room.

import { TrackSource as ProtoTrackSource } from '@livekit/protocol';
import { Room, RoomEvent } from '@livekit/rtc-node';
import {
  participantToken,
  publishSyntheticVideo,
  type SignalTap,
  startSignalTap,
  waitFor,
} from '@scenecast/testkit';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type RunningSfu, startSfu } from '../src/index.js';

let sfu: RunningSfu;
// Participants whose publications are refused connect through the tap, to check the SFU's own answer.
let tap: SignalTap;
const rooms: Room[] = [];

beforeAll(async () => {
  sfu = await startSfu({ port: 0 });
  tap = await startSignalTap(sfu.url);
});
afterAll(async () => {
  for (const r of rooms) await r.disconnect().catch(() => undefined);
  await tap?.close();
  await sfu?.close();
});

async function validate(token: string): Promise<number> {
  return (await fetch(`${sfu.httpUrl}/rtc/validate?access_token=${encodeURIComponent(token)}`)).status;
}

/** The HTTP status the WebSocket upgrade is refused with (or 101 when it is accepted). */
function upgradeStatus(token: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${sfu.url}/rtc?access_token=${encodeURIComponent(token)}`);
    ws.on('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => undefined);
  });
}

const publish = (room: Room) => publishSyntheticVideo(room);

/**
 * The SDK's publish is refused by the SFU itself: its addTrack answered NOT_ALLOWED (the SDKs report that
 * only as their own publication timeout, so a server that never answers must not pass), and the attempt fails.
 */
async function expectPublishRefused(room: Room, identity: string): Promise<void> {
  const attempt = publish(room);
  attempt.catch(() => undefined);
  expect(await tap.addTrackAnswer(identity)).toBe('NOT_ALLOWED');
  await expect(attempt).rejects.toThrow(/publication timed out/);
}

describe('admission', () => {
  it('refuses expired, wrongly signed, unknown-key and room-less tokens with 401', async () => {
    const expired = await new SignJWT({ video: { roomJoin: true, room: 'a' }, sub: 'x' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('devkey')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode('secret'));
    const wrongSecret = await participantToken('a', 'x', {}, { secret: 'not-the-secret' });
    const unknownKey = await participantToken('a', 'x', {}, { key: 'otherkey' });
    const noJoin = await participantToken('a', 'x', { roomJoin: false });
    for (const token of [expired, wrongSecret, unknownKey, noJoin, 'garbage']) {
      expect(await validate(token)).toBe(401);
      expect(await upgradeStatus(token)).toBe(401);
    }
    expect(await validate(await participantToken('a', 'x'))).toBe(200);
  });

  it('puts a token into its own room only: the room is in the token, not the URL', async () => {
    const r = new Room();
    rooms.push(r);
    // The URL asks for room-b; an SFU obeying it would put the visitor there.
    await r.connect(`${sfu.url}/?room=room-b`, await participantToken('room-a', 'visitor'));
    expect(r.name).toBe('room-a');
    expect(sfu.rooms.get('room-b')).toBeUndefined();
    const holding = sfu.rooms
      .list()
      .filter((room) => room.participants.has('visitor'))
      .map((room) => room.name);
    expect(holding).toEqual(['room-a']);
  });
});

describe('in the room', () => {
  it('a subscribe-only participant cannot publish, and nothing of it reaches others', async () => {
    const watcher = new Room();
    const viewer = new Room();
    rooms.push(watcher, viewer);
    await watcher.connect(sfu.url, await participantToken('matrix', 'watcher'));
    await viewer.connect(tap.url, await participantToken('matrix', 'viewer', { canPublish: false }));
    let watcherGotTrack = false;
    watcher.on(RoomEvent.TrackSubscribed, () => {
      watcherGotTrack = true;
    });
    await expectPublishRefused(viewer, 'viewer');
    expect(watcherGotTrack).toBe(false);
    expect(sfu.rooms.get('matrix')?.participants.get('viewer')?.tracks.size).toBe(0);
  });

  it('canPublishSources limits what may be published', async () => {
    const mic = new Room();
    rooms.push(mic);
    await mic.connect(
      tap.url,
      await participantToken('sources', 'mic-only', { canPublishSources: [ProtoTrackSource.MICROPHONE] }),
    );
    await expectPublishRefused(mic, 'mic-only');
    expect(sfu.rooms.get('sources')?.participants.get('mic-only')?.tracks.size).toBe(0);
  });

  it('a hidden participant is not announced to others', async () => {
    const seen = new Room();
    const ghost = new Room();
    rooms.push(seen, ghost);
    await seen.connect(sfu.url, await participantToken('hidden', 'seen'));
    await ghost.connect(sfu.url, await participantToken('hidden', 'ghost', { hidden: true }));
    await waitFor(() => sfu.rooms.get('hidden')?.participants.size === 2, { what: 'both joined' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect([...seen.remoteParticipants.keys()]).not.toContain('ghost');
    expect([...ghost.remoteParticipants.keys()]).toContain('seen');
  });

  it('a publisher without canSubscribe receives nothing', async () => {
    const feed = new Room();
    const other = new Room();
    rooms.push(feed, other);
    await feed.connect(sfu.url, await participantToken('nosub', 'feed', { canSubscribe: false }));
    await other.connect(sfu.url, await participantToken('nosub', 'other'));
    const stop = await publish(other);
    let got = false;
    feed.on(RoomEvent.TrackSubscribed, () => {
      got = true;
    });
    await waitFor(() => sfu.rooms.get('nosub')?.participants.get('other')?.tracks.size === 1, {
      what: 'published',
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    stop();
    expect(got).toBe(false);
    expect(sfu.rooms.get('nosub')?.participants.get('feed')?.subscriptions.size).toBe(0);
  });
});
