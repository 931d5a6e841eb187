/** An RGB triple, 0–255 per channel. */
export type Rgb = [number, number, number];

/** Which backdrop the scene paints under its name (drawn once per resolution). */
export type SceneMotif = 'studio' | 'factory' | 'farm' | 'plain';

/**
 * How one scene looks: its identifying band (exact RGB, the same at every resolution), its palette, what
 * its moving object is and what its label says in fine print.
 */
export interface SceneLook {
  name: string;
  /** The solid band across the top 12 % of the picture: the scene's identity, at every layer. */
  band: Rgb;
  /** Background gradient, top-left to bottom-right. */
  background: [string, string];
  /** Big text colour. */
  accent: string;
  /** The lane the moving object travels along (solid, so the object can be blitted as a block). */
  lane: string;
  motif: SceneMotif;
  caption: string;
  /** What moves across the lane. */
  object: string;
  batch: string;
  certificate: string;
  origin: string;
  /** What the scene's microphone carries: the host's voice (the studio) or a quiet ambience. */
  sound: 'voice' | 'ambience';
  /** A steady tone under the scene's sound (Hz), so a listener can tell which scene's audio it hears. */
  pilotHz: number;
}

export const sceneLooks: Record<string, SceneLook> = {
  studio: {
    name: 'STUDIO',
    band: [224, 32, 160],
    background: ['#1e0b24', '#4a1842'],
    accent: '#ffd6f2',
    lane: '#3a2a33',
    motif: 'studio',
    caption: 'Live tasting with the host',
    object: 'PLATE',
    batch: 'HAM-B-1187 / SLICE 0420',
    certificate: 'QS-330112-2026 / LOT 7731',
    origin: 'Jinhua, Zhejiang - studio 2',
    sound: 'voice',
    pilotHz: 1000,
  },
  factory: {
    name: 'FACTORY',
    band: [255, 136, 0],
    background: ['#20160a', '#4c3212'],
    accent: '#ffe4bd',
    lane: '#30302e',
    motif: 'factory',
    caption: 'Curing house, line 3',
    object: 'HAM',
    batch: 'HAM-B-1187 / RACK 14',
    certificate: 'HACCP ZJ-0091-4471 / CHECK 22',
    origin: 'Dongyang curing works, line 3',
    sound: 'ambience',
    pilotHz: 1500,
  },
  farm: {
    name: 'FARM',
    band: [32, 176, 64],
    background: ['#0b2a3a', '#17401f'],
    accent: '#dcffe2',
    lane: '#5a4326',
    motif: 'farm',
    caption: 'Liangtouwu pigs, Dongyang pasture',
    object: 'PIG',
    batch: 'PIG-2026-0412 / PEN C',
    certificate: 'ORGANIC ORG-88231 / VET 5120',
    origin: 'Dongyang pasture, pen C',
    sound: 'ambience',
    pilotHz: 2000,
  },
};

/** Exact band colour per scene, for tests and for anyone checking which scene is on screen. */
export const sceneColors: Record<string, Rgb> = Object.fromEntries(
  Object.entries(sceneLooks).map(([id, look]) => [id, look.band]),
);

/** Pilot tone per scene (Hz): which scene's audio a listener hears. */
export const scenePilotTones: Record<string, number> = Object.fromEntries(
  Object.entries(sceneLooks).map(([id, look]) => [id, look.pilotHz]),
);

/** A scene we have no look for still gets a stable, distinct band derived from its id. */
export function lookFor(sceneId: string): SceneLook {
  const known = sceneLooks[sceneId];
  if (known) return known;
  let hash = 0;
  for (const ch of sceneId) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  const band: Rgb = [64 + (hash % 160), 64 + ((hash >>> 8) % 160), 64 + ((hash >>> 16) % 160)];
  return {
    name: sceneId.toUpperCase().slice(0, 16),
    band,
    background: ['#151820', '#2a3040'],
    accent: '#e0e6f0',
    lane: '#2b2f38',
    motif: 'plain',
    caption: 'Live',
    object: 'LIVE',
    batch: `BATCH ${hash.toString(36).toUpperCase()}`,
    certificate: `CERT ${(hash >> 4).toString(36).toUpperCase()}`,
    origin: sceneId,
    sound: 'ambience',
    // 2500–3750 Hz: clear of the known scenes' tones.
    pilotHz: 2500 + (hash % 6) * 250,
  };
}

/**
 * Which known scene a band colour belongs to (e.g. the mean colour of a received frame's top rows), or
 * undefined when none is within `tolerance` on every channel.
 */
export function sceneForColor(rgb: Rgb | number[], tolerance = 40): string | undefined {
  let best: { id: string; distance: number } | undefined;
  for (const [id, band] of Object.entries(sceneColors)) {
    const distance = Math.max(...band.map((value, i) => Math.abs(value - (rgb[i] ?? 0))));
    if (distance <= tolerance && (!best || distance < best.distance)) best = { id, distance };
  }
  return best?.id;
}
