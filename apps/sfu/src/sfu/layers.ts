import { type VideoLayer, VideoQuality } from '@livekit/protocol';

/** livekit-client and the Rust SDK name simulcast encodings q (quarter), h (half) and f (full). */
const ridQuality: Record<string, VideoQuality> = {
  q: VideoQuality.LOW,
  h: VideoQuality.MEDIUM,
  f: VideoQuality.HIGH,
};

export function qualityForRid(rid: string | undefined, layers: readonly VideoLayer[]): VideoQuality {
  if (!rid) return layers.length > 0 ? Math.min(...layers.map((l) => l.quality)) : VideoQuality.HIGH;
  const known = ridQuality[rid];
  if (known !== undefined) return known;
  const byRid = layers.find((layer) => layer.rid === rid);
  return byRid?.quality ?? VideoQuality.HIGH;
}

/**
 * The layer a subscriber should get for the size it renders at: the smallest layer at least that big,
 * as LiveKit does, so the picture is not upscaled when a sharper layer exists — except when that layer
 * is over twice the size asked for and the next one down is close (≥ 60 %): then the smaller one, so a
 * 900-px stage does not pull a 4K stream from a camera whose layers are 180p / 360p / 2160p.
 */
export function qualityForDimensions(
  layers: readonly VideoLayer[],
  width: number,
  height: number,
): VideoQuality {
  if (layers.length === 0) return VideoQuality.HIGH;
  const sorted = [...layers].sort((a, b) => a.quality - b.quality);
  const wanted = Math.max(width, height);
  const size = (layer: VideoLayer) => Math.max(layer.width, layer.height);
  const index = sorted.findIndex((layer) => size(layer) >= wanted);
  if (index === -1) return sorted[sorted.length - 1]!.quality;
  const below = sorted[index - 1];
  if (below && size(sorted[index]!) > 2 * wanted && size(below) >= 0.6 * wanted) return below.quality;
  return sorted[index]!.quality;
}

export const qualities = [VideoQuality.LOW, VideoQuality.MEDIUM, VideoQuality.HIGH] as const;
