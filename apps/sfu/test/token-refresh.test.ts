// Long sessions outlive their token: the SFU hands connected clients a fresh one (LiveKit's refreshToken)
// with the same identity and rights, so their reconnects keep working. Issue #18: refreshing a token that
// carried `canPublishSources` (every feed camera) threw inside a timer and took the whole SFU down.
import { AddTrackRequest, SignalRequest, SignalResponse, TrackSource, TrackType } from '@livekit/protocol';
import type { SceneKind } from '@scenecast/contract';
import { feedGrant, type Grant, viewerGrant } from '@scenecast/contract/grants';
import { devKey, devSecret, waitFor } from '@scenecast/testkit';
import { decodeJwt } from 'jose';
import {
  AccessToken,
  type ClaimGrants,
  RoomServiceClient,
  TokenVerifier,
  type VideoGrant,
} from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type RunningSfu, startSfu } from '../src/index.js';

let sfu: RunningSfu;

beforeAll(async () => {
  sfu = await startSfu({ port: 0, session: { tokenRefreshMs: 300 } });
});
afterAll(() => sfu?.close());

interface Kind {
  name: string;
  identity: string;
  grant: VideoGrant;
  /** Claims besides the video grant, as the token's minter set them. */
  extra?: { name?: string; metadata?: string; attributes?: Record<string, string>; kind?: string };
  /** A source this participant may publish, and one it may not (undefined: may publish none). */
  allowed?: TrackSource;
  refused: TrackSource;
}

/** A kind from one of the grants scenecast issues (its room is the test's). */
function issued(name: string, grant: Grant, allowed: TrackSource | undefined, refused: TrackSource): Kind {
  const { room: _room, roomJoin: _join, ...video } = grant.video;
  return {
    name,
    identity: grant.identity,
    grant: video,
    extra: { name: grant.name, attributes: grant.attributes },
    allowed,
    refused,
  };
}

const feed = (sceneId: string, sceneKind: SceneKind) => ({
  id: `f-${sceneId}`,
  showId: 'show',
  sceneId,
  sceneKind,
  identity: `feed-${sceneId}`,
  label: `${sceneId} cam`,
});

// The grants scenecast's token service issues (the contract's), and one carrying every field a LiveKit
// grant can hold.
const kinds: Kind[] = [
  issued('viewer', viewerGrant('show', 'viewer-1'), undefined, TrackSource.CAMERA),
  issued(
    'studio feed (the host: camera, microphone and chat)',
    feedGrant(feed('studio', 'studio')),
    TrackSource.CAMERA,
    TrackSource.SCREEN_SHARE,
  ),
  issued(
    'brand preview feed (camera and microphone, subscribes)',
    feedGrant(feed('farm', 'farm'), { preview: true }),
    TrackSource.CAMERA,
    TrackSource.SCREEN_SHARE,
  ),
  {
    name: 'every grant field',
    identity: 'agent-1',
    grant: {
      roomCreate: false,
      roomList: false,
      roomRecord: false,
      roomAdmin: true,
      ingressAdmin: false,
      canPublish: true,
      canPublishSources: [TrackSource.SCREEN_SHARE, TrackSource.SCREEN_SHARE_AUDIO],
      canSubscribe: true,
      canPublishData: true,
      canUpdateOwnMetadata: true,
      hidden: true,
      recorder: false,
      agent: true,
      canSubscribeMetrics: true,
      destinationRoom: 'elsewhere',
    },
    extra: { name: 'Agent', metadata: '{"a":1}', attributes: { k: 'v' }, kind: 'agent' },
    allowed: TrackSource.SCREEN_SHARE,
    refused: TrackSource.CAMERA,
  },
];

async function mint(kind: Kind, room: string): Promise<string> {
  const token = new AccessToken(devKey, devSecret, {
    identity: kind.identity,
    ttl: 60,
    name: kind.extra?.name,
    metadata: kind.extra?.metadata,
    attributes: kind.extra?.attributes,
  });
  if (kind.extra?.kind) token.kind = kind.extra.kind as never;
  token.addGrant({ roomJoin: true, room, ...kind.grant });
  return token.toJwt();
}

/** A raw signalling session: what the SFU sends, and requests to it. */
function connect(token: string) {
  const ws = new WebSocket(`${sfu.url}/rtc?access_token=${token}`);
  const messages: SignalResponse['message'][] = [];
  ws.on('message', (data) =>
    messages.push(SignalResponse.fromBinary(new Uint8Array(data as Buffer)).message),
  );
  const send = (message: SignalRequest['message']) => ws.send(new SignalRequest({ message }).toBinary());
  return { ws, messages, send };
}

/** Asks to publish a source and returns whether the SFU accepted it. */
async function tryPublish(session: ReturnType<typeof connect>, source: TrackSource): Promise<boolean> {
  const cid = `cid-${source}-${Math.random()}`;
  session.send({
    case: 'addTrack',
    value: new AddTrackRequest({ cid, name: 'cam', type: TrackType.VIDEO, source, width: 640, height: 360 }),
  });
  const answer = await waitFor(
    () =>
      session.messages.find(
        (m) =>
          (m.case === 'trackPublished' && m.value.cid === cid) ||
          (m.case === 'requestResponse' &&
            m.value.request.case === 'addTrack' &&
            m.value.request.value.cid === cid),
      ),
    { what: `an answer to addTrack(${TrackSource[source]})` },
  );
  return answer.case === 'trackPublished';
}

/** The claims a participant's rights and identity live in; lifetime claims (exp, nbf) change by design. */
function rightsOf(claims: ClaimGrants & Record<string, unknown>) {
  const { exp: _exp, nbf: _nbf, iat: _iat, jti: _jti, ...rest } = claims;
  return rest;
}

describe('token refresh', () => {
  for (const kind of kinds) {
    it(`${kind.name}: the refreshed token carries the same claims, and a reconnect with it keeps the rights`, async () => {
      const room = `refresh-${kind.identity}`;
      const original = await mint(kind, room);
      const first = connect(original);
      const fresh = await waitFor(
        () => first.messages.find((m) => m.case === 'refreshToken')?.value as string | undefined,
        { what: 'a refreshToken message' },
      );
      // The refresh timer fired without taking the server down; it keeps running and refreshing.
      await waitFor(() => first.messages.filter((m) => m.case === 'refreshToken').length >= 2, {
        what: 'a second refreshToken',
      });
      first.ws.terminate();

      expect(fresh).not.toBe(original);
      const before = decodeJwt(original) as ClaimGrants & Record<string, unknown>;
      const after = (await new TokenVerifier(devKey, devSecret).verify(fresh)) as ClaimGrants &
        Record<string, unknown>;
      expect(rightsOf(after)).toEqual(rightsOf(before));
      expect(after.video).toEqual(before.video);
      expect(after.exp).toBeGreaterThan(Math.floor(Date.now() / 1000));

      // Rejoin with the refreshed token only: the server sees the same participant with the same rights.
      const second = connect(fresh);
      const join = await waitFor(() => second.messages.find((m) => m.case === 'join'), {
        what: 'a join with the refreshed token',
      });
      if (join.case !== 'join') throw new Error('unreachable');
      const permission = join.value.participant?.permission;
      expect(join.value.participant?.identity).toBe(kind.identity);
      expect(join.value.participant?.attributes).toEqual(kind.extra?.attributes ?? {});
      expect(permission?.canSubscribe).toBe(kind.grant.canSubscribe ?? true);
      expect(permission?.canPublishData).toBe(kind.grant.canPublishData ?? true);
      expect(permission?.hidden).toBe(kind.grant.hidden ?? false);
      expect(permission?.canPublishSources).toEqual(kind.grant.canPublishSources ?? []);
      if (kind.allowed !== undefined) expect(await tryPublish(second, kind.allowed)).toBe(true);
      expect(await tryPublish(second, kind.refused)).toBe(false);
      second.ws.terminate();
    });
  }

  it('a refresh after RoomService changed the rights carries the new rights', async () => {
    const kind = kinds[1]!;
    const room = 'refresh-updated';
    const session = connect(await mint(kind, room));
    await waitFor(() => session.messages.find((m) => m.case === 'join'), { what: 'join' });
    await new RoomServiceClient(sfu.httpUrl, devKey, devSecret).updateParticipant(room, kind.identity, {
      permission: {
        canSubscribe: true,
        canPublish: true,
        canPublishData: true,
        canUpdateMetadata: false,
        hidden: false,
        canPublishSources: [TrackSource.MICROPHONE],
      },
    });
    const count = session.messages.length;
    const fresh = await waitFor(
      () => session.messages.slice(count).find((m) => m.case === 'refreshToken')?.value as string | undefined,
      { what: 'a refreshToken after the update' },
    );
    session.ws.terminate();
    const claims = await new TokenVerifier(devKey, devSecret).verify(fresh);
    expect(claims.video).toMatchObject({
      room,
      roomJoin: true,
      canSubscribe: true,
      canPublishData: true,
      canPublishSources: ['microphone'],
    });
  });
});
