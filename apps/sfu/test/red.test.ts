// Opus with RED (RFC 2198) where the publisher offers it, plain Opus where it does not: both announced by
// the codec on the wire (as livekit-server announces them), both heard by a subscriber as the tone they
// carry, and the RED publisher's own audio levels still make it an active speaker.
import {
  AudioStream,
  type Participant,
  type RemoteAudioTrack,
  Room,
  RoomEvent,
  TrackKind,
} from '@livekit/rtc-node';
import { type RunningEngine, startEngine } from '@scenecast/engine';
import { participantToken, publishTone, tonePower, waitFor } from '@scenecast/testkit';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const roomName = 'red';
const rate = 48_000;
let engine: RunningEngine;
const rooms: Room[] = [];
const stops: (() => void)[] = [];

/** Publishes a tone of `hz` at half scale, with or without RED. */
async function publishToneAs(identity: string, hz: number, red: boolean): Promise<void> {
  const room = new Room();
  rooms.push(room);
  await room.connect(engine.url, await participantToken(roomName, identity));
  stops.push(await publishTone(room, { hz, red }));
}

beforeAll(async () => {
  engine = await startEngine();
});
afterAll(async () => {
  for (const stop of stops) stop();
  for (const room of rooms) await room.disconnect().catch(() => undefined);
  await engine?.close();
});

describe('Opus with RED', () => {
  it('takes RED where offered, announces each track by its codec, and the subscriber hears both', async () => {
    await publishToneAs('with-red', 600, true);
    await publishToneAs('plain-opus', 1400, false);

    const api = new RoomServiceClient(engine.httpUrl, engine.apiKey, engine.apiSecret);
    const mimeOf = async (identity: string) =>
      (await api.listParticipants(roomName)).find((p) => p.identity === identity)?.tracks[0]?.mimeType;
    await waitFor(
      async () => (await mimeOf('with-red')) !== undefined && (await mimeOf('plain-opus')) !== undefined,
      {
        what: 'both tracks published',
      },
    );
    expect(await mimeOf('with-red')).toBe('audio/red');
    expect(await mimeOf('plain-opus')).toBe('audio/opus');

    const listener = new Room();
    rooms.push(listener);
    const heard = new Map<string, Int16Array[]>();
    const speakers = new Set<string>();
    listener.on(RoomEvent.ActiveSpeakersChanged, (active: Participant[]) => {
      for (const p of active) speakers.add(p.identity);
    });
    listener.on(RoomEvent.TrackSubscribed, async (track, _publication, participant) => {
      if (track.kind !== TrackKind.KIND_AUDIO) return;
      const frames: Int16Array[] = [];
      heard.set(participant.identity, frames);
      const reader = new AudioStream(track as RemoteAudioTrack, rate, 1).getReader();
      for (let read = await reader.read(); !read.done; read = await reader.read())
        frames.push(read.value.data);
    });
    await listener.connect(engine.url, await participantToken(roomName, 'listener', { canPublish: false }));
    // Two seconds of each, after the decoder's first half second.
    const enough = (identity: string) => (heard.get(identity)?.length ?? 0) >= 250;
    await waitFor(() => enough('with-red') && enough('plain-opus'), {
      what: '2.5 s of audio from both publishers',
      timeoutMs: 30_000,
    });
    const last2s = (identity: string) => {
      const frames = heard.get(identity)!.slice(-200);
      const all = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
      frames.reduce((at, f) => (all.set(f, at), at + f.length), 0);
      return all;
    };
    for (const [identity, hz, other] of [
      ['with-red', 600, 1400],
      ['plain-opus', 1400, 600],
    ] as const) {
      const samples = last2s(identity);
      // A half-scale sine reads about 0.24; its own tone must dominate, the other must be absent.
      expect(tonePower(samples, hz, rate), `${identity} at ${hz} Hz`).toBeGreaterThan(0.1);
      expect(tonePower(samples, other, rate), `${identity} at ${other} Hz`).toBeLessThan(0.001);
    }
    await waitFor(() => speakers.has('with-red'), { what: 'the RED publisher announced as speaking' });
  });
});
