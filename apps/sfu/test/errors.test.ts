// One error model, answered at each edge in its own terms: an HTTP status on /rtc and /rtc/validate, a
// Twirp error from RoomService, a RequestResponse on the signalling socket. A refused request changes nothing.
import {
  AddTrackRequest,
  RequestResponse_Reason,
  SignalRequest,
  SignalResponse,
  TrackSource,
  TrackType,
  UpdateParticipantMetadata,
} from '@livekit/protocol';
import { devKey, devSecret, participantToken, waitFor } from '@scenecast/testkit';
import { SignJWT } from 'jose';
import { RoomServiceClient, type VideoGrant } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type RunningSfu, startSfu } from '../src/index.js';

let sfu: RunningSfu;
let api: RoomServiceClient;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  sfu = await startSfu({ port: 0 });
  api = new RoomServiceClient(sfu.httpUrl, devKey, devSecret);
});
afterAll(async () => {
  for (const ws of sockets) ws.terminate();
  await sfu?.close();
});

async function validate(token: string): Promise<[number, string]> {
  const response = await fetch(`${sfu.httpUrl}/rtc/validate?access_token=${encodeURIComponent(token)}`);
  return [response.status, await response.text()];
}

/** A raw signalling session: what the SFU sends, and requests to it. */
async function session(room: string, identity: string, grant: Partial<VideoGrant> = {}) {
  const ws = new WebSocket(`${sfu.url}/rtc?access_token=${await participantToken(room, identity, grant)}`);
  sockets.push(ws);
  const messages: SignalResponse['message'][] = [];
  ws.on('message', (data) =>
    messages.push(SignalResponse.fromBinary(new Uint8Array(data as Buffer)).message),
  );
  const send = (message: SignalRequest['message']) => ws.send(new SignalRequest({ message }).toBinary());
  await waitFor(() => messages.some((m) => m.case === 'join'), { what: `${identity} joined` });
  return { messages, send };
}

type Session = Awaited<ReturnType<typeof session>>;

/** Sends a metadata update and returns the answer to its request id. */
async function updateMetadata(s: Session, requestId: number, update: Partial<UpdateParticipantMetadata>) {
  s.send({ case: 'updateMetadata', value: new UpdateParticipantMetadata({ requestId, ...update }) });
  const answer = await waitFor(
    () => s.messages.find((m) => m.case === 'requestResponse' && m.value.requestId === requestId),
    { what: `an answer to request ${requestId}` },
  );
  if (answer.case !== 'requestResponse') throw new Error('unreachable');
  return { reason: answer.value.reason, message: answer.value.message };
}

const nameOf = async (room: string, identity: string) => (await api.getParticipant(room, identity)).name;

describe('/rtc and /rtc/validate', () => {
  it('tells an expired token from a wrongly signed one (401 both)', async () => {
    const expired = await new SignJWT({ video: { roomJoin: true, room: 'a' }, sub: 'x' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(devKey)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(devSecret));
    expect(await validate(expired)).toEqual([401, 'access token expired']);
    const forged = await participantToken('a', 'x', {}, { secret: 'not-the-secret' });
    expect(await validate(forged)).toEqual([401, 'invalid access token signature']);
  });

  it('refuses a full room with 403, at validate and at the socket', async () => {
    await api.createRoom({ name: 'full', maxParticipants: 1 });
    await session('full', 'first');
    const token = await participantToken('full', 'second');
    expect(await validate(token)).toEqual([403, 'room is full: max participants reached']);
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${sfu.url}/rtc?access_token=${token}`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(403);
  });
});

describe('signalling', () => {
  it('answers a metadata update without the right NOT_ALLOWED, and changes nothing', async () => {
    const s = await session('meta', 'plain', { canUpdateOwnMetadata: false });
    expect(await updateMetadata(s, 1, { name: 'New name' })).toEqual({
      reason: RequestResponse_Reason.NOT_ALLOWED,
      message: 'does not have permission to update own metadata',
    });
    expect(await nameOf('meta', 'plain')).toBe('');
  });

  it('answers an over-long name LIMIT_EXCEEDED and changes nothing; a valid update OK', async () => {
    const s = await session('meta', 'editor', { canUpdateOwnMetadata: true });
    expect(await updateMetadata(s, 2, { name: 'n'.repeat(257), metadata: 'kept?' })).toEqual({
      reason: RequestResponse_Reason.LIMIT_EXCEEDED,
      message: 'exceeds name length limit',
    });
    expect((await api.getParticipant('meta', 'editor')).metadata).toBe('');
    expect(await updateMetadata(s, 3, { name: 'Editor', attributes: { a: '1' } })).toEqual({
      reason: RequestResponse_Reason.OK,
      message: '',
    });
    const info = await api.getParticipant('meta', 'editor');
    expect([info.name, info.attributes]).toEqual(['Editor', { a: '1' }]);
  });

  it('answers a track of a source the token does not allow NOT_ALLOWED', async () => {
    const s = await session('sources', 'mic', { canPublishSources: [TrackSource.MICROPHONE] });
    const value = new AddTrackRequest({ cid: 'c1', type: TrackType.VIDEO, source: TrackSource.CAMERA });
    s.send({ case: 'addTrack', value });
    const answer = await waitFor(() => s.messages.find((m) => m.case === 'requestResponse'), {
      what: 'the refusal',
    });
    expect(answer.value).toMatchObject({
      reason: RequestResponse_Reason.NOT_ALLOWED,
      message: 'not allowed to publish this source',
      request: { case: 'addTrack' },
    });
  });
});

describe('RoomService (Twirp)', () => {
  const post = async (method: string, body: object) => {
    const token = await participantToken('meta', 'admin', { roomAdmin: true });
    const response = await fetch(`${sfu.httpUrl}/twirp/livekit.RoomService/${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return [response.status, await response.json()];
  };

  it('answers an over-long name resource_exhausted (429), through the same check as signalling', async () => {
    await session('meta', 'target');
    expect(
      await post('UpdateParticipant', { room: 'meta', identity: 'target', name: 'n'.repeat(300) }),
    ).toEqual([429, { code: 'resource_exhausted', msg: 'exceeds name length limit' }]);
    expect(await nameOf('meta', 'target')).toBe('');
  });

  it('answers malformed bodies, unknown participants and unknown methods in Twirp terms', async () => {
    expect((await post('GetParticipant', { room: 'meta', identity: 'nobody' }))[0]).toBe(404);
    expect(await post('GetParticipant', { room: 7 })).toMatchObject([400, { code: 'malformed' }]);
    expect(await post('NoSuchMethod', {})).toEqual([
      404,
      { code: 'bad_route', msg: 'no such method: NoSuchMethod' },
    ]);
  });
});
