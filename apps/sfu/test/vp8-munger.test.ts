// VP8 payload-descriptor munging: a layer switch continues the PictureID, TL0PICIDX and KEYIDX the
// subscriber saw, as one encoder would; nothing else in the payload changes.
import { describe, expect, it } from 'vitest';
import { parseDescriptor, Vp8Munger } from '../src/sfu/vp8-munger.js';

interface Picture {
  pictureId: number;
  tl0PicIdx: number;
  keyIdx: number;
  /** 7-bit PictureID (M=0) instead of libwebrtc's 15-bit one. */
  short?: boolean;
}

/** A first packet of a picture: descriptor with I, L, T and K, then a byte standing in for the VP8 data. */
function packet({ pictureId, tl0PicIdx, keyIdx, short }: Picture): Buffer {
  const pid = short ? [pictureId & 0x7f] : [0x80 | (pictureId >> 8), pictureId & 0xff];
  const tidYKeyIdx = (2 << 6) | (1 << 5) | keyIdx; // TID 2 and Y set, to see they are kept
  return Buffer.from([0x90, 0xf0, ...pid, tl0PicIdx, tidYKeyIdx, 0x9d]);
}

function fields(payload: Buffer) {
  const d = parseDescriptor(payload);
  if (!d) throw new Error('no descriptor');
  return d.fields;
}

describe('Vp8Munger', () => {
  it('passes the first source through unchanged, without copying', () => {
    const munger = new Vp8Munger();
    const first = packet({ pictureId: 1000, tl0PicIdx: 7, keyIdx: 3 });
    expect(munger.munge(first, true)).toBe(first);
    const next = packet({ pictureId: 1001, tl0PicIdx: 8, keyIdx: 3 });
    expect(munger.munge(next, false)).toBe(next);
  });

  it('continues the numbering across a switch to a layer with its own', () => {
    const munger = new Vp8Munger();
    munger.munge(packet({ pictureId: 1000, tl0PicIdx: 7, keyIdx: 3 }), true);
    munger.munge(packet({ pictureId: 1001, tl0PicIdx: 7, keyIdx: 3 }), false);
    // The other layer's keyframe: numbers from its own start, far from the first layer's.
    const keyframe = packet({ pictureId: 21_000, tl0PicIdx: 200, keyIdx: 30 });
    const out = munger.munge(keyframe, true);
    expect(fields(out)).toEqual({ pictureId: 1002, tl0PicIdx: 8, keyIdx: 4 });
    expect(fields(keyframe)).toEqual({ pictureId: 21_000, tl0PicIdx: 200, keyIdx: 30 }); // shared: not touched
    expect(out[out.length - 1]).toBe(0x9d);
    expect(out[5]! & 0xe0).toBe((2 << 6) | (1 << 5));
    // Later pictures of that layer keep the same offsets; a reordered older one maps where it belongs.
    expect(fields(munger.munge(packet({ pictureId: 21_002, tl0PicIdx: 201, keyIdx: 30 }), false))).toEqual({
      pictureId: 1004,
      tl0PicIdx: 9,
      keyIdx: 4,
    });
    expect(
      fields(munger.munge(packet({ pictureId: 21_001, tl0PicIdx: 200, keyIdx: 30 }), false)).pictureId,
    ).toBe(1003);
    // Back to the first layer: it follows the newest picture sent (1004), not the reordered one.
    const back = munger.munge(packet({ pictureId: 1010, tl0PicIdx: 12, keyIdx: 4 }), true);
    expect(fields(back)).toEqual({ pictureId: 1005, tl0PicIdx: 10, keyIdx: 5 });
  });

  it('wraps each field at its width', () => {
    const munger = new Vp8Munger();
    munger.munge(packet({ pictureId: 0x7fff, tl0PicIdx: 255, keyIdx: 31 }), true);
    const out = munger.munge(packet({ pictureId: 5, tl0PicIdx: 5, keyIdx: 5 }), true);
    expect(fields(out)).toEqual({ pictureId: 0, tl0PicIdx: 0, keyIdx: 0 });
    const short = new Vp8Munger();
    short.munge(packet({ pictureId: 127, tl0PicIdx: 1, keyIdx: 1, short: true }), true);
    const shortOut = short.munge(packet({ pictureId: 40, tl0PicIdx: 1, keyIdx: 1, short: true }), true);
    expect(shortOut.length).toBe(6);
    expect(fields(shortOut).pictureId).toBe(0);
  });

  it('leaves payloads without a descriptor, or cut short, as they are', () => {
    const munger = new Vp8Munger();
    munger.munge(packet({ pictureId: 1000, tl0PicIdx: 7, keyIdx: 3 }), true);
    for (const payload of [
      Buffer.alloc(0),
      Buffer.from([0x10, 0x9d]),
      Buffer.from([0x90]),
      Buffer.from([0x90, 0x80, 0x81]),
    ])
      expect(munger.munge(payload, true)).toBe(payload);
  });
});
