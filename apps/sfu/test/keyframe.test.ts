// Keyframe detection from RTP payloads: the forwarder may switch layers only where this says true.
import { describe, expect, it } from 'vitest';
import { isKeyframe } from '../src/sfu/keyframe.js';

type Case = [name: string, bytes: number[], keyframe: boolean];

describe('VP8 (RFC 7741)', () => {
  // Descriptor byte 0: X=0x80 R=0x40 N=0x20 S=0x10 R=0x08 PID=0x07. Extension byte: I=0x80 L=0x40 T=0x20 K=0x10.
  // The VP8 payload header follows; its bit 0 (P) is 0 on a key frame.
  const cases: Case[] = [
    ['no extension, start of partition 0, P=0', [0x10, 0x50], true],
    ['no extension, P=1 (inter frame)', [0x10, 0x51], false],
    ['not the start of a partition', [0x00, 0x50], false],
    ['start of partition 1', [0x11, 0x50], false],
    ['the reserved bit beside PID set (ignored)', [0x18, 0x50], true],
    ['non-reference frame bit N set', [0x30, 0x50], true],
    ['extension without fields', [0x90, 0x00, 0x50], true],
    ['7-bit PictureID', [0x90, 0x80, 0x15, 0x50], true],
    ['7-bit PictureID, inter frame', [0x90, 0x80, 0x15, 0x51], false],
    // With M set the PictureID takes two bytes; its odd low byte must not be read as the VP8 header.
    ['15-bit PictureID (M bit)', [0x90, 0x80, 0x81, 0x23, 0x50], true],
    ['15-bit PictureID, inter frame', [0x90, 0x80, 0x81, 0x22, 0x51], false],
    ['TL0PICIDX only', [0x90, 0x40, 0x07, 0x50], true],
    ['TID only', [0x90, 0x20, 0x40, 0x50], true],
    ['KEYIDX only', [0x90, 0x10, 0x03, 0x50], true],
    ['I, L, T and K with a 15-bit PictureID', [0x90, 0xf0, 0x80, 0x01, 0x07, 0x60, 0x50], true],
    ['I, L, T and K, inter frame', [0x90, 0xf0, 0x80, 0x01, 0x07, 0x60, 0x01], false],
    ['empty', [], false],
    ['descriptor only', [0x10], false],
    ['extension bit without its byte', [0x90], false],
    ['PictureID announced but missing', [0x90, 0x80], false],
    ['15-bit PictureID cut short before the header', [0x90, 0x80, 0x81, 0x23], false],
    ['all fields, header missing', [0x90, 0xf0, 0x05, 0x07, 0x60], false],
  ];
  it.each(cases)('%s', (_name, bytes, keyframe) => {
    expect(isKeyframe('video/VP8', Uint8Array.from(bytes))).toBe(keyframe);
  });
});

describe('H.264 (RFC 6184)', () => {
  // NAL header: F|NRI|type. Types: 1 non-IDR slice, 5 IDR slice, 6 SEI, 7 SPS, 8 PPS, 24 STAP-A, 28 FU-A.
  const cases: Case[] = [
    ['single NAL: IDR slice', [0x65, 0x88, 0x84], true],
    ['single NAL: SPS', [0x67, 0x42, 0xc0, 0x1f], true],
    ['single NAL: PPS alone', [0x68, 0xce, 0x3c, 0x80], false],
    ['single NAL: non-IDR slice', [0x41, 0x9a], false],
    ['single NAL: SEI', [0x06, 0x05, 0x10], false],
    ['STAP-A: SPS and PPS', [0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce], true],
    ['STAP-A: SEI then IDR', [0x78, 0x00, 0x02, 0x06, 0x05, 0x00, 0x02, 0x65, 0x88], true],
    ['STAP-A: non-IDR slices only', [0x78, 0x00, 0x02, 0x41, 0x9a, 0x00, 0x02, 0x41, 0x9b], false],
    ['STAP-A: PPS then a size past the end', [0x78, 0x00, 0x02, 0x68, 0xce, 0x00, 0x40], false],
    ['STAP-A: first size past the end', [0x78, 0x00, 0x10, 0x41, 0x9a], false],
    ['STAP-A: header only', [0x78], false],
    ['FU-A: start of an IDR slice', [0x7c, 0x85, 0x88, 0x84], true],
    ['FU-A: middle of an IDR slice', [0x7c, 0x05, 0x11], false],
    ['FU-A: end of an IDR slice', [0x7c, 0x45, 0x11], false],
    ['FU-A: start of a non-IDR slice', [0x5c, 0x81, 0x9a], false],
    ['FU-A: FU header missing', [0x7c], false],
    ['empty', [], false],
  ];
  it.each(cases)('%s', (_name, bytes, keyframe) => {
    expect(isKeyframe('video/H264', Uint8Array.from(bytes))).toBe(keyframe);
  });
});

describe('other codecs', () => {
  const cases: Array<[string, string, number[], boolean]> = [
    ['VP9 start of a non-predicted frame', 'video/vp9', [0x08], true],
    ['VP9 inter-predicted frame', 'video/vp9', [0x48], false],
    ['VP9 not the start of a frame', 'video/vp9', [0x00], false],
    ['AV1 first packet of a coded video sequence', 'video/AV1', [0x08], true],
    ['AV1 other packet', 'video/AV1', [0x10], false],
    ['audio: every packet', 'audio/opus', [0xfc], true],
  ];
  it.each(cases)('%s', (_name, mime, bytes, keyframe) => {
    expect(isKeyframe(mime, Uint8Array.from(bytes))).toBe(keyframe);
  });
});
