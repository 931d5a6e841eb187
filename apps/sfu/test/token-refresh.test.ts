// Long sessions outlive their token: the SFU hands connected clients a fresh one (LiveKit's refreshToken)
// with the same identity and rights, so their reconnects keep working.
import { SignalResponse } from '@livekit/protocol';
import { participantToken, waitFor } from '@scenecast/testkit';
import { TokenVerifier } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type RunningSfu, startSfu } from '../src/index.js';

let sfu: RunningSfu;

beforeAll(async () => {
  sfu = await startSfu({ port: 0, tokenRefreshMs: 300 });
});
afterAll(() => sfu?.close());

describe('token refresh', () => {
  it('sends a fresh token with the same identity, room and rights', async () => {
    const token = await participantToken(
      'refresh',
      'viewer-1',
      { canPublish: false, canPublishData: true },
      { ttl: 60 },
    );
    const ws = new WebSocket(`${sfu.url}/rtc?access_token=${token}`);
    const refreshed: string[] = [];
    ws.on('message', (data) => {
      const message = SignalResponse.fromBinary(new Uint8Array(data as Buffer)).message;
      if (message.case === 'refreshToken') refreshed.push(message.value);
    });
    const fresh = await waitFor(() => refreshed[0], { what: 'a refreshToken message' });
    ws.terminate();
    expect(fresh).not.toBe(token);
    const claims = await new TokenVerifier('devkey', 'secret').verify(fresh);
    expect(claims.sub).toBe('viewer-1');
    expect(claims.video).toMatchObject({
      room: 'refresh',
      roomJoin: true,
      canPublish: false,
      canPublishData: true,
    });
  });
});
