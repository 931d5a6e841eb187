import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ApiError, type endpoints, type RequestOf, type ScenecastClient } from '@scenecast/contract';

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
} satisfies RequestOf<typeof endpoints.createShow>;

const trace: RequestOf<typeof endpoints.addTrace>[] = [
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

/** Words the demo brand keeps out of its chat. */
export const demoBlockedWords = ['scam', 'fake'];

export interface Seeded {
  brandKey: string;
  /** The feed of each scene, by scene id. */
  feeds: Record<string, string>;
}

/**
 * Creates the demo brand, show, feeds and trace through the public API (the same calls a brand makes),
 * once; later runs reuse what the state file remembers, as long as the service still knows that brand's show.
 */
export async function seedDemo(api: ScenecastClient, adminToken: string, stateFile: string): Promise<Seeded> {
  if (existsSync(stateFile)) {
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as Seeded;
    const known = await api
      .withKey(saved.brandKey)
      .listShows()
      .then(({ shows }) => shows.some((s) => s.id === demoShow.id))
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 401) return false; // a database of another run
        throw error;
      });
    if (known) return saved;
  }
  const { apiKey } = await api.withKey(adminToken).createBrand({ name: 'Jinhua Heritage Foods' });
  const brand = api.withKey(apiKey);
  await brand.createShow(demoShow);
  const feeds: Record<string, string> = {};
  for (const scene of demoShow.scenes) {
    const feed = await brand.addFeed(demoShow.id, {
      sceneId: scene.id,
      label: `${scene.label} camera`,
      sourceKind: 'synthetic',
    });
    feeds[scene.id] = feed.id;
  }
  for (const record of trace) await brand.addTrace(demoShow.id, record);
  // The brand's chat word list: the moderator masks these in the show's chat.
  await brand.setChatPolicy(demoShow.id, { blockedWords: demoBlockedWords, action: 'mask' });
  const seeded = { brandKey: apiKey, feeds };
  mkdirSync(dirname(stateFile), { recursive: true });
  writeFileSync(stateFile, JSON.stringify(seeded, null, 2), { mode: 0o600 });
  return seeded;
}
