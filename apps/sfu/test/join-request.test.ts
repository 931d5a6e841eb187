// The join as `/rtc` and `/rtc/v1` carry it, and what a malformed `/rtc/v1` join gets: a 400 with its
// reason from the validate endpoint and the WebSocket upgrade, and nothing joined.
import { gzipSync } from 'node:zlib';
import {
  ConnectionSettings,
  JoinRequest,
  SessionDescription,
  WrappedJoinRequest,
  WrappedJoinRequest_Compression,
} from '@livekit/protocol';
import { participantToken } from '@scenecast/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type RunningSfu, startSfu } from '../src/index.js';
import { parseJoin } from '../src/signal/join-request.js';

/** `join_request` as livekit-client writes it: base64url of a WrappedJoinRequest. */
function encode(join: JoinRequest, gzip: boolean): string {
  const bytes = join.toBinary();
  const wrapped = new WrappedJoinRequest({
    compression: gzip ? WrappedJoinRequest_Compression.GZIP : WrappedJoinRequest_Compression.NONE,
    joinRequest: gzip ? gzipSync(bytes) : bytes,
  });
  return Buffer.from(wrapped.toBinary()).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

const join = new JoinRequest({
  connectionSettings: new ConnectionSettings({
    autoSubscribe: false,
    adaptiveStream: true,
    subscriberAllowPause: false,
  }),
  publisherOffer: new SessionDescription({ type: 'offer', sdp: 'v=0\r\n', id: 1 }),
  reconnect: true,
  participantSid: 'PA_x',
});

describe('parseJoin', () => {
  it('reads /rtc from its query parameters', () => {
    const params = parseJoin(
      new URL('ws://h/rtc?auto_subscribe=0&adaptive_stream=1&subscriber_allow_pause=0&reconnect=1&sid=PA_y'),
    );
    expect(params).toEqual({
      singlePeerConnection: false,
      reconnect: true,
      sid: 'PA_y',
      autoSubscribe: false,
      adaptiveStream: true,
      subscriberAllowPause: false,
      publisherOffer: undefined,
    });
    // What a client leaves out: subscribe to all, no adaptive stream, pausing allowed (LiveKit's defaults).
    expect(parseJoin(new URL('ws://h/rtc'))).toMatchObject({
      autoSubscribe: true,
      adaptiveStream: false,
      subscriberAllowPause: true,
    });
  });

  for (const gzip of [false, true]) {
    it(`reads /rtc/v1's join_request${gzip ? ' (gzipped)' : ''}, its publisher offer included`, () => {
      const params = parseJoin(new URL(`ws://h/rtc/v1?join_request=${encode(join, gzip)}`));
      expect(params).toMatchObject({
        singlePeerConnection: true,
        reconnect: true,
        sid: 'PA_x',
        autoSubscribe: false,
        adaptiveStream: true,
        subscriberAllowPause: false,
      });
      expect(params.publisherOffer?.sdp).toBe('v=0\r\n');
    });
  }

  it('refuses a missing or undecodable join_request as malformed', () => {
    const bomb = new WrappedJoinRequest({
      compression: WrappedJoinRequest_Compression.GZIP,
      joinRequest: gzipSync(Buffer.alloc(10 * 1024 * 1024)), // 10 MiB of zeros in a few KiB
    });
    for (const query of [
      '',
      'join_request=',
      'join_request=%%%',
      `join_request=${Buffer.from('not a protobuf at all').toString('base64')}`,
      `join_request=${Buffer.from(bomb.toBinary()).toString('base64url')}`,
    ]) {
      expect(() => parseJoin(new URL(`ws://h/rtc/v1?${query}`)), query).toThrowError(
        expect.objectContaining({ code: 'malformed' }),
      );
    }
  });
});

describe('/rtc/v1 at the door', () => {
  let sfu: RunningSfu;
  beforeAll(async () => {
    sfu = await startSfu({ port: 0 });
  });
  afterAll(async () => {
    await sfu?.close();
  });

  it('answers a malformed join 400 with the reason, on validate and on the upgrade, and admits nobody', async () => {
    const token = await participantToken('v1-door', 'someone');
    const validate = await fetch(`${sfu.httpUrl}/rtc/v1/validate?access_token=${token}&join_request=AAAA%21`);
    expect(validate.status).toBe(400);
    expect(await validate.text()).toMatch(/join_request/);

    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${sfu.url}/rtc/v1?access_token=${token}`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(400);
    expect(sfu.rooms.get('v1-door')?.participants.size ?? 0).toBe(0);

    const good = await fetch(
      `${sfu.httpUrl}/rtc/v1/validate?access_token=${token}&join_request=${encode(join, true)}`,
    );
    expect(good.status).toBe(200);
  });
});
