// 10,000+ random and mutated signalling frames from raw WebSockets with valid tokens — mutations of real
// requests, some naming the real participants and track — while a connected rtc-node pair keeps exchanging
// media. Judged by the server's own counters (frames received, handler errors) and by the pair: no
// disconnect, no reconnect, the same sessions, media still flowing. SCENECAST_FUZZ_FRAMES raises the count
// (the fuzz-soak benchmark runs 100,000).

import {
  AddTrackRequest,
  MuteTrackRequest,
  ParticipantTracks,
  Ping,
  protoInt64,
  SessionDescription,
  SignalRequest,
  SimulateScenario,
  SubscriptionPermission,
  TrackPermission,
  TrickleRequest,
  UpdateParticipantMetadata,
  UpdateSubscription,
  UpdateTrackSettings,
  VideoQuality,
} from '@livekit/protocol';
import { Room, RoomEvent, VideoStream } from '@livekit/rtc-node';
import { participantToken, publishSyntheticVideo, waitFor } from '@scenecast/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type RunningSfu, startSfu } from '../src/index.js';

const frames = Number(process.env.SCENECAST_FUZZ_FRAMES ?? 10_000);
const perConnection = 1000;

let sfu: RunningSfu;
let publisher: Room;
let subscriber: Room;
let stopFrames: () => void;
let framesReceived = 0;
/** Anything the pair's SDKs report about their connections during the run. */
const pairEvents: string[] = [];

// A deterministic generator, so a failure can be replayed.
let seed = 0x5eed;
const random = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 0xffffffff;
};
const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));

/** Real requests a client sends, as the seeds that mutation starts from (more, naming the pair, join later). */
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

/** The server's own counters, from /metrics. */
async function serverCounters() {
  const text = await (await fetch(`${sfu.httpUrl}/metrics`)).text();
  const read = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
  return {
    frames: read(/^livekit_signal_frame_total (\d+)/m),
    malformed: read(/^livekit_signal_error_total\{reason="malformed_frame"\} (\d+)/m),
    invalid: read(/^livekit_signal_error_total\{reason="invalid_request"\} (\d+)/m),
    handlerErrors: read(/^livekit_signal_error_total\{reason="handler_error"\} (\d+)/m),
  };
}

/** One fuzzing client: sends `count` frames, then closes cleanly, so the server reads every one of them. */
async function fuzzConnection(count: number): Promise<number> {
  const ws = new WebSocket(
    `${sfu.url}/rtc?access_token=${await participantToken('fuzz', `fuzzer-${random()}`)}`,
  );
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const closed = new Promise((resolve) => ws.once('close', resolve));
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
  ws.close(1000);
  await closed;
  return sent;
}

beforeAll(async () => {
  sfu = await startSfu({ port: 0 });
  publisher = new Room();
  subscriber = new Room();
  for (const [name, room] of [
    ['publisher', publisher],
    ['subscriber', subscriber],
  ] as const) {
    for (const event of [RoomEvent.Disconnected, RoomEvent.Reconnecting, RoomEvent.Reconnected]) {
      room.on(event, () => pairEvents.push(`${name}: ${event}`));
    }
  }
  await publisher.connect(sfu.url, await participantToken('fuzz', 'publisher'));
  subscriber.on(RoomEvent.TrackSubscribed, async (track) => {
    const reader = new VideoStream(track).getReader();
    while (!(await reader.read()).done) framesReceived++;
  });
  await subscriber.connect(sfu.url, await participantToken('fuzz', 'subscriber'));
  stopFrames = await publishSyntheticVideo(publisher, { fps: 15, shade: 77 });
  await waitFor(() => framesReceived > 5, { what: 'media flowing before the fuzzing' });

  // Requests that name the pair's real participants and track, for the mutations to start from too.
  const room = sfu.rooms.get('fuzz')!;
  const pub = room.participants.get('publisher')!;
  const sub = room.participants.get('subscriber')!;
  const trackSid = [...pub.tracks.keys()][0]!;
  const real: SignalRequest['message'][] = [
    {
      case: 'subscription',
      value: new UpdateSubscription({
        trackSids: [trackSid],
        subscribe: true,
        participantTracks: [new ParticipantTracks({ participantSid: pub.sid, trackSids: [trackSid] })],
      }),
    },
    { case: 'subscription', value: new UpdateSubscription({ trackSids: [trackSid], subscribe: false }) },
    {
      case: 'trackSetting',
      value: new UpdateTrackSettings({
        trackSids: [trackSid],
        quality: VideoQuality.HIGH,
        width: 1920,
        height: 1080,
      }),
    },
    { case: 'trackSetting', value: new UpdateTrackSettings({ trackSids: [trackSid], disabled: true }) },
    { case: 'mute', value: new MuteTrackRequest({ sid: trackSid, muted: true }) },
    {
      case: 'updateMetadata',
      value: new UpdateParticipantMetadata({ name: 'publisher', metadata: 'x', attributes: { a: 'b' } }),
    },
    {
      case: 'subscriptionPermission',
      value: new SubscriptionPermission({
        allParticipants: false,
        trackPermissions: [
          new TrackPermission({
            participantSid: sub.sid,
            participantIdentity: sub.identity,
            trackSids: [trackSid],
          }),
        ],
      }),
    },
  ];
  templates.push(...real.map((message) => new SignalRequest({ message }).toBinary()));
});

afterAll(async () => {
  stopFrames?.();
  await publisher?.disconnect();
  await subscriber?.disconnect();
  await sfu?.close();
});

describe('signalling fuzz', () => {
  it(
    `survives ${frames.toLocaleString('en')} malformed and mutated frames while a pair keeps exchanging media`,
    async () => {
      const room = sfu.rooms.get('fuzz')!;
      const sessions = () => ['publisher', 'subscriber'].map((id) => room.participants.get(id)?.sid);
      const sessionsBefore = sessions();
      const trackSid = [...room.participants.get('publisher')!.tracks.keys()][0]!;
      const before = await serverCounters();
      const started = performance.now();

      let sent = 0;
      while (sent < frames) sent += await fuzzConnection(Math.min(perConnection, frames - sent));
      const seconds = (performance.now() - started) / 1000;
      const after = await serverCounters();
      const received = after.frames - before.frames;
      console.log(
        `[fuzz] ${sent} frames sent, ${received} received by the server in ${seconds.toFixed(1)} s; ` +
          `malformed ${after.malformed - before.malformed}, invalid requests ${after.invalid - before.invalid}, ` +
          `handler errors ${after.handlerErrors - before.handlerErrors}`,
      );

      // The server read every frame, and none of them failed in our code.
      expect(received).toBeGreaterThanOrEqual(frames);
      expect(after.handlerErrors - before.handlerErrors).toBe(0);
      expect(after.malformed - before.malformed).toBeGreaterThan(frames / 10);

      // Still up, and the pair never noticed: same sessions, no reconnect, the track unmuted, media flowing.
      expect((await fetch(`${sfu.httpUrl}/`)).status).toBe(200);
      const flowing = framesReceived;
      await waitFor(() => framesReceived > flowing + 10, { what: 'frames after the fuzzing' });
      expect(sessions()).toEqual(sessionsBefore);
      expect(pairEvents).toEqual([]);
      expect(room.participants.get('publisher')!.tracks.get(trackSid)?.info.muted).toBe(false);
    },
    Math.max(90_000, frames * 10),
  );
});
