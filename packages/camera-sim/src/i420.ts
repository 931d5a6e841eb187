/** A planar I420 picture in one buffer (Y, then U, then V), as rtc-node's VideoFrame takes it. */
export class I420 {
  readonly data: Uint8Array;
  readonly uOffset: number;
  readonly vOffset: number;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.uOffset = width * height;
    this.vOffset = this.uOffset + (width / 2) * (height / 2);
    this.data = new Uint8Array(this.vOffset + (width / 2) * (height / 2));
  }

  /** BT.601 limited range, as libwebrtc's encoders expect. */
  static yuv(r: number, g: number, b: number): [number, number, number] {
    const y = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
    const u = ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128;
    const v = ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128;
    return [y, u, v];
  }

  /** Converts an RGBA region (stride = its width) into this picture at (x, y); x, y, w, h even. */
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
    for (let row = 0; row < h; row += 2) {
      let src = row * w * 4;
      let dst = ((y + row) / 2) * cw + x / 2;
      for (let col = 0; col < w; col += 2, src += 8, dst++) {
        const r = rgba[src]!;
        const g = rgba[src + 1]!;
        const b = rgba[src + 2]!;
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

  /** Copies a rectangle from another picture of the same size (restoring the background under a sprite). */
  copyRect(from: I420, x: number, y: number, w: number, h: number): void {
    const { width, data, uOffset, vOffset } = this;
    for (let row = y; row < y + h; row++) {
      data.set(from.data.subarray(row * width + x, row * width + x + w), row * width + x);
    }
    const cw = width / 2;
    for (let row = y / 2; row < (y + h) / 2; row++) {
      const start = row * cw + x / 2;
      const end = start + w / 2;
      data.set(from.data.subarray(uOffset + start, uOffset + end), uOffset + start);
      data.set(from.data.subarray(vOffset + start, vOffset + end), vOffset + start);
    }
  }
}
