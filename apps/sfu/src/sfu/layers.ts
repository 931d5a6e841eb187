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
 * The layer a subscriber should get for the size it renders at: the smallest layer at least that
 * big, as LiveKit does, so the picture is never upscaled when a sharper layer exists.
 */
export function qualityForDimensions(
  layers: readonly VideoLayer[],
  width: number,
  height: number,
): VideoQuality {
  if (layers.length === 0) return VideoQuality.HIGH;
  const sorted = [...layers].sort((a, b) => a.quality - b.quality);
  const wanted = Math.max(width, height);
  for (const layer of sorted) {
    if (Math.max(layer.width, layer.height) >= wanted) return layer.quality;
  }
  return sorted[sorted.length - 1]!.quality;
}

export const qualities = [VideoQuality.LOW, VideoQuality.MEDIUM, VideoQuality.HIGH] as const;
