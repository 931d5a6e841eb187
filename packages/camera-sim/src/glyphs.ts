import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { I420 } from './i420.js';

/** Every character the clock and frame counter use. */
export const clockCharacters = '0123456789:.# ';

/** 5x7 pixel glyphs, used only when the machine has no fonts at all (canvas would draw nothing). */
const bitmapFont: Record<string, string[]> = {
  '0': ['01110', '10001', '10011', '10101', '11001', '10001', '01110'],
  '1': ['00100', '01100', '00100', '00100', '00100', '00100', '01110'],
  '2': ['01110', '10001', '00001', '00010', '00100', '01000', '11111'],
  '3': ['11110', '00001', '00001', '01110', '00001', '00001', '11110'],
  '4': ['00010', '00110', '01010', '10010', '11111', '00010', '00010'],
  '5': ['11111', '10000', '11110', '00001', '00001', '10001', '01110'],
  '6': ['00110', '01000', '10000', '11110', '10001', '10001', '01110'],
  '7': ['11111', '00001', '00010', '00100', '01000', '01000', '01000'],
  '8': ['01110', '10001', '10001', '01110', '10001', '10001', '01110'],
  '9': ['01110', '10001', '10001', '01111', '00001', '00010', '01100'],
  ':': ['00000', '01100', '01100', '00000', '01100', '01100', '00000'],
  '.': ['00000', '00000', '00000', '00000', '00000', '01100', '01100'],
  '#': ['01010', '01010', '11111', '01010', '11111', '01010', '01010'],
  ' ': ['00000', '00000', '00000', '00000', '00000', '00000', '00000'],
};

/** True when @napi-rs/canvas found at least one font on this machine. */
export const hasFonts = (): boolean => GlobalFonts.families.length > 0;

/**
 * A strip of pre-rendered glyph cells in I420: rasterised once with @napi-rs/canvas, then every frame
 * only copies the cells of the characters that changed (no canvas, no colour conversion per frame).
 */
export class GlyphStrip {
  readonly atlas: I420;

  constructor(
    readonly cellWidth: number,
    readonly cellHeight: number,
    foreground: string,
    background: string,
    readonly characters = clockCharacters,
  ) {
    const width = cellWidth * characters.length;
    const canvas = createCanvas(width, cellHeight);
    const g = canvas.getContext('2d');
    g.fillStyle = background;
    g.fillRect(0, 0, width, cellHeight);
    g.fillStyle = foreground;
    if (hasFonts()) {
      g.font = `bold ${Math.max(4, Math.round(cellHeight * 0.8))}px "DejaVu Sans Mono", "Liberation Mono", monospace`;
      g.textAlign = 'center';
      g.textBaseline = 'middle';
      for (const [i, ch] of [...characters].entries())
        g.fillText(ch, i * cellWidth + cellWidth / 2, cellHeight * 0.52);
    } else {
      const px = Math.max(1, Math.floor(Math.min(cellWidth / 6, cellHeight / 8)));
      const x0 = Math.floor((cellWidth - 5 * px) / 2);
      const y0 = Math.floor((cellHeight - 7 * px) / 2);
      for (const [i, ch] of [...characters].entries()) {
        for (const [row, bits] of (bitmapFont[ch] ?? bitmapFont[' ']!).entries())
          for (let col = 0; col < 5; col++)
            if (bits[col] === '1') g.fillRect(i * cellWidth + x0 + col * px, y0 + row * px, px, px);
      }
    }
    this.atlas = I420.fromRgba(g.getImageData(0, 0, width, cellHeight).data, width, cellHeight);
  }

  /** Draws character `ch` into `target` with its cell's top-left at (x, y). */
  draw(target: I420, ch: string, x: number, y: number): void {
    const index = Math.max(0, this.characters.indexOf(ch));
    target.blit(this.atlas, index * this.cellWidth, 0, x, y, this.cellWidth, this.cellHeight);
  }

  /** Which character a cell of `picture` at (x, y) shows: the atlas cell it matches exactly, or undefined. */
  read(picture: I420, x: number, y: number): string | undefined {
    for (const [index, ch] of [...this.characters].entries()) {
      let same = true;
      for (let row = 0; row < this.cellHeight && same; row++) {
        const a = (y + row) * picture.width + x;
        const b = row * this.atlas.width + index * this.cellWidth;
        for (let col = 0; col < this.cellWidth; col++) {
          if (picture.data[a + col] !== this.atlas.data[b + col]) {
            same = false;
            break;
          }
        }
      }
      if (same) return ch;
    }
    return undefined;
  }
}
