// startEngine, on whichever engine SCENECAST_ENGINE names: what it hands out works with LiveKit's own SDKs,
// it restarts on the same port, and a wrong engine name is refused by name.
import { Room, RoomEvent } from '@livekit/rtc-node';
import { AccessToken, RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunningEngine, selectedEngine, startEngine } from '../src/index.js';

const running: RunningEngine[] = [];
afterAll(async () => {
  for (const engine of running) await engine.close();
});

async function token(engine: RunningEngine, identity: string) {
  const t = new AccessToken(engine.apiKey, engine.apiSecret, { identity });
  t.addGrant({ roomJoin: true, room: 'engine-check' });
  return t.toJwt();
}

describe('startEngine', () => {
  it('starts the selected engine on a free port, with a URL and keys the SDKs use', async () => {
    const engine = await startEngine();
    running.push(engine);
    expect(engine.engine).toBe(selectedEngine());
    expect(engine.url).toBe(`ws://127.0.0.1:${engine.port}`);

    const a = new Room();
    const b = new Room();
    await a.connect(engine.url, await token(engine, 'a'));
    const seen = new Promise<string>((resolve) =>
      a.on(RoomEvent.ParticipantConnected, (p) => resolve(p.identity)),
    );
    await b.connect(engine.url, await token(engine, 'b'));
    expect(await seen).toBe('b');
    const api = new RoomServiceClient(engine.httpUrl, engine.apiKey, engine.apiSecret);
    expect((await api.listRooms()).map((r) => r.name)).toContain('engine-check');
    expect((await api.listParticipants('engine-check')).map((p) => p.identity).sort()).toEqual(['a', 'b']);
    await a.disconnect();
    await b.disconnect();
  });

  it('stops at close and starts again on the same port', async () => {
    const first = await startEngine();
    await first.close();
    await expect(fetch(`${first.httpUrl}/`)).rejects.toThrow();
    const second = await startEngine({ port: first.port });
    running.push(second);
    expect((await fetch(`${second.httpUrl}/`)).ok).toBe(true);
  });

  it('refuses an unknown SCENECAST_ENGINE by name', () => {
    expect(() => selectedEngine({ SCENECAST_ENGINE: 'mediasoup' })).toThrow(
      'SCENECAST_ENGINE must be one of embedded, livekit; got "mediasoup"',
    );
    expect(selectedEngine({})).toBe('embedded');
  });
});
