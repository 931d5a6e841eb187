// No callback may take the SFU down (issue #18). Faults are injected into one participant's callbacks of
// each kind — a timer, a socket event, a peer-connection event, the media fan-out, a webhook delivery —
// and the server keeps serving everyone else: the bystander's frames keep coming, new joins work, the
// fault is counted in /metrics, and a participant whose state can no longer be trusted (only it) is dropped.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Room, RoomEvent, VideoStream } from '@livekit/rtc-node';
import { participantToken, publishSyntheticVideo, waitFor } from '@scenecast/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type RunningSfu, startSfu } from '../src/index.js';
import type { Participant } from '../src/rtc/participant.js';

const roomName = 'faults';
let sfu: RunningSfu;
let hooks: Server;
const delivered: string[] = [];
let publisher: Room;
let stopFrames: () => void;
const frames = new Map<string, number>();

/** An rtc-node subscriber that counts the frames it decodes. */
async function subscriber(identity: string): Promise<Room> {
  const room = new Room();
  frames.set(identity, 0);
  room.on(RoomEvent.TrackSubscribed, async (track) => {
    const reader = new VideoStream(track).getReader();
    while (!(await reader.read()).done) frames.set(identity, frames.get(identity)! + 1);
  });
  await room.connect(sfu.url, await participantToken(roomName, identity));
  await waitFor(() => frames.get(identity)! > 3, { what: `frames at ${identity}` });
  return room;
}

async function framesKeepComing(identity: string): Promise<void> {
  const before = frames.get(identity)!;
  await waitFor(() => frames.get(identity)! > before + 10, { what: `frames still reaching ${identity}` });
}

async function faults(where: string): Promise<number> {
  const text = await (await fetch(`${sfu.httpUrl}/metrics`)).text();
  const match = new RegExp(`livekit_callback_error_total\\{where="${where}"\\} (\\d+)`).exec(text);
  return Number(match?.[1] ?? 0);
}

const participant = (identity: string): Participant | undefined =>
  sfu.rooms.get(roomName)?.participants.get(identity);

function injected(): never {
  throw new Error('injected fault');
}

beforeAll(async () => {
  hooks = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      delivered.push(JSON.parse(body).event);
      res.end();
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
  sfu = await startSfu({
    port: 0,
    session: { tokenRefreshMs: 400 },
    webhook: { urls: [`http://127.0.0.1:${(hooks.address() as AddressInfo).port}/`], apiKey: 'devkey' },
  });
  publisher = new Room();
  await publisher.connect(sfu.url, await participantToken(roomName, 'publisher'));
  stopFrames = await publishSyntheticVideo(publisher, { fps: 15, shade: 90 });
});

afterAll(async () => {
  stopFrames?.();
  await publisher?.disconnect();
  await sfu?.close();
  hooks?.close();
});

describe('a fault in one callback stays with it', () => {
  let bystander: Room;
  beforeAll(async () => {
    bystander = await subscriber('bystander');
  });
  afterAll(() => bystander?.disconnect());

  it('a timer: the token refresh throws; it is counted, retried, and nobody is dropped', async () => {
    const victim = await subscriber('victim-timer');
    participant('victim-timer')!.permissions.toClaim = injected;
    await waitFor(async () => (await faults('token_refresh')) >= 2, { what: 'two counted refresh faults' });
    expect(participant('victim-timer')?.isActive).toBe(true);
    await framesKeepComing('victim-timer');
    await framesKeepComing('bystander');
    await victim.disconnect();
  });

  it('a socket event: the close handler throws; the half-closed participant is removed, not left behind', async () => {
    const ws = new WebSocket(`${sfu.url}/rtc?access_token=${await participantToken(roomName, 'victim-ws')}`);
    await new Promise((resolve) => ws.once('open', resolve));
    await waitFor(() => participant('victim-ws'), { what: 'the raw socket participant' });
    participant('victim-ws')!.detachSignal = injected;
    ws.terminate();
    await waitFor(async () => (await faults('signal_close')) >= 1, { what: 'a counted close fault' });
    await waitFor(() => participant('victim-ws') === undefined, { what: 'the participant removed' });
    await framesKeepComing('bystander');
  });

  it('a peer-connection event: its handler throws; only that participant is disconnected', async () => {
    const victim = await subscriber('victim-pc');
    let disconnected = false;
    victim.on(RoomEvent.Disconnected, () => {
      disconnected = true;
    });
    const p = participant('victim-pc')!;
    (p as unknown as { onTransportConnected: () => void }).onTransportConnected = injected;
    p.subscriber.emit('connected');
    await waitFor(async () => (await faults('transport_connected')) >= 1, { what: 'a counted fault' });
    await waitFor(() => participant('victim-pc') !== p, { what: 'the faulty session removed' });
    await framesKeepComing('bystander');
    // The client is told to leave (and may rejoin as a fresh session): either way the old state is gone.
    await waitFor(() => disconnected || participant('victim-pc') !== undefined, { what: 'the client told' });
    await victim.disconnect();
  });

  it('the media fan-out: one down track throws; it loses its feed, the others keep theirs', async () => {
    const victim = await subscriber('victim-media');
    const [subscription] = participant('victim-media')!.subscriptions.values();
    subscription!.downTrack.write = injected;
    await waitFor(async () => (await faults('fan_out')) >= 1, { what: 'a counted fan-out fault' });
    await framesKeepComing('bystander');
    await victim.disconnect();
  });

  it('a webhook delivery throws; the queue is not poisoned and later events still go out', async () => {
    const notifier = (sfu.rooms as unknown as { webhooks: { deliverAll: unknown } }).webhooks;
    const deliverAll = notifier.deliverAll;
    notifier.deliverAll = () => Promise.reject(new Error('injected fault'));
    const once = await subscriber('victim-hook-1');
    await waitFor(async () => (await faults('webhook')) >= 1, { what: 'a counted webhook fault' });
    notifier.deliverAll = deliverAll;
    const count = delivered.length;
    const again = await subscriber('victim-hook-2');
    await waitFor(() => delivered.slice(count).includes('participant_joined'), {
      what: 'a webhook after the fault',
    });
    await framesKeepComing('bystander');
    await once.disconnect();
    await again.disconnect();
  });

  it('the server still admits and serves new participants after all of the above', async () => {
    const late = await subscriber('late');
    await framesKeepComing('late');
    await late.disconnect();
  });
});
