import {
  AudioFrame,
  AudioSource,
  LocalAudioTrack,
  type Room,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';

const rate = 48_000;
/** 10-ms frames, as a microphone delivers them. */
const frameSamples = rate / 100;

/**
 * Publishes a microphone from an @livekit/rtc-node room that plays a sine of `hz` at `amplitude` (0–1 of
 * full scale; a function is read every frame, so a test can make it stop talking); `red` sets RED on or off
 * (left out: the SDK's default).
 * Resolves to a stop function; rejects if the SFU refuses the publication.
 */
export async function publishTone(
  room: Room,
  {
    hz = 440,
    amplitude = 0.5,
    red,
  }: { hz?: number; amplitude?: number | (() => number); red?: boolean } = {},
): Promise<() => void> {
  const source = new AudioSource(rate, 1, 100);
  await room.localParticipant!.publishTrack(
    LocalAudioTrack.createAudioTrack('mic', source),
    new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE, red }),
  );
  const level = typeof amplitude === 'function' ? amplitude : () => amplitude;
  const stop = new AbortController();
  void (async () => {
    for (let n = 0; !stop.signal.aborted; n++) {
      const data = new Int16Array(frameSamples);
      const a = level() * 32_767;
      for (let i = 0; i < frameSamples; i++)
        data[i] = Math.round(a * Math.sin((2 * Math.PI * hz * (n * frameSamples + i)) / rate));
      await source.captureFrame(new AudioFrame(data, rate, 1, frameSamples)).catch(() => undefined);
    }
  })();
  return () => stop.abort();
}

/**
 * Power of one frequency in a block of 16-bit samples, so tests can tell which tone they hear
 * (Goertzel: one DFT bin in a few lines, all a test needs — an FFT library for a few bins would be more
 * code to trust, not less). A full-scale sine at `hz` gives 1.
 */
export function tonePower(samples: Int16Array, hz: number, rate: number): number {
  const coefficient = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let s1 = 0;
  let s2 = 0;
  for (const sample of samples) {
    const s0 = sample / 32768 + coefficient * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - coefficient * s1 * s2) / (samples.length / 2) ** 2;
}
