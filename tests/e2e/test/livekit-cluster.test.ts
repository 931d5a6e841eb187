// LiveKit only: scenecast on a two-node livekit-server cluster (infra/livekit/cluster.yaml, one Redis),
// as it scales past one machine. The cameras publish through node A; the viewers' URL is a load balancer
// that sends them to node B while it is up. Every scene plays and switches, RoomService on either node
// lists the show's room, and when node B stops its viewers are back, playing and switching, within 10 s.
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningCamera, sceneColors, startCamera } from '@scenecast/camera-sim';
import { attributes, ScenecastClient } from '@scenecast/contract';
import { seedDemo, startViewer } from '@scenecast/demo';
import { type RunningEngine, type RunningRedis, startEngine, startRedis } from '@scenecast/engine';
import { launchChromium, waitFor } from '@scenecast/testkit';
import { type RunningTokenService, startTokenService } from '@scenecast/token-service';
import { RoomServiceClient } from 'livekit-server-sdk';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { near, stagePicture } from './stage.js';

const keys = { apiKey: 'scenecast', apiSecret: 'cluster-test-secret-0123456789abcdef' };
const scenes = ['studio', 'factory', 'farm'];

let redis: RunningRedis;
let nodeA: RunningEngine;
let nodeB: RunningEngine;
let balancer: Balancer;
let service: RunningTokenService;
let viewer: Awaited<ReturnType<typeof startViewer>>;
let viewerUrl: string;
let browser: Browser;
const cameras: RunningCamera[] = [];

interface Balancer {
  url: string;
  /** Connections handed to each backend port. */
  routed: Map<number, number>;
  close(): Promise<void>;
}

/**
 * The load balancer a cluster sits behind, as small as it gets: each TCP connection goes to the first
 * backend that accepts it. Hand-written because it is twenty lines and no dependency does just this.
 */
async function startBalancer(backends: number[]): Promise<Balancer> {
  const routed = new Map<number, number>();
  const sockets = new Set<Socket>();
  const tryBackend = (client: Socket, i: number) => {
    const port = backends[i];
    if (port === undefined) return client.destroy();
    const upstream = tcpConnect(port, '127.0.0.1');
    let connected = false;
    upstream.on('error', () => (connected ? client.destroy() : tryBackend(client, i + 1)));
    upstream.once('connect', () => {
      connected = true;
      routed.set(port, (routed.get(port) ?? 0) + 1);
      sockets.add(upstream);
      upstream.once('close', () => client.destroy());
      client.once('close', () => upstream.destroy());
      client.pipe(upstream).pipe(client);
      client.resume();
    });
  };
  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    sockets.add(client);
    client.on('error', () => client.destroy());
    tryBackend(client, 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}`,
    routed,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function startNode(name: string, webhookUrl: string): Promise<RunningEngine> {
  return startEngine({
    engine: 'livekit',
    config: 'cluster.yaml',
    keys,
    webhookUrls: [webhookUrl],
    // Loopback here; on real machines each node advertises its own address.
    args: [
      '--redis-host',
      redis.address,
      '--bind',
      '127.0.0.1',
      '--node-ip',
      '127.0.0.1',
      '--rtc.use_external_ip=false',
    ],
    name,
  });
}

beforeAll(async () => {
  const state = mkdtempSync(join(tmpdir(), 'cluster-'));
  const adminToken = 'cluster-admin-token-0123456789ab';
  // The token service first, so the nodes can be given its webhook URL; then it learns the balancer's URL.
  service = await startTokenService({
    port: 0,
    databaseUrl: `file:${join(state, 'cluster.db')}`,
    adminToken,
    livekit: { url: '', ...keys },
    logLevel: 'warn',
  });
  const webhookUrl = `${service.url}/v1/livekit/webhook`;
  redis = await startRedis();
  nodeA = await startNode('node-a', webhookUrl);
  nodeB = await startNode('node-b', webhookUrl);
  balancer = await startBalancer([nodeB.port, nodeA.port]);
  service.setLivekitUrl(balancer.url);
  const api = new ScenecastClient({ baseUrl: service.url });
  const seeded = await seedDemo(api, adminToken, join(state, 'seed.json'));
  const brand = api.withKey(seeded.brandKey);
  // The cameras take their feed tokens from the token service and publish through node A.
  for (const scene of scenes) {
    const { token } = await brand.feedToken(seeded.feeds[scene]!);
    cameras.push(
      await startCamera({
        scene,
        auth: { kind: 'token', url: nodeA.url, token },
        width: 640,
        height: 360,
        fps: 10,
      }),
    );
  }
  viewer = await startViewer({ tokenServiceUrl: service.url, livekitUrl: balancer.url });
  viewerUrl = `${viewer.url}/show/demo`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await viewer?.close();
  for (const camera of cameras) await camera.stop();
  await nodeB?.close();
  await nodeA?.close();
  await balancer?.close();
  await service?.close();
  await redis?.close();
});

async function showScene(page: Page, scene: string, timeoutMs = 20_000) {
  await page.click(`[data-scene="${scene}"]`);
  await waitFor(
    async () => {
      const picture = await stagePicture(page);
      return picture.width > 0 && near(picture.band, sceneColors[scene]!);
    },
    { what: `${scene}'s band on the stage`, timeoutMs },
  );
}

describe('two-node LiveKit cluster (livekit only)', () => {
  it('cameras on node A, viewers on node B: every scene plays and switches; node B stops and its viewers are back within 10 s', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    if (process.env.DEBUG_TEST) page.on('console', (m) => console.log(`[page] ${m.text()}`));
    await page.goto(viewerUrl);
    await waitFor(async () => (await page.locator('.badge.live').count()) === 3, {
      what: 'three live scenes (webhooks from the node the cameras joined)',
      timeoutMs: 60_000,
    });
    for (const scene of ['factory', 'farm', 'studio', 'factory']) await showScene(page, scene);

    // The viewer's signalling went through node B, the cameras' through node A, and both nodes know the
    // room and everyone in it.
    expect(balancer.routed.get(nodeB.port)).toBeGreaterThan(0);
    expect(balancer.routed.get(nodeA.port) ?? 0).toBe(0);
    for (const node of [nodeA, nodeB]) {
      const api = new RoomServiceClient(node.httpUrl, keys.apiKey, keys.apiSecret);
      expect((await api.listRooms()).map((r) => r.name)).toContain('demo');
      const participants = await api.listParticipants('demo');
      expect(participants.filter((p) => p.attributes[attributes.scene]).length).toBe(3);
      expect(participants.some((p) => p.permission?.canPublish === false)).toBe(true); // the viewer
    }

    // Node B goes away: its viewers reconnect through the balancer to node A and play on: the stage
    // switches and reaches its sharp layer, which takes signalling (the new layer is asked for).
    const stoppedAt = Date.now();
    const left = () => Math.max(1000, 10_000 - (Date.now() - stoppedAt));
    await nodeB.close();
    await waitFor(() => (balancer.routed.get(nodeA.port) ?? 0) > 0, {
      what: 'the viewer reconnecting through the balancer to node A',
      timeoutMs: left(),
    });
    await waitFor(async () => (await page.locator('.banner').count()) === 0, {
      what: 'the viewer connected again',
      timeoutMs: left(),
    });
    const switchesBefore = await page.evaluate(() => window.scenecast?.switches.length ?? 0);
    await showScene(page, 'farm', left());
    await waitFor(
      () =>
        page.evaluate(
          (n) => window.scenecast!.switches.slice(n).some((t) => t.sceneId === 'farm' && t.sharpFrameMs),
          switchesBefore,
        ),
      { what: 'farm at its sharp layer after the reconnect', timeoutMs: left() },
    );
    const backAfterMs = Date.now() - stoppedAt;
    expect(backAfterMs).toBeLessThan(10_000);
    const api = new RoomServiceClient(nodeA.httpUrl, keys.apiKey, keys.apiSecret);
    expect((await api.listParticipants('demo')).some((p) => p.permission?.canPublish === false)).toBe(true);
    console.log(`viewer back, switching and sharp ${backAfterMs} ms after node B stopped`);
    await page.close();
  });
});
