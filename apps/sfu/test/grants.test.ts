// The grants matrix at the SFU's door and inside the room.

import { TrackSource as ProtoTrackSource } from '@livekit/protocol';
import { Room, RoomEvent } from '@livekit/rtc-node';
import { type RunningEngine, startEngine } from '@scenecast/engine';
import {
  participantToken,
  publishSyntheticVideo,
  type SignalTap,
  startSignalTap,
  waitFor,
} from '@scenecast/testkit';
import { SignJWT } from 'jose';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

let engine: RunningEngine;
let api: RoomServiceClient;
// Participants whose publications are refused connect through the tap, to check the engine's own answer.
let tap: SignalTap;
const rooms: Room[] = [];

beforeAll(async () => {
  engine = await startEngine();
  api = new RoomServiceClient(engine.httpUrl, engine.apiKey, engine.apiSecret);
  tap = await startSignalTap(engine.url);
});
afterAll(async () => {
  for (const r of rooms) await r.disconnect().catch(() => undefined);
  await tap?.close();
  await engine?.close();
});

async function validate(token: string): Promise<number> {
  return (await fetch(`${engine.httpUrl}/rtc/validate?access_token=${encodeURIComponent(token)}`)).status;
}

/** The HTTP status the WebSocket upgrade is refused with (or 101 when it is accepted). */
function upgradeStatus(token: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${engine.url}/rtc?access_token=${encodeURIComponent(token)}`);
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
 * The SDK's publish is refused by the engine itself: its addTrack answered NOT_ALLOWED (the SDKs report that
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
    // The URL asks for room-b; an engine obeying it would put the visitor there.
    await r.connect(`${engine.url}/?room=room-b`, await participantToken('room-a', 'visitor'));
    expect(r.name).toBe('room-a');
    expect(await api.listRooms(['room-b'])).toEqual([]);
    expect((await api.listParticipants('room-a')).map((p) => p.identity)).toEqual(['visitor']);
  });
});

describe('in the room', () => {
  it('a subscribe-only participant cannot publish, and nothing of it reaches others', async () => {
    const watcher = new Room();
    const viewer = new Room();
    rooms.push(watcher, viewer);
    await watcher.connect(engine.url, await participantToken('matrix', 'watcher'));
    await viewer.connect(tap.url, await participantToken('matrix', 'viewer', { canPublish: false }));
    let watcherGotTrack = false;
    watcher.on(RoomEvent.TrackSubscribed, () => {
      watcherGotTrack = true;
    });
    await expectPublishRefused(viewer, 'viewer');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(watcherGotTrack).toBe(false);
    expect((await api.getParticipant('matrix', 'viewer')).tracks).toEqual([]);
  });

  it('canPublishSources limits what may be published', async () => {
    const mic = new Room();
    rooms.push(mic);
    await mic.connect(
      tap.url,
      await participantToken('sources', 'mic-only', { canPublishSources: [ProtoTrackSource.MICROPHONE] }),
    );
    await expectPublishRefused(mic, 'mic-only');
    expect((await api.getParticipant('sources', 'mic-only')).tracks).toEqual([]);
  });

  it('a hidden participant is not announced to others', async () => {
    const seen = new Room();
    const ghost = new Room();
    rooms.push(seen, ghost);
    await seen.connect(engine.url, await participantToken('hidden', 'seen'));
    await ghost.connect(engine.url, await participantToken('hidden', 'ghost', { hidden: true }));
    await waitFor(async () => (await api.listParticipants('hidden')).length === 2, { what: 'both joined' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect([...seen.remoteParticipants.keys()]).not.toContain('ghost');
    expect([...ghost.remoteParticipants.keys()]).toContain('seen');
  });

  it('a publisher without canSubscribe receives nothing', async () => {
    const feed = new Room();
    const other = new Room();
    rooms.push(feed, other);
    await feed.connect(engine.url, await participantToken('nosub', 'feed', { canSubscribe: false }));
    await other.connect(engine.url, await participantToken('nosub', 'other'));
    const stop = await publish(other);
    let got = false;
    feed.on(RoomEvent.TrackSubscribed, () => {
      got = true;
    });
    await waitFor(async () => (await api.getParticipant('nosub', 'other')).tracks.length === 1, {
      what: 'published',
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    stop();
    expect(got).toBe(false);
  });
});
