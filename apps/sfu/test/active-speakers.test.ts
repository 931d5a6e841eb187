// Active speakers as the SDKs learn them (SpeakersChanged): a participant talking at a normal level is
// announced, one publishing near-silence is not, and a talker who stops talking is taken off the list.
// Real rtc-node publishers: libwebrtc measures each packet's level and writes it into the RTP header.
import { type Participant, Room, RoomEvent } from '@livekit/rtc-node';
import { type RunningEngine, startEngine } from '@scenecast/engine';
import { participantToken, publishTone, waitFor } from '@scenecast/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const roomName = 'speakers';
let engine: RunningEngine;
const rooms: Room[] = [];
const stops: (() => void)[] = [];

/** Publishes a 440 Hz tone at `amplitude` (0..1 of full scale, read every frame). */
async function publishToneAs(identity: string, amplitude: () => number): Promise<void> {
  const room = new Room();
  rooms.push(room);
  await room.connect(engine.url, await participantToken(roomName, identity));
  stops.push(await publishTone(room, { hz: 440, amplitude }));
}

beforeAll(async () => {
  engine = await startEngine();
});
afterAll(async () => {
  for (const stop of stops) stop();
  for (const room of rooms) await room.disconnect().catch(() => undefined);
  await engine?.close();
});

describe('active speakers', () => {
  it('announces who talks, never who is near-silent, and takes a talker off the list when they stop', async () => {
    let talking = true;
    await publishToneAs('talker', () => (talking ? 0.5 : 0));
    await publishToneAs('hum', () => 0.0005); // about -66 dBov: room tone, not speech

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
