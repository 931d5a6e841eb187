import { open } from 'node:fs/promises';
import { type RendererOptions, SceneRenderer } from './renderer.js';

export interface Y4mClip {
  scene: string;
  width: number;
  height: number;
  /** Frames in the clip; a browser's file camera loops them. */
  frames: number;
  fps: number;
  /** Where the file goes. */
  path: string;
}

/**
 * A scene's picture as a YUV4MPEG2 clip (4:2:0, the renderer's own I420 frames): what Chromium's
 * `--use-file-for-fake-video-capture` plays as its camera, so a browser publishes a scene a test can tell
 * apart from Chromium's default pattern. Written frame by frame: a 4K frame is 12 MB.
 */
export async function writeY4m(clip: Y4mClip, options: RendererOptions = {}): Promise<string> {
  if (!Number.isInteger(clip.frames) || clip.frames < 1)
    throw new Error(`frames must be at least 1 (got ${clip.frames})`);
  if (!Number.isInteger(clip.fps) || clip.fps < 1)
    throw new Error(`fps must be a whole number (got ${clip.fps})`);
  const renderer = new SceneRenderer(clip.scene, clip.width, clip.height, { ...options, fps: clip.fps });
  const file = await open(clip.path, 'w');
  try {
    await file.write(`YUV4MPEG2 W${clip.width} H${clip.height} F${clip.fps}:1 Ip A1:1 C420jpeg\n`);
    const start = Date.now();
    for (let i = 0; i < clip.frames; i++) {
      const frame = renderer.next(new Date(start + (i * 1000) / clip.fps));
      await file.write('FRAME\n');
      await file.write(frame.data);
    }
  } finally {
    await file.close();
  }
  return clip.path;
}
