// What the viewer's stage shows, read from the page: shared by the viewer and cluster tests.
import type { Page } from 'playwright-core';

/** The stage's current picture: size, and the mean color of the identifying band (top 12 %). */
export async function stagePicture(page: Page) {
  return page.evaluate(() => {
    const video = document.querySelector<HTMLVideoElement>('[data-testid="stage-video"]')!;
    const canvas = document.createElement('canvas');
    canvas.width = 64;
    canvas.height = 36;
    const g = canvas.getContext('2d', { willReadFrequently: true })!;
    g.drawImage(video, 0, 0, 64, 36);
    const band = g.getImageData(8, 1, 48, 2).data;
    const mean = [0, 0, 0];
    for (let i = 0; i < band.length; i += 4)
      for (let c = 0; c < 3; c++) mean[c]! += band[i + c]! / (band.length / 4);
    return { width: video.videoWidth, height: video.videoHeight, band: mean.map(Math.round) };
  });
}

export const near = (a: number[], b: number[], tolerance = 40) =>
  a.every((v, i) => Math.abs(v - b[i]!) <= tolerance);

/** What the viewer's stage exposes for tests and the benchmark. */
declare global {
  interface Window {
    scenecast?: {
      /** One per switch, numbered from 1, created when the viewer asks (startedAt: performance.now()). */
      switches: {
        switch: number;
        sceneId: string;
        startedAt: number;
        firstFrameMs?: number;
        sharpFrameMs?: number;
      }[];
      zooms: number[];
    };
  }
}
