// Active speakers as the SDKs learn them (SpeakersChanged): a participant talking at a normal level is
// announced, one publishing near-silence is not, and a talker who stops talking is taken off the list.
// Real rtc-node publishers: libwebrtc measures each packet's level and writes it into the RTP header.
import {
  AudioFrame,
  AudioSource,
  LocalAudioTrack,
  type Participant,
  Room,
  RoomEvent,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';
import { type RunningEngine, startEngine } from '@scenecast/engine';
import { participantToken, waitFor } from '@scenecast/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const roomName = 'speakers';
const sampleRate = 48_000;
let engine: RunningEngine;
const rooms: Room[] = [];
const pumps: AbortController[] = [];

/** Publishes a 440 Hz tone at `amplitude` (0..1 of full scale) until `talking()` says stop. */
async function publishTone(identity: string, amplitude: () => number): Promise<Room> {
  const room = new Room();
  rooms.push(room);
  await room.connect(engine.url, await participantToken(roomName, identity));
  const source = new AudioSource(sampleRate, 1, 100);
  const track = LocalAudioTrack.createAudioTrack('mic', source);
  await room.localParticipant!.publishTrack(
    track,
    new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }),
  );
  const stop = new AbortController();
  pumps.push(stop);
  void (async () => {
    const samples = sampleRate / 100; // 10-ms frames
    for (let n = 0; !stop.signal.aborted; n++) {
      const data = new Int16Array(samples);
      const a = amplitude() * 32_767;
      for (let i = 0; i < samples; i++)
        data[i] = Math.round(a * Math.sin((2 * Math.PI * 440 * (n * samples + i)) / sampleRate));
      await source.captureFrame(new AudioFrame(data, sampleRate, 1, samples)).catch(() => undefined);
    }
  })();
  return room;
}

beforeAll(async () => {
  engine = await startEngine();
});
afterAll(async () => {
  for (const stop of pumps) stop.abort();
  for (const room of rooms) await room.disconnect().catch(() => undefined);
  await engine?.close();
});

describe('active speakers', () => {
  it('announces who talks, never who is near-silent, and takes a talker off the list when they stop', async () => {
    let talking = true;
    await publishTone('talker', () => (talking ? 0.5 : 0));
    await publishTone('hum', () => 0.0005); // about -66 dBov: room tone, not speech

    const listener = new Room();
    rooms.push(listener);
    let speakers: string[] = [];
    const everSpoke = new Set<string>();
    listener.on(RoomEvent.ActiveSpeakersChanged, (active: Participant[]) => {
      speakers = active.map((p) => p.identity);
      for (const identity of speakers) everSpoke.add(identity);
    });
    await listener.connect(engine.url, await participantToken(roomName, 'listener', { canPublish: false }));

    await waitFor(() => speakers.includes('talker'), {
      what: 'the talker announced as speaking',
      timeoutMs: 15_000,
    });

    talking = false;
    await waitFor(() => !speakers.includes('talker'), {
      what: 'the talker taken off the list',
      timeoutMs: 10_000,
    });
    expect(everSpoke.has('hum')).toBe(false);
    expect(everSpoke.has('listener')).toBe(false);
  });
});
