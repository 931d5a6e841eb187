/**
 * Rewrites the VP8 payload descriptor (RFC 7741) of one outgoing stream so that a switch of simulcast
 * layer looks like one encoder to the subscriber. Each layer numbers its pictures (PictureID), base-layer
 * frames (TL0PICIDX) and keyframes (KEYIDX) from its own random start; a switch without rewriting makes the
 * receiver's numbering jump by thousands, and libwebrtc's reference finder then holds back or drops the new
 * layer's frames as old or incomplete until a later keyframe. As `RtpMunger` does for sequence numbers, each
 * field keeps an offset per source, set at the source's first keyframe so its numbering continues the last
 * one sent. Fields keep their width (a 7-bit PictureID stays 7-bit), so the payload never changes length.
 * Packets are shared by every subscriber of the layer: a packet whose fields change is copied.
 */
export class Vp8Munger {
  private offsets: Fields = { pictureId: 0, tl0PicIdx: 0, keyIdx: 0 };
  private last: Fields | undefined;

  /**
   * The payload to send for one packet of the forwarded source; `rebase` on the first packet of a new
   * source (a keyframe start), whose numbering must follow what was sent before.
   */
  munge(payload: Buffer, rebase: boolean): Buffer {
    const descriptor = parseDescriptor(payload);
    if (!descriptor) return payload;
    const fields = descriptor.fields;
    if (rebase)
      this.offsets = this.last
        ? {
            pictureId: fields.pictureId - (this.last.pictureId + 1),
            tl0PicIdx: fields.tl0PicIdx - (this.last.tl0PicIdx + 1),
            keyIdx: fields.keyIdx - (this.last.keyIdx + 1),
          }
        : { pictureId: 0, tl0PicIdx: 0, keyIdx: 0 };
    const out: Fields = {
      pictureId: mod(fields.pictureId - this.offsets.pictureId, descriptor.pictureIdModulo),
      tl0PicIdx: mod(fields.tl0PicIdx - this.offsets.tl0PicIdx, 0x100),
      keyIdx: mod(fields.keyIdx - this.offsets.keyIdx, 0x20),
    };
    // Remember the newest picture sent (a retransmission or reordered packet carries an older one).
    if (!this.last || rebase || serialAfter(out.pictureId, this.last.pictureId, descriptor.pictureIdModulo))
      this.last = out;
    if (
      out.pictureId === fields.pictureId &&
      out.tl0PicIdx === fields.tl0PicIdx &&
      out.keyIdx === fields.keyIdx
    )
      return payload;
    const copy = Buffer.from(payload);
    writeDescriptor(copy, descriptor, out);
    return copy;
  }
}

interface Fields {
  pictureId: number;
  tl0PicIdx: number;
  keyIdx: number;
}

/** Where each present field sits in the payload; absent fields read as 0 and are not written. */
interface Descriptor {
  fields: Fields;
  pictureIdAt: number | undefined;
  pictureIdModulo: number;
  tl0PicIdxAt: number | undefined;
  keyIdxAt: number | undefined;
}

/** RFC 7741 §4.2: X|R|N|S|R|PID, then with X: I|L|T|K|RSV and the fields they announce, in that order. */
export function parseDescriptor(p: Uint8Array): Descriptor | undefined {
  if (p.length < 1 || (p[0]! & 0x80) === 0) return undefined;
  if (p.length < 2) return undefined;
  const x = p[1]!;
  const d: Descriptor = {
    fields: { pictureId: 0, tl0PicIdx: 0, keyIdx: 0 },
    pictureIdAt: undefined,
    pictureIdModulo: 0x8000,
    tl0PicIdxAt: undefined,
    keyIdxAt: undefined,
  };
  let i = 2;
  if (x & 0x80) {
    if (i >= p.length) return undefined;
    d.pictureIdAt = i;
    if (p[i]! & 0x80) {
      if (i + 1 >= p.length) return undefined;
      d.fields.pictureId = ((p[i]! & 0x7f) << 8) | p[i + 1]!;
      i += 2;
    } else {
      d.fields.pictureId = p[i]!;
      d.pictureIdModulo = 0x80;
      i += 1;
    }
  }
  if (x & 0x40) {
    if (i >= p.length) return undefined;
    d.tl0PicIdxAt = i;
    d.fields.tl0PicIdx = p[i]!;
    i += 1;
  }
  if (x & 0x10) {
    if (i >= p.length) return undefined;
    d.keyIdxAt = i;
    d.fields.keyIdx = p[i]! & 0x1f;
  }
  return d;
}

function writeDescriptor(p: Buffer, d: Descriptor, f: Fields): void {
  if (d.pictureIdAt !== undefined) {
    if (d.pictureIdModulo === 0x8000) {
      p[d.pictureIdAt] = 0x80 | (f.pictureId >> 8);
      p[d.pictureIdAt + 1] = f.pictureId & 0xff;
    } else p[d.pictureIdAt] = f.pictureId;
  }
  if (d.tl0PicIdxAt !== undefined) p[d.tl0PicIdxAt] = f.tl0PicIdx;
  if (d.keyIdxAt !== undefined) p[d.keyIdxAt] = (p[d.keyIdxAt]! & 0xe0) | f.keyIdx;
}

/** x mod m, never negative. */
const mod = (x: number, m: number) => ((x % m) + m) % m;

/** True when a comes after b in a space of `modulo` numbers (serial arithmetic). */
const serialAfter = (a: number, b: number, modulo: number) => {
  const d = mod(a - b, modulo);
  return d !== 0 && d < modulo / 2;
};
