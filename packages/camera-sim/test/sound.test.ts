// Each scene's sound through the real embedded SFU: an rtc-node subscriber receives the decoded audio and
// tells by its pilot tone which scene it hears. The studio's voice needs Debian's espeak-ng
// (apt-get install -y espeak-ng); without it the voice tests fail, they do not skip.
import { AudioStream, type RemoteAudioTrack, Room, RoomEvent, TrackKind } from '@livekit/rtc-node';
import { type RunningEngine, startEngine } from '@scenecast/engine';
import { participantToken, tonePower as powerAt, waitFor } from '@scenecast/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCamera, startCamera } from '../src/camera.js';
import { scenePilotTones } from '../src/scenes.js';
import { SceneSound, soundSampleRate } from '../src/sound.js';

/** Power of one frequency at the sound's rate. */
const tonePower = (samples: Int16Array, hz: number) => powerAt(samples, hz, soundSampleRate);

/** RMS of what is not the pilot tone (a sine's power is half its tonePower). */
const soundRms = (samples: Int16Array, pilotHz: number) =>
  Math.sqrt(
    Math.max(
      0,
      samples.reduce((sum, s) => sum + (s / 32768) ** 2, 0) / samples.length -
        tonePower(samples, pilotHz) / 2,
    ),
  );

describe('scene sound', () => {
  it('the studio speaks with espeak-ng; other scenes are ambience; each loop carries its pilot tone', () => {
    const studio = new SceneSound('studio');
    expect(studio.fallback).toBeUndefined();
    expect(studio.kind).toBe('voice');
    expect(new SceneSound('farm').kind).toBe('ambience');
    const second = new Int16Array(soundSampleRate);
    for (let i = 0; i < 100; i++) second.set(studio.next().data, i * 480);
    const tones = Object.fromEntries(
      Object.entries(scenePilotTones).map(([s, hz]) => [s, tonePower(second, hz)]),
    );
    expect(tones.studio).toBeGreaterThan(100 * tones.factory!);
    expect(tones.studio).toBeGreaterThan(100 * tones.farm!);
  });

  it('without a voice the studio falls back to ambience and says why', () => {
    const sound = new SceneSound(
      'studio',
      () => new Error('espeak-ng is not installed (apt-get install -y espeak-ng)'),
    );
    expect(sound.kind).toBe('ambience');
    expect(sound.fallback).toMatch(/apt-get install -y espeak-ng/);
  });
});

describe('scene sound through the SFU', () => {
  let engine: RunningEngine;
  const cameras: RunningCamera[] = [];
  beforeAll(async () => {
    engine = await startEngine();
  });
  afterAll(async () => {
    for (const camera of cameras) await camera.stop();
    await engine?.close();
  });

  it('a subscriber hears the studio voice and the farm ambience, each by its pilot tone', async () => {
    const show = 'sound';
    for (const scene of ['studio', 'farm']) {
      const camera = await startCamera({
        scene,
        auth: { kind: 'keys', url: engine.url, apiKey: engine.apiKey, apiSecret: engine.apiSecret, show },
        width: 320,
        height: 180,
        fps: 5,
      });
      cameras.push(camera);
      await camera.live();
      expect(camera.stats.audioTrackSid).toBeTruthy();
    }
    const room = new Room();
    const heard = new Map<string, Int16Array[]>();
    room.on(RoomEvent.TrackSubscribed, async (track, _pub, participant) => {
      if (track.kind !== TrackKind.KIND_AUDIO) return;
      const frames: Int16Array[] = [];
      heard.set(participant.identity, frames);
      for await (const frame of new AudioStream(track as RemoteAudioTrack, soundSampleRate, 1))
        frames.push(frame.data);
    });
    await room.connect(engine.url, await participantToken(show, 'listener', { canPublish: false }));
    try {
      // Two seconds of each, after the first half second (the decoder's start).
      const enough = (identity: string) => (heard.get(identity)?.length ?? 0) >= 250;
      await waitFor(() => enough('camera-studio') && enough('camera-farm'), {
        what: '2.5 s of audio from the studio and the farm',
        timeoutMs: 30_000,
      });
      const block = (identity: string) => {
        const frames = heard.get(identity)!.slice(-200);
        const all = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
        let at = 0;
        for (const f of frames) {
          all.set(f, at);
          at += f.length;
        }
        return all;
      };
      for (const [identity, scene] of [
        ['camera-studio', 'studio'],
        ['camera-farm', 'farm'],
      ] as const) {
        const samples = block(identity);
        const powers = Object.fromEntries(
          Object.entries(scenePilotTones).map(([s, hz]) => [s, tonePower(samples, hz)]),
        );
        const own = powers[scene]!;
        for (const [other, power] of Object.entries(powers))
          if (other !== scene) expect(own, `${scene}'s tone over ${other}'s`).toBeGreaterThan(30 * power);
        // The pilot tone is sent at 0.06 of full scale: tonePower reads about 0.06² = 0.0036 for it.
        expect(own).toBeGreaterThan(0.0002);
      }
      // Under the tones: the host's voice is far louder than the farm's ambience, which is not silence.
      const voice = soundRms(block('camera-studio'), scenePilotTones.studio!);
      const ambience = soundRms(block('camera-farm'), scenePilotTones.farm!);
      expect(ambience).toBeGreaterThan(0.002);
      expect(voice).toBeGreaterThan(2 * ambience);
    } finally {
      await room.disconnect();
    }
  });
});
