import { createCanvas, ImageData } from '@napi-rs/canvas';
import type { I420 } from './i420.js';

/** Encodes a picture as PNG (for looking at a scene without LiveKit; not on the per-frame path). */
export function pictureToPng(picture: I420): Buffer {
  const canvas = createCanvas(picture.width, picture.height);
  canvas.getContext('2d').putImageData(new ImageData(picture.toRgba(), picture.width, picture.height), 0, 0);
  return canvas.toBuffer('image/png');
}
