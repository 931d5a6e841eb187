import { VideoLayer, VideoQuality } from '@livekit/protocol';
import { describe, expect, it } from 'vitest';
import { qualityForDimensions } from '../src/sfu/layers.js';

const layers = (...sizes: [number, number][]) =>
  sizes.map(([width, height], quality) => new VideoLayer({ quality, width, height }));

describe('qualityForDimensions', () => {
  const browser = layers([320, 180], [640, 360], [1280, 720]);
  const fourK = layers([320, 180], [640, 360], [3840, 2160]);

  it('picks the smallest layer at least as big as the render size', () => {
    expect(qualityForDimensions(browser, 300, 170)).toBe(VideoQuality.LOW);
    expect(qualityForDimensions(browser, 600, 340)).toBe(VideoQuality.MEDIUM);
    expect(qualityForDimensions(browser, 1000, 560)).toBe(VideoQuality.HIGH);
    expect(qualityForDimensions(browser, 5000, 3000)).toBe(VideoQuality.HIGH);
  });

  it('does not pull a layer more than twice too big when the one below is close', () => {
    expect(qualityForDimensions(fourK, 900, 506)).toBe(VideoQuality.MEDIUM);
    expect(qualityForDimensions(fourK, 1200, 675)).toBe(VideoQuality.HIGH); // 640 is < 60 % of 1200
    expect(qualityForDimensions(fourK, 3000, 1688)).toBe(VideoQuality.HIGH);
  });
});
