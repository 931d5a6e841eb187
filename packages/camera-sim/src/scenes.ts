/** How each scene looks: its identifying band color (exact RGB, the same at every resolution) and palette. */
export interface SceneLook {
  name: string;
  band: [number, number, number];
  background: [string, string];
  accent: string;
  caption: string;
  batch: string;
  certificate: string;
}

export const sceneLooks: Record<string, SceneLook> = {
  studio: {
    name: 'STUDIO',
    band: [224, 32, 160],
    background: ['#2a1030', '#5a2050'],
    accent: '#ffd0f0',
    caption: 'Live tasting with the host',
    batch: 'HAM-B-1187 / SLICE 0420',
    certificate: 'CERT QS-330112-2026 · LOT 7731',
  },
  factory: {
    name: 'FACTORY',
    band: [255, 136, 0],
    background: ['#2b1d0a', '#5c3a10'],
    accent: '#ffe2b8',
    caption: 'Curing house, line 3',
    batch: 'HAM-B-1187 / RACK 14',
    certificate: 'HACCP ZJ-0091-4471 · CHECK 22',
  },
  farm: {
    name: 'FARM',
    band: [32, 176, 64],
    background: ['#0c2412', '#1d4a26'],
    accent: '#d2ffd9',
    caption: 'Liangtouwu pigs, Dongyang pasture',
    batch: 'PIG-2026-0412 / PEN C',
    certificate: 'ORGANIC ORG-88231 · VET 5120',
  },
};

/** Exact band color per scene, for tests and for anyone checking which scene is on screen. */
export const sceneColors = Object.fromEntries(
  Object.entries(sceneLooks).map(([id, look]) => [id, look.band]),
) as Record<string, [number, number, number]>;

/** A scene we have no look for still gets a stable, distinct color derived from its id. */
export function lookFor(sceneId: string): SceneLook {
  const known = sceneLooks[sceneId];
  if (known) return known;
  let hash = 0;
  for (const ch of sceneId) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  const band: [number, number, number] = [
    64 + (hash % 160),
    64 + ((hash >> 8) % 160),
    64 + ((hash >> 16) % 160),
  ];
  return {
    name: sceneId.toUpperCase(),
    band,
    background: ['#151820', '#2a3040'],
    accent: '#e0e6f0',
    caption: 'Live',
    batch: `BATCH ${hash.toString(36).toUpperCase()}`,
    certificate: `CERT ${(hash >> 4).toString(36).toUpperCase()}`,
  };
}
