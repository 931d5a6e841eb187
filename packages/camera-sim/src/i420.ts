/** A rectangle in pixels. */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

const clamp8 = (v: number) => Math.max(0, Math.min(255, v));

/** BT.601 limited range, as libwebrtc's encoders expect. */
export function rgbToYuv(r: number, g: number, b: number): [number, number, number] {
  const y = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
  const u = ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128;
  const v = ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128;
  return [y, u, v];
}

/** The inverse of {@link rgbToYuv} (BT.601 limited range), rounded and clamped. */
export function yuvToRgb(y: number, u: number, v: number): [number, number, number] {
  const c = 1.164 * (y - 16);
  const d = u - 128;
  const e = v - 128;
  return [
    clamp8(Math.round(c + 1.596 * e)),
    clamp8(Math.round(c - 0.392 * d - 0.813 * e)),
    clamp8(Math.round(c + 2.017 * d)),
  ];
}

/**
 * The mean RGB colour of a rectangle of a tightly packed I420 picture (Y plane, then U, then V, chroma
 * planes `ceil(width / 2)` wide) — the layout of this package's frames and of the I420 frames
 * @livekit/rtc-node's VideoStream delivers. Used to check which scene's band a received frame carries.
 */
export function meanRgb(
  picture: { data: Uint8Array; width: number; height: number },
  rect: Rect,
): [number, number, number] {
  const { data, width, height } = picture;
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  const uOffset = width * height;
  const vOffset = uOffset + cw * ch;
  let sy = 0;
  let su = 0;
  let sv = 0;
  let n = 0;
  for (let y = rect.y; y < rect.y + rect.h; y++) {
    for (let x = rect.x; x < rect.x + rect.w; x++) {
      const c = (y >> 1) * cw + (x >> 1);
      sy += data[y * width + x]!;
      su += data[uOffset + c]!;
      sv += data[vOffset + c]!;
      n++;
    }
  }
  return yuvToRgb(sy / n, su / n, sv / n);
}

/** A planar I420 picture in one buffer (Y, then U, then V), as rtc-node's VideoFrame takes it. */
export class I420 {
  readonly data: Uint8Array;
  readonly uOffset: number;
  readonly vOffset: number;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    if (width % 2 || height % 2 || width <= 0 || height <= 0)
      throw new Error(`I420 needs even, positive dimensions (got ${width}x${height})`);
    this.uOffset = width * height;
    this.vOffset = this.uOffset + (width / 2) * (height / 2);
    this.data = new Uint8Array(this.vOffset + (width / 2) * (height / 2));
  }

  /** BT.601 limited range, as libwebrtc's encoders expect. */
  static yuv(r: number, g: number, b: number): [number, number, number] {
    return rgbToYuv(r, g, b);
  }

  /** A picture made from a whole RGBA image of the same size. */
  static fromRgba(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): I420 {
    const picture = new I420(width, height);
    picture.writeRgba(rgba, 0, 0, width, height);
    return picture;
  }

  /**
   * Converts an RGBA region (stride = its width) into this picture at (x, y); x, y, w, h even. Chroma is
   * the mean of each 2x2 block, so thin coloured lines keep their colour instead of aliasing.
   */
  writeRgba(rgba: Uint8Array | Uint8ClampedArray, x: number, y: number, w: number, h: number): void {
    const { width, data, uOffset, vOffset } = this;
    const cw = width / 2;
    for (let row = 0; row < h; row++) {
      let src = row * w * 4;
      let dst = (y + row) * width + x;
      for (let col = 0; col < w; col++, src += 4, dst++) {
        data[dst] = ((66 * rgba[src]! + 129 * rgba[src + 1]! + 25 * rgba[src + 2]! + 128) >> 8) + 16;
      }
    }
    const stride = w * 4;
    for (let row = 0; row < h; row += 2) {
      let src = row * stride;
      let dst = ((y + row) / 2) * cw + x / 2;
      for (let col = 0; col < w; col += 2, src += 8, dst++) {
        const below = src + stride;
        const r = (rgba[src]! + rgba[src + 4]! + rgba[below]! + rgba[below + 4]! + 2) >> 2;
        const g = (rgba[src + 1]! + rgba[src + 5]! + rgba[below + 1]! + rgba[below + 5]! + 2) >> 2;
        const b = (rgba[src + 2]! + rgba[src + 6]! + rgba[below + 2]! + rgba[below + 6]! + 2) >> 2;
        data[uOffset + dst] = ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128;
        data[vOffset + dst] = ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128;
      }
    }
  }

  fillRect(x: number, y: number, w: number, h: number, [yy, u, v]: [number, number, number]): void {
    const { width, data, uOffset, vOffset } = this;
    for (let row = y; row < y + h; row++) data.fill(yy, row * width + x, row * width + x + w);
    const cw = width / 2;
    for (let row = y / 2; row < (y + h) / 2; row++) {
      data.fill(u, uOffset + row * cw + x / 2, uOffset + row * cw + (x + w) / 2);
      data.fill(v, vOffset + row * cw + x / 2, vOffset + row * cw + (x + w) / 2);
    }
  }

  /**
   * Copies a w x h block from `from` at (sx, sy) to (dx, dy) here; all even. `from` may be any size
   * (a glyph atlas, a sprite) or the same size (restoring the background under a moving object).
   */
  blit(from: I420, sx: number, sy: number, dx: number, dy: number, w: number, h: number): void {
    const { width, data, uOffset, vOffset } = this;
    const fw = from.width;
    const src = from.data;
    for (let row = 0; row < h; row++) {
      const s = (sy + row) * fw + sx;
      data.set(src.subarray(s, s + w), (dy + row) * width + dx);
    }
    const cw = width / 2;
    const fcw = fw / 2;
    for (let row = 0; row < h / 2; row++) {
      const s = (sy / 2 + row) * fcw + sx / 2;
      const d = (dy / 2 + row) * cw + dx / 2;
      data.set(src.subarray(from.uOffset + s, from.uOffset + s + w / 2), uOffset + d);
      data.set(src.subarray(from.vOffset + s, from.vOffset + s + w / 2), vOffset + d);
    }
  }

  /** Copies a rectangle from another picture of the same size. */
  copyRect(from: I420, x: number, y: number, w: number, h: number): void {
    this.blit(from, x, y, x, y, w, h);
  }

  /** The Y, U and V at one pixel. */
  yuvAt(x: number, y: number): [number, number, number] {
    const c = (y >> 1) * (this.width / 2) + (x >> 1);
    return [this.data[y * this.width + x]!, this.data[this.uOffset + c]!, this.data[this.vOffset + c]!];
  }

  /** The whole picture as RGBA (for snapshots; not on the per-frame path). */
  toRgba(): Uint8ClampedArray {
    const { width, height } = this;
    const rgba = new Uint8ClampedArray(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const [r, g, b] = yuvToRgb(...this.yuvAt(x, y));
        const o = (y * width + x) * 4;
        rgba[o] = r;
        rgba[o + 1] = g;
        rgba[o + 2] = b;
        rgba[o + 3] = 255;
      }
    }
    return rgba;
  }
}
