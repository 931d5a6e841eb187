/**
 * Keyframe detection straight from RTP payloads, without decoding: a forwarder may only switch a
 * subscriber to another simulcast layer at a keyframe of that layer.
 */
export function isKeyframe(mimeType: string, payload: Uint8Array): boolean {
  switch (mimeType.toLowerCase()) {
    case 'video/vp8':
      return isVp8Keyframe(payload);
    case 'video/h264':
      return isH264Keyframe(payload);
    case 'video/vp9':
      return isVp9Keyframe(payload);
    case 'video/av1':
      return isAv1Keyframe(payload);
    default:
      return true; // audio: every packet is decodable on its own
  }
}

/**
 * RFC 7741: the payload descriptor (X|R|N|S|R|PID, then with X: I|L|T|K and the fields they announce:
 * a 7- or 15-bit PictureID, TL0PICIDX, TID/Y/KEYIDX), then the VP8 header whose first bit P is 0 on key
 * frames. Only the first packet of partition 0 carries that header. Reserved bits are ignored.
 */
function isVp8Keyframe(p: Uint8Array): boolean {
  if (p.length < 1) return false;
  const b0 = p[0]!;
  const extended = (b0 & 0x80) !== 0;
  const startOfPartition = (b0 & 0x10) !== 0;
  const partitionId = b0 & 0x07;
  if (!startOfPartition || partitionId !== 0) return false;
  let i = 1;
  if (extended) {
    if (p.length < 2) return false;
    const x = p[1]!;
    i = 2;
    if (x & 0x80) {
      // PictureID: the M bit of its first byte marks the 15-bit form
      if (i >= p.length) return false;
      i += p[i]! & 0x80 ? 2 : 1;
    }
    if (x & 0x40) i += 1; // TL0PICIDX
    if (x & 0x20 || x & 0x10) i += 1; // TID|Y|KEYIDX, one byte for either
  }
  if (i >= p.length) return false;
  return (p[i]! & 0x01) === 0;
}

/** RFC 6184: an IDR slice or SPS, alone, in a STAP-A, or at the start of a FU-A. */
function isH264Keyframe(p: Uint8Array): boolean {
  if (p.length < 1) return false;
  const nalType = p[0]! & 0x1f;
  const isKeyNal = (type: number) => type === 5 || type === 7;
  if (nalType === 24) {
    let i = 1;
    while (i + 2 < p.length) {
      const size = (p[i]! << 8) | p[i + 1]!;
      if (isKeyNal(p[i + 2]! & 0x1f)) return true;
      i += 2 + size;
    }
    return false;
  }
  if (nalType === 28) {
    if (p.length < 2) return false;
    const start = (p[1]! & 0x80) !== 0;
    return start && isKeyNal(p[1]! & 0x1f);
  }
  return isKeyNal(nalType);
}

/** VP9 payload descriptor: not inter-picture predicted (P=0), start of frame (B=1), spatial layer 0. */
function isVp9Keyframe(p: Uint8Array): boolean {
  if (p.length < 1) return false;
  const b0 = p[0]!;
  const interPredicted = (b0 & 0x40) !== 0;
  const startOfFrame = (b0 & 0x08) !== 0;
  return !interPredicted && startOfFrame;
}

/** AV1 aggregation header: N bit marks the first packet of a coded video sequence. */
function isAv1Keyframe(p: Uint8Array): boolean {
  return p.length > 0 && (p[0]! & 0x08) !== 0;
}
