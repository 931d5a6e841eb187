// infra/livekit's dev and one-node configs, each run by the real livekit-server on this machine (the
// cluster config runs in tests/e2e/test/livekit-cluster.test.ts): what each promises holds.
import { Room } from '@livekit/rtc-node';
import { receiveWebhooks, type WebhookSink } from '@scenecast/testkit';
import { AccessToken, RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine } from '../src/index.js';

let hooks: WebhookSink;
const production = { apiKey: 'scenecast', apiSecret: 'a-production-secret-of-32-chars-or-more' };

beforeAll(async () => {
  hooks = await receiveWebhooks(production.apiKey, production.apiSecret);
});
afterAll(() => hooks?.close());

async function join(url: string, key: string, secret: string, room: string) {
  const token = new AccessToken(key, secret, { identity: 'checker' });
  token.addGrant({ roomJoin: true, room });
  const r = new Room();
  await r.connect(url, await token.toJwt());
  return r;
}

describe('infra/livekit configs on the real livekit-server', () => {
  it('dev.yaml: development mode takes the short dev secret, and participants join', async () => {
    const engine = await startEngine({ engine: 'livekit', config: 'dev.yaml' });
    try {
      const room = await join(engine.url, 'devkey', 'secret', 'dev-check');
      expect(room.name).toBe('dev-check');
      await room.disconnect();
    } finally {
      await engine.close();
    }
  });

  it('one-node.yaml: keys only from the environment, webhooks signed with its api_key', async () => {
    // A VM would advertise its public address (use_external_ip); on this machine it is loopback.
    const engine = await startEngine({
      engine: 'livekit',
      config: 'one-node.yaml',
      keys: production,
      webhookUrls: [hooks.url],
      args: ['--bind', '127.0.0.1', '--node-ip', '127.0.0.1', '--rtc.use_external_ip=false'],
      name: 'one-node',
    });
    try {
      const api = new RoomServiceClient(engine.httpUrl, production.apiKey, production.apiSecret);
      await api.createRoom({ name: 'one-node-check' });
      expect((await api.listRooms()).map((r) => r.name)).toContain('one-node-check');
      await expect(new RoomServiceClient(engine.httpUrl, 'devkey', 'secret').listRooms()).rejects.toThrow();
      const room = await join(engine.url, production.apiKey, production.apiSecret, 'one-node-check');
      await room.disconnect();
      const deadline = Date.now() + 20_000;
      while (
        !hooks.events.some((e) => e.event === 'participant_joined' && e.room?.name === 'one-node-check')
      ) {
        if (Date.now() > deadline)
          throw new Error(`no signed participant_joined webhook: ${hooks.events.length}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await engine.close();
    }
  });
});
