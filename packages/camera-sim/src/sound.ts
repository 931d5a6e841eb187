// What a scene's microphone carries: the studio's host voice (espeak-ng speech, rendered once at start)
// or a quiet ambience (synthesised noise), looped, with the scene's pilot tone under it.
import { execFileSync } from 'node:child_process';
import { AudioFrame, AudioResampler } from '@livekit/rtc-node';
import { lookFor } from './scenes.js';

export const soundSampleRate = 48_000;
/** 10 ms frames, what WebRTC's audio pipeline consumes. */
export const soundFrameSamples = soundSampleRate / 100;
/**
 * rtc-node's audio source queue (ms): sound handed over now leaves about this much later, while a video frame
 * leaves at once — so the camera draws its picture as the clock stood this long ago (startCamera), and sound
 * and picture of one moment leave together. Long enough that a stalled event loop (p99 40 ms, worst 60 ms
 * under load 28 on this machine's two cores) does not starve the sound; at 20 ms it ran 69 ms short in 5 s.
 */
export const soundQueueMs = 100;
const pilotLevel = 0.06;
const ambienceLevel = 0.025;
const voiceLevel = 0.9;

export const hostScript =
  'Welcome to the live tasting. This ham was cured for eighteen months in Dongyang. ' +
  'Switch to the farm to see where the pigs are raised, or to the factory to watch the curing line. ' +
  'Zoom into the label to read the batch code.';

/** What a running camera's sound is made of: `voice` when espeak-ng spoke, `ambience` otherwise. */
export type SoundKind = 'voice' | 'ambience';

/**
 * What each kind of sound is encoded at (Opus, bit/s): speech needs no more (LiveKit's speech preset is
 * 24 kbit/s), and every viewer receives three scenes' sound, each packet twice (RED) — at the encoder's
 * default (~72 kbit/s) that was 0.5 Mbit/s on a viewer's link, half of a 1 Mbit/s 4G link.
 */
export const soundBitrate: Record<SoundKind, number> = { voice: 32_000, ambience: 24_000 };

/** Speech as 16-bit mono PCM at {@link soundSampleRate}, or an Error saying why there is none. */
export function renderSpeech(text: string): Int16Array | Error {
  let wav: Buffer;
  try {
    wav = execFileSync('espeak-ng', ['--stdout', '-v', 'en-us', '-s', '150', text], {
      maxBuffer: 64 * 1024 * 1024,
      timeout: 20_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return new Error(
      missing
        ? 'espeak-ng is not installed (apt-get install -y espeak-ng)'
        : `espeak-ng failed: ${(error as Error).message}`,
    );
  }
  // espeak-ng writes a canonical 44-byte RIFF header whose sizes say "streaming"; read rate and data.
  if (wav.length < 44 || wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 36, 40) !== 'data')
    return new Error('espeak-ng wrote no WAV');
  const rate = wav.readUInt32LE(24);
  const samples = new Int16Array(
    wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.length - (wav.length % 2)),
  );
  const resampler = new AudioResampler(rate, soundSampleRate, 1);
  const frames = [...resampler.push(new AudioFrame(samples, rate, 1, samples.length)), ...resampler.flush()];
  resampler.close();
  const out = new Int16Array(frames.reduce((n, f) => n + f.data.length, 0));
  let at = 0;
  for (const frame of frames) {
    out.set(frame.data, at);
    at += frame.data.length;
  }
  return out;
}

/** A seeded xorshift, so every run of a scene sounds the same. */
function noise(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) / 0xffffffff) * 2 - 1;
  };
}

/**
 * One scene's looped sound, handed out 10 ms at a time. The loop is rendered once (voice or ambience plus
 * pilot tone, whole seconds long so the tone's phase joins up) and repeats.
 */
export class SceneSound {
  readonly kind: SoundKind;
  readonly pilotHz: number;
  /** Why a voice scene fell back to ambience, if it did. */
  readonly fallback?: string;
  private readonly loop: Int16Array;
  private at = 0;

  constructor(sceneId: string, speech: () => Int16Array | Error = () => renderSpeech(hostScript)) {
    const look = lookFor(sceneId);
    this.pilotHz = look.pilotHz;
    const voice = look.sound === 'voice' ? speech() : undefined;
    if (voice instanceof Error) this.fallback = voice.message;
    this.kind = voice instanceof Int16Array ? 'voice' : 'ambience';
    // The voice plus a second's pause, rounded up to whole seconds; ambience loops every 4 s.
    const seconds = voice instanceof Int16Array ? Math.ceil(voice.length / soundSampleRate + 1) : 4;
    this.loop = new Int16Array(seconds * soundSampleRate);
    const random = noise(look.pilotHz);
    let low = 0;
    for (let i = 0; i < this.loop.length; i++) {
      const tone = pilotLevel * Math.sin((2 * Math.PI * look.pilotHz * i) / soundSampleRate);
      let sound: number;
      if (voice instanceof Int16Array) sound = (voiceLevel * (voice[i] ?? 0)) / 32768;
      else {
        // Low-passed noise: a room's rumble rather than hiss.
        low += 0.08 * (random() - low);
        sound = ambienceLevel * 4 * low;
      }
      this.loop[i] = Math.round(32767 * Math.max(-1, Math.min(1, tone + sound)));
    }
  }

  /** The next 10 ms. */
  next(): AudioFrame {
    const data = new Int16Array(soundFrameSamples);
    for (let i = 0; i < data.length; i++) {
      data[i] = this.loop[this.at]!;
      this.at = (this.at + 1) % this.loop.length;
    }
    return new AudioFrame(data, soundSampleRate, 1, data.length);
  }
}
