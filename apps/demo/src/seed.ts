import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The demo show: a ham traced from the pig farm through the curing house to the tasting studio. */
export const demoShow = {
  id: 'demo',
  title: 'Jinhua ham, from pasture to plate',
  product: 'Jinhua dry-cured ham, 500 g — batch HAM-B-1187',
  status: 'live',
  scenes: [
    {
      id: 'studio',
      kind: 'studio',
      label: 'Tasting studio',
      location: 'Hangzhou',
      description: 'The host slices and tastes batch HAM-B-1187.',
    },
    {
      id: 'factory',
      kind: 'factory',
      label: 'Curing house',
      location: 'Jinhua',
      description: 'Line 3: salting, washing, 14 months of air-drying.',
    },
    {
      id: 'farm',
      kind: 'farm',
      label: 'Pig farm',
      location: 'Dongyang',
      description: 'Liangtouwu pigs raised on open pasture.',
    },
  ],
};

const trace = [
  {
    stage: 'farm',
    batch: 'PIG-2026-0412',
    place: 'Dongyang pasture, Zhejiang',
    time: '2025-08-20T07:30:00+08:00',
    description: 'Liangtouwu pigs, free-range for 300 days, fed on grain and sweet potato.',
    evidence: {
      name: 'Organic certificate',
      number: 'ORG-88231',
      url: 'https://example.org/certificates/ORG-88231',
    },
    sceneId: 'farm',
  },
  {
    stage: 'factory',
    batch: 'HAM-B-1187',
    place: 'Jinhua curing house, line 3',
    time: '2025-09-02T09:00:00+08:00',
    description: 'Salted by hand in winter, washed, sun-dried, then 14 months in the curing loft.',
    evidence: { name: 'HACCP audit', number: 'ZJ-0091-4471' },
    sceneId: 'factory',
  },
  {
    stage: 'studio',
    batch: 'HAM-B-1187 / slice 0420',
    place: 'Hangzhou tasting studio',
    time: '2026-11-25T20:00:00+08:00',
    description: 'Tasted live: deep red, marbled, a sweet finish.',
    evidence: { name: 'Quality inspection', number: 'QS-330112-2026' },
    sceneId: 'studio',
  },
];

export interface Seeded {
  brandKey: string;
  feeds: Record<string, string>;
}

async function call(
  base: string,
  method: string,
  path: string,
  key: string,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: JSON from our own API, read field by field below
): Promise<{ status: number; json: any }> {
  const response = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = response.status === 204 ? undefined : await response.json();
  return { status: response.status, json };
}

/**
 * Creates the demo brand, show, feeds and trace through the public API (the same calls a brand makes),
 * once; later runs reuse what the state file remembers.
 */
export async function seedDemo(tokenService: string, adminToken: string, stateFile: string): Promise<Seeded> {
  if (existsSync(stateFile)) {
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as Seeded;
    const check = await call(tokenService, 'GET', '/v1/shows', saved.brandKey);
    if (check.status === 200 && check.json.shows.some((s: { id: string }) => s.id === 'demo')) return saved;
  }
  const brand = await call(tokenService, 'POST', '/v1/brands', adminToken, { name: 'Jinhua Heritage Foods' });
  if (brand.status !== 201) throw new Error(`could not create the demo brand: ${JSON.stringify(brand.json)}`);
  const key = brand.json.apiKey as string;
  const show = await call(tokenService, 'POST', '/v1/shows', key, demoShow);
  if (show.status !== 201) throw new Error(`could not create the demo show: ${JSON.stringify(show.json)}`);
  const feeds: Record<string, string> = {};
  for (const scene of demoShow.scenes) {
    const feed = await call(tokenService, 'POST', '/v1/shows/demo/feeds', key, {
      sceneId: scene.id,
      label: `${scene.label} camera`,
      sourceKind: 'synthetic',
    });
    feeds[scene.id] = feed.json.id;
  }
  for (const record of trace) await call(tokenService, 'POST', '/v1/shows/demo/trace', key, record);
  const seeded = { brandKey: key, feeds };
  mkdirSync(dirname(stateFile), { recursive: true });
  writeFileSync(stateFile, JSON.stringify(seeded, null, 2), { mode: 0o600 });
  return seeded;
}
