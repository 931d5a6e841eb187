// The publisher answer's audio settings per track: DTX on unless the track asked for none, stereo where
// asked, RED kept unless the track asked for none.
import { AudioTrackFeature } from '@livekit/protocol';
import sdpTransform from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { configureAudioAnswer } from '../src/rtc/sdp.js';

const answer = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 63 111',
  'c=IN IP4 0.0.0.0',
  'a=mid:0',
  'a=recvonly',
  'a=rtpmap:63 red/48000/2',
  'a=fmtp:63 111/111',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'c=IN IP4 0.0.0.0',
  'a=mid:1',
  'a=recvonly',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1;stereo=1',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'c=IN IP4 0.0.0.0',
  'a=mid:2',
  'a=recvonly',
  'a=rtpmap:96 VP8/90000',
  '',
].join('\r\n');

/** Each m-section's Opus fmtp. */
const fmtps = (sdp: string) =>
  sdpTransform.parse(sdp).media.map((m) => m.fmtp.find((f) => f.payload !== 63)?.config);
const codecs = (sdp: string) =>
  sdpTransform.parse(sdp).media.map((m) => [String(m.payloads), m.rtp.map((r) => r.codec)]);
const settings = (features: AudioTrackFeature[], red = true) => ({ features, red });

describe('configureAudioAnswer', () => {
  it('turns DTX on for a default track, off (and stereo on) for one that asked', () => {
    const result = configureAudioAnswer(
      answer,
      new Map([
        ['0', settings([])],
        ['1', settings([AudioTrackFeature.TF_NO_DTX])],
      ]),
    );
    expect(fmtps(result)).toEqual([
      'minptime=10;useinbandfec=1;usedtx=1',
      'minptime=10;useinbandfec=1',
      undefined,
    ]);
    const stereo = configureAudioAnswer(answer, new Map([['0', settings([AudioTrackFeature.TF_STEREO])]]));
    expect(fmtps(stereo)[0]).toBe('minptime=10;useinbandfec=1;usedtx=1;stereo=1;maxaveragebitrate=510000');
  });

  it('keeps RED first for a track that takes it, and drops every line of it for one that asked for none', () => {
    expect(codecs(configureAudioAnswer(answer, new Map([['0', settings([])]])))[0]).toEqual([
      '63 111',
      ['red', 'opus'],
    ]);
    const plain = configureAudioAnswer(answer, new Map([['0', settings([], false)]]));
    expect(codecs(plain)[0]).toEqual(['111', ['opus']]);
    expect(plain).not.toMatch(/a=fmtp:63/);
    expect(fmtps(plain)[0]).toBe('minptime=10;useinbandfec=1;usedtx=1');
  });

  it('leaves lines of unknown tracks, and the whole answer without audio tracks, as they were', () => {
    expect(configureAudioAnswer(answer, new Map())).toBe(answer);
    expect(fmtps(configureAudioAnswer(answer, new Map([['2', settings([])]])))).toEqual(fmtps(answer));
  });
});
