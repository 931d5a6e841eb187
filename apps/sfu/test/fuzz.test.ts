// 10,000+ random and mutated signalling frames from raw WebSockets with valid tokens, while a connected
// rtc-node pair keeps exchanging media: the server stays up and nobody else notices.

import {
  AddTrackRequest,
  Ping,
  protoInt64,
  SessionDescription,
  SignalRequest,
  SimulateScenario,
  TrickleRequest,
  UpdateSubscription,
  UpdateTrackSettings,
} from '@livekit/protocol';
import { Room, RoomEvent, VideoStream } from '@livekit/rtc-node';
import { participantToken, publishSyntheticVideo, waitFor } from '@scenecast/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type RunningSfu, startSfu } from '../src/index.js';

let sfu: RunningSfu;
let publisher: Room;
let subscriber: Room;
let stopFrames: () => void;
let framesReceived = 0;

// A deterministic generator, so a failure can be replayed.
let seed = 0x5eed;
const random = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 0xffffffff;
};
const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));

/** Real requests a client sends, as the seeds that mutation starts from. */
const templates: Uint8Array[] = [
  new SignalRequest({
    message: {
      case: 'offer',
      value: new SessionDescription({ type: 'offer', sdp: 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n', id: 1 }),
    },
  }),
  new SignalRequest({
    message: { case: 'answer', value: new SessionDescription({ type: 'answer', sdp: 'v=0\r\n', id: 3 }) },
  }),
  new SignalRequest({
    message: {
      case: 'trickle',
      value: new TrickleRequest({ candidateInit: '{"candidate":"candidate:1 1 udp 1 1.2.3.4 5 typ host"}' }),
    },
  }),
  new SignalRequest({
    message: {
      case: 'addTrack',
      value: new AddTrackRequest({ cid: 'c1', name: 'cam', width: 640, height: 360 }),
    },
  }),
  new SignalRequest({
    message: {
      case: 'subscription',
      value: new UpdateSubscription({ trackSids: ['TR_x'], subscribe: true }),
    },
  }),
  new SignalRequest({
    message: {
      case: 'trackSetting',
      value: new UpdateTrackSettings({ trackSids: ['TR_x'], width: 99999, height: 1 }),
    },
  }),
  new SignalRequest({
    message: {
      case: 'pingReq',
      value: new Ping({ timestamp: protoInt64.parse(1), rtt: protoInt64.parse(2) }),
    },
  }),
  new SignalRequest({ message: { case: 'simulate', value: new SimulateScenario({}) } }),
].map((m) => m.toBinary());

function mutate(frame: Uint8Array): Uint8Array {
  const out = Uint8Array.from(frame);
  const kind = Math.floor(random() * 4);
  if (kind === 0)
    for (let i = 0; i < 1 + random() * 8; i++)
      out[Math.floor(random() * out.length)] = Math.floor(random() * 256);
  if (kind === 1) return out.subarray(0, Math.floor(random() * out.length));
  if (kind === 2) return Uint8Array.from([...out, ...randomBytes(Math.floor(random() * 64))]);
  if (kind === 3) return randomBytes(Math.floor(random() * 300));
  return out;
}

async function fuzzConnection(count: number): Promise<number> {
  const ws = new WebSocket(
    `${sfu.url}/rtc?access_token=${await participantToken('fuzz', `fuzzer-${random()}`)}`,
  );
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let sent = 0;
  for (let i = 0; i < count && ws.readyState === WebSocket.OPEN; i++) {
    const pick = random();
    if (pick < 0.7) ws.send(mutate(templates[Math.floor(random() * templates.length)]!));
    else if (pick < 0.85)
      ws.send(JSON.stringify({ offer: { sdp: String(random()), type: 'offer' }, junk: [1, 2] }));
    else if (pick < 0.95) ws.send(`{"not json ${random()}`);
    else ws.send(randomBytes(2000));
    sent++;
    if (i % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  ws.terminate();
  return sent;
}

beforeAll(async () => {
  sfu = await startSfu({ port: 0 });
  publisher = new Room();
  subscriber = new Room();
  await publisher.connect(sfu.url, await participantToken('fuzz', 'publisher'));
  subscriber.on(RoomEvent.TrackSubscribed, async (track) => {
    const reader = new VideoStream(track).getReader();
    while (!(await reader.read()).done) framesReceived++;
  });
  await subscriber.connect(sfu.url, await participantToken('fuzz', 'subscriber'));
  stopFrames = await publishSyntheticVideo(publisher, { fps: 15, shade: 77 });
  await waitFor(() => framesReceived > 5, { what: 'media flowing before the fuzzing' });
});

afterAll(async () => {
  stopFrames?.();
  await publisher?.disconnect();
  await subscriber?.disconnect();
  await sfu?.close();
});

describe('signalling fuzz', () => {
  it('survives 10,000 malformed and mutated frames while a pair keeps exchanging media', async () => {
    let sent = 0;
    for (let round = 0; round < 10; round++) sent += await fuzzConnection(1100);
    expect(sent).toBeGreaterThanOrEqual(10_000);

    // Still up, still admitting, and the pair's media still flows.
    expect((await fetch(`${sfu.httpUrl}/`)).status).toBe(200);
    const before = framesReceived;
    await waitFor(() => framesReceived > before + 10, { what: 'frames after the fuzzing' });
    const metrics = await (await fetch(`${sfu.httpUrl}/metrics`)).text();
    const malformed = Number(
      /livekit_signal_error_total\{reason="malformed_frame"\} (\d+)/.exec(metrics)?.[1] ?? 0,
    );
    expect(malformed).toBeGreaterThan(1000);
  });
});
