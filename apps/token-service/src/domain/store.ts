import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type {
  ChatPolicy,
  ChatPolicyInput,
  CreatedBrand,
  CreateShow,
  Feed,
  FeedInput,
  FeedQuality,
  PublicShow,
  Scene,
  SceneInput,
  Show,
  TraceInput,
  TraceRecord,
  UpdateScene,
  UpdateShow,
} from '@scenecast/contract';
import { showLimits } from '@scenecast/contract';
import type { FeedGrantInput } from '@scenecast/contract/grants';
import type { Kysely } from 'kysely';
import type { Brand, Database, FeedRow, SceneRow, ShowRow, TraceRow } from '../db/schema.js';

/** A domain rule was broken; the HTTP layer turns it into a problem response with this status. */
export class DomainError extends Error {
  constructor(
    readonly status: 404 | 409 | 410 | 422,
    message: string,
  ) {
    super(message);
  }
}

const now = () => new Date().toISOString();
const shortId = () =>
  randomBytes(6)
    .toString('base64url')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, 'x');
/**
 * Runs a write whose key may have been taken between our check and our insert: two requests can both see
 * an id as free (PostgreSQL runs them truly in parallel), and the loser must get the same 409 as a plain
 * duplicate, not a 500.
 */
async function claimingKey<T>(write: Promise<T>, conflict: string): Promise<T> {
  try {
    return await write;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const taken =
      code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
    throw taken ? new DomainError(409, conflict) : error;
  }
}
/**
 * Feeds with what their grant depends on (`FeedGrantInput`: the scene's kind comes from the scene); every
 * lookup of a feed to mint a token for (by owner, publish code or stream key) joins on from here.
 */
export function feedGrants(db: Kysely<Database>) {
  return db
    .selectFrom('feeds')
    .innerJoin('scenes', (join) =>
      join.onRef('scenes.show_id', '=', 'feeds.show_id').onRef('scenes.id', '=', 'feeds.scene_id'),
    )
    .select([
      'feeds.id',
      'feeds.show_id as showId',
      'feeds.scene_id as sceneId',
      'scenes.kind as sceneKind',
      'feeds.identity',
      'feeds.label',
    ]);
}
export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

function sceneView(scene: SceneRow, feeds: FeedRow[]): Scene {
  const own = feeds.filter((f) => f.scene_id === scene.id);
  return {
    id: scene.id,
    kind: scene.kind,
    label: scene.label,
    order: scene.position,
    location: scene.location,
    description: scene.description,
    live: own.some((f) => f.live === 1),
    feeds: own.map((f) => ({
      id: f.id,
      label: f.label,
      sourceKind: f.source_kind,
      live: f.live === 1,
      lastSeenAt: f.last_seen_at,
      quality: f.quality ? (JSON.parse(f.quality) as FeedQuality) : null,
    })),
  };
}

/** A trace record's columns from its input (the same for adding and replacing). */
function traceFields(input: TraceInput) {
  return {
    stage: input.stage,
    batch: input.batch ?? null,
    place: input.place ?? null,
    happened_at: input.time ?? null,
    description: input.description ?? null,
    evidence_name: input.evidence?.name ?? null,
    evidence_number: input.evidence?.number ?? null,
    evidence_url: input.evidence?.url ?? null,
    scene_id: input.sceneId ?? null,
  };
}

function traceView(t: TraceRow): TraceRecord {
  return {
    id: t.id,
    stage: t.stage,
    batch: t.batch,
    place: t.place,
    time: t.happened_at,
    description: t.description,
    evidence:
      t.evidence_name || t.evidence_number || t.evidence_url
        ? { name: t.evidence_name, number: t.evidence_number, url: t.evidence_url }
        : null,
    sceneId: t.scene_id,
  };
}

/** Everything the token service stores, behind one small API; every query is scoped to its owner. */
export class Store {
  private readonly existsCache = new Map<string, { exists: boolean; until: number }>();

  constructor(readonly db: Kysely<Database>) {}

  // ---- brands ----

  /** A brand and its API key; the key is returned this once, only its hash is kept. */
  async createBrand(name: string): Promise<CreatedBrand> {
    const id = `br_${shortId()}`;
    const secret = randomBytes(24).toString('base64url');
    const brand = { id, name, key_hash: hashSecret(secret), created_at: now() };
    await this.db.insertInto('brands').values(brand).execute();
    return { id, name, createdAt: brand.created_at, apiKey: `sck_${id}.${secret}` };
  }

  /** Finds the brand an API key belongs to, comparing hashes in constant time. */
  async authenticate(apiKey: string): Promise<Brand | undefined> {
    const match = /^sck_(br_[a-z0-9]+)\.([A-Za-z0-9_-]{10,})$/.exec(apiKey);
    if (!match) return undefined;
    const brand = await this.db
      .selectFrom('brands')
      .selectAll()
      .where('id', '=', match[1]!)
      .executeTakeFirst();
    const expected = Buffer.from(brand?.key_hash ?? '0'.repeat(64), 'hex');
    const actual = Buffer.from(hashSecret(match[2]!), 'hex');
    return timingSafeEqual(expected, actual) && brand ? brand : undefined;
  }

  // ---- shows ----

  async createShow(brandId: string, input: CreateShow): Promise<Show> {
    const id = input.id ?? `show-${shortId()}`;
    const sceneIds = input.scenes.map((s, i) => s.id ?? `${s.kind}-${i + 1}`);
    if (new Set(sceneIds).size !== sceneIds.length) throw new DomainError(422, 'scene ids must be unique');
    const taken = `show id "${id}" is taken`;
    const created = this.db.transaction().execute(async (tx) => {
      const exists = await tx.selectFrom('shows').select('id').where('id', '=', id).executeTakeFirst();
      if (exists) throw new DomainError(409, taken);
      const stamp = now();
      await tx
        .insertInto('shows')
        .values({
          id,
          brand_id: brandId,
          title: input.title,
          product: input.product,
          status: input.status ?? 'draft',
          created_at: stamp,
          updated_at: stamp,
        })
        .execute();
      await tx
        .insertInto('scenes')
        .values(input.scenes.map((s, i) => this.sceneRow(id, sceneIds[i]!, s, i)))
        .execute();
    });
    await claimingKey(created, taken);
    return this.ownerView(brandId, id);
  }

  async listShows(brandId: string): Promise<Show[]> {
    const shows = await this.db
      .selectFrom('shows')
      .selectAll()
      .where('brand_id', '=', brandId)
      .orderBy('created_at', 'desc')
      .execute();
    return Promise.all(shows.map((s) => this.describe(s)));
  }

  /** The show if this brand owns it; another brand's show is reported as not found, never as forbidden. */
  async ownedShow(brandId: string, showId: string): Promise<ShowRow> {
    const show = await this.db
      .selectFrom('shows')
      .selectAll()
      .where('id', '=', showId)
      .where('brand_id', '=', brandId)
      .executeTakeFirst();
    if (!show) throw new DomainError(404, `show "${showId}" not found`);
    return show;
  }

  async ownerView(brandId: string, showId: string): Promise<Show> {
    return this.describe(await this.ownedShow(brandId, showId));
  }

  async updateShow(brandId: string, showId: string, patch: UpdateShow): Promise<Show> {
    await this.ownedShow(brandId, showId);
    await this.db
      .updateTable('shows')
      .set({ ...patch, updated_at: now() })
      .where('id', '=', showId)
      .execute();
    return this.ownerView(brandId, showId);
  }

  async deleteShow(brandId: string, showId: string): Promise<void> {
    await this.ownedShow(brandId, showId);
    await this.db.deleteFrom('shows').where('id', '=', showId).execute();
    this.existsCache.delete(showId);
  }

  /** What anyone with the link may see: no brand, no feed identities. */
  async publicView(showId: string): Promise<PublicShow> {
    const show = await this.db.selectFrom('shows').selectAll().where('id', '=', showId).executeTakeFirst();
    if (!show) throw new DomainError(404, `show "${showId}" not found`);
    const { brandId: _brand, ...view } = await this.describe(show);
    return {
      ...view,
      scenes: view.scenes.map(({ feeds, ...scene }) => ({
        ...scene,
        feeds: feeds.map(({ id, label, live, quality }) => ({ id, label, live, quality })),
      })),
    };
  }

  // ---- scenes, trace, feeds ----

  async addScene(brandId: string, showId: string, input: SceneInput): Promise<Scene> {
    await this.ownedShow(brandId, showId);
    const scenes = await this.db
      .selectFrom('scenes')
      .select(['id', 'position'])
      .where('show_id', '=', showId)
      .execute();
    if (scenes.length >= showLimits.scenes)
      throw new DomainError(409, `this show has ${showLimits.scenes} scenes, the most a show may have`);
    const id = input.id ?? `${input.kind}-${scenes.length + 1}`;
    const taken = `scene "${id}" already exists in this show`;
    if (scenes.some((s) => s.id === id)) throw new DomainError(409, taken);
    await claimingKey(
      this.db
        .insertInto('scenes')
        .values(this.sceneRow(showId, id, input, scenes.length))
        .execute(),
      taken,
    );
    const view = await this.ownerView(brandId, showId);
    return view.scenes.find((s) => s.id === id)!;
  }

  async updateScene(brandId: string, showId: string, sceneId: string, patch: UpdateScene): Promise<Scene> {
    await this.ownedShow(brandId, showId);
    await this.requireScene(showId, sceneId);
    await this.db
      .updateTable('scenes')
      .set({
        ...(patch.label ? { label: patch.label } : {}),
        ...(patch.order !== undefined ? { position: patch.order } : {}),
      })
      .where('show_id', '=', showId)
      .where('id', '=', sceneId)
      .execute();
    await this.touch(showId);
    const view = await this.ownerView(brandId, showId);
    return view.scenes.find((s) => s.id === sceneId)!;
  }

  /** Removes a scene with its feeds (cascade); a show keeps at least one scene. */
  async deleteScene(brandId: string, showId: string, sceneId: string): Promise<void> {
    await this.ownedShow(brandId, showId);
    await this.requireScene(showId, sceneId);
    const scenes = await this.db.selectFrom('scenes').select('id').where('show_id', '=', showId).execute();
    if (scenes.length === 1) throw new DomainError(409, 'a show keeps at least one scene');
    await this.db.deleteFrom('scenes').where('show_id', '=', showId).where('id', '=', sceneId).execute();
    await this.db
      .updateTable('trace_records')
      .set({ scene_id: null })
      .where('show_id', '=', showId)
      .where('scene_id', '=', sceneId)
      .execute();
    await this.touch(showId);
  }

  async addTrace(brandId: string, showId: string, input: TraceInput): Promise<TraceRecord> {
    await this.ownedShow(brandId, showId);
    if (input.sceneId) await this.requireScene(showId, input.sceneId);
    const count = await this.db
      .selectFrom('trace_records')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('show_id', '=', showId)
      .executeTakeFirstOrThrow();
    if (Number(count.n) >= showLimits.traceRecords)
      throw new DomainError(
        409,
        `this show has ${showLimits.traceRecords} trace records, the most a show may have`,
      );
    const row: TraceRow = {
      id: `tr_${shortId()}`,
      show_id: showId,
      ...traceFields(input),
      position: Number(count.n),
    };
    await this.db.insertInto('trace_records').values(row).execute();
    return traceView(row);
  }

  async updateTrace(
    brandId: string,
    showId: string,
    traceId: string,
    input: TraceInput,
  ): Promise<TraceRecord> {
    await this.ownedShow(brandId, showId);
    if (input.sceneId) await this.requireScene(showId, input.sceneId);
    const row = await this.ownedTrace(showId, traceId);
    const updated: TraceRow = { ...row, ...traceFields(input) };
    await this.db.updateTable('trace_records').set(traceFields(input)).where('id', '=', traceId).execute();
    await this.touch(showId);
    return traceView(updated);
  }

  async deleteTrace(brandId: string, showId: string, traceId: string): Promise<void> {
    await this.ownedShow(brandId, showId);
    await this.ownedTrace(showId, traceId);
    await this.db.deleteFrom('trace_records').where('id', '=', traceId).execute();
    await this.touch(showId);
  }

  // ---- chat ----

  async setChatPolicy(brandId: string, showId: string, policy: ChatPolicyInput): Promise<ChatPolicy> {
    await this.ownedShow(brandId, showId);
    const row = {
      show_id: showId,
      blocked_words: JSON.stringify(policy.blockedWords),
      action: policy.action,
    };
    await this.db
      .insertInto('chat_policies')
      .values(row)
      .onConflict((oc) =>
        oc.column('show_id').doUpdateSet({ blocked_words: row.blocked_words, action: row.action }),
      )
      .execute();
    return { blockedWords: policy.blockedWords, action: policy.action };
  }

  /** A show's word list; none set: no words. */
  async chatPolicy(showId: string): Promise<ChatPolicy> {
    if (!(await this.showExists(showId))) throw new DomainError(404, `show "${showId}" not found`);
    const row = await this.db
      .selectFrom('chat_policies')
      .selectAll()
      .where('show_id', '=', showId)
      .executeTakeFirst();
    return row
      ? { blockedWords: JSON.parse(row.blocked_words) as string[], action: row.action }
      : { blockedWords: [], action: 'mask' };
  }

  async addFeed(brandId: string, showId: string, input: FeedInput): Promise<Feed> {
    await this.ownedShow(brandId, showId);
    await this.requireScene(showId, input.sceneId);
    const id = `fd_${shortId()}`;
    const row = {
      id,
      show_id: showId,
      scene_id: input.sceneId,
      label: input.label,
      source_kind: input.sourceKind,
      identity: `feed-${id.slice(3)}`,
      last_seen_at: null,
      quality: null,
    };
    await this.db.insertInto('feeds').values(row).execute();
    return {
      id,
      showId,
      sceneId: input.sceneId,
      label: input.label,
      sourceKind: input.sourceKind,
      identity: row.identity,
      live: false,
    };
  }

  /** A feed with its scene's kind (what its grant depends on), if the brand owns it. */
  async ownedFeed(brandId: string, feedId: string): Promise<FeedGrantInput> {
    const feed = await feedGrants(this.db)
      .innerJoin('shows', 'shows.id', 'feeds.show_id')
      .where('feeds.id', '=', feedId)
      .where('shows.brand_id', '=', brandId)
      .executeTakeFirst();
    if (!feed) throw new DomainError(404, `feed "${feedId}" not found`);
    return feed;
  }

  /**
   * A new identity for a feed (its key): tokens carry the identity, so every token issued before names one
   * no feed has any more (the webhook removes such a camera). Returns the feed as it is now and the
   * identity it had.
   */
  async rotateFeedIdentity(brandId: string, feedId: string): Promise<{ feed: Feed; previous: string }> {
    const owned = await this.ownedFeed(brandId, feedId);
    const identity = `feed-${shortId()}`;
    await this.db.updateTable('feeds').set({ identity, live: 0 }).where('id', '=', owned.id).execute();
    const row = await this.db
      .selectFrom('feeds')
      .select(['label', 'source_kind'])
      .where('id', '=', owned.id)
      .executeTakeFirstOrThrow();
    return {
      feed: {
        id: owned.id,
        showId: owned.showId,
        sceneId: owned.sceneId,
        label: row.label,
        sourceKind: row.source_kind,
        identity,
        live: false,
      },
      previous: owned.identity,
    };
  }

  /** The identity feed `feedId` has now (after any rotation), or undefined for no such feed. */
  async feedIdentity(feedId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('feeds')
      .select('identity')
      .where('id', '=', feedId)
      .executeTakeFirst();
    return row?.identity;
  }

  /** Removes a feed; its publish links go with it (cascade). */
  async deleteFeed(brandId: string, feedId: string): Promise<void> {
    const feed = await this.ownedFeed(brandId, feedId);
    await this.db.deleteFrom('feeds').where('id', '=', feed.id).execute();
  }

  /**
   * Whether a show exists, for the hot public token path: answers from a 5-second cache so a burst of
   * viewers joining costs one query. A deleted show may thus get tokens for up to 5 s — harmless, since a
   * token only opens an empty room — and deleteShow clears its entry at once on this instance.
   */
  async showExists(showId: string): Promise<boolean> {
    const cached = this.existsCache.get(showId);
    if (cached && cached.until > Date.now()) return cached.exists;
    const exists = !!(await this.db
      .selectFrom('shows')
      .select('id')
      .where('id', '=', showId)
      .executeTakeFirst());
    if (this.existsCache.size > 10_000) this.existsCache.clear();
    this.existsCache.set(showId, { exists, until: Date.now() + 5000 });
    return exists;
  }

  // ---- live status, from LiveKit webhooks ----

  async setFeedLive(identity: string, live: boolean, quality?: FeedQuality): Promise<boolean> {
    const result = await this.db
      .updateTable('feeds')
      .set({
        live: live ? 1 : 0,
        last_seen_at: now(),
        ...(quality ? { quality: JSON.stringify(quality) } : {}),
      })
      .where('identity', '=', identity)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async setShowOffline(showId: string): Promise<void> {
    await this.db.updateTable('feeds').set({ live: 0 }).where('show_id', '=', showId).execute();
  }

  /** Every feed of a show whose status is live, for the feed-offline alert (`token_service_feed_live`). */
  async liveShowFeeds(): Promise<{ showId: string; sceneId: string; feedId: string; live: boolean }[]> {
    const rows = await this.db
      .selectFrom('feeds')
      .innerJoin('shows', 'shows.id', 'feeds.show_id')
      .select(['feeds.show_id', 'feeds.scene_id', 'feeds.id', 'feeds.live'])
      .where('shows.status', '=', 'live')
      .execute();
    return rows.map((r) => ({ showId: r.show_id, sceneId: r.scene_id, feedId: r.id, live: r.live === 1 }));
  }

  // ---- helpers ----

  private sceneRow(showId: string, id: string, s: SceneInput, index: number): SceneRow {
    return {
      show_id: showId,
      id,
      kind: s.kind,
      label: s.label,
      position: s.order ?? index,
      location: s.location ?? null,
      description: s.description ?? null,
    };
  }

  private async touch(showId: string): Promise<void> {
    await this.db.updateTable('shows').set({ updated_at: now() }).where('id', '=', showId).execute();
  }

  private async ownedTrace(showId: string, traceId: string): Promise<TraceRow> {
    const row = await this.db
      .selectFrom('trace_records')
      .selectAll()
      .where('id', '=', traceId)
      .where('show_id', '=', showId)
      .executeTakeFirst();
    if (!row) throw new DomainError(404, `trace record "${traceId}" not found in show "${showId}"`);
    return row;
  }

  private async requireScene(showId: string, sceneId: string): Promise<void> {
    const scene = await this.db
      .selectFrom('scenes')
      .select('id')
      .where('show_id', '=', showId)
      .where('id', '=', sceneId)
      .executeTakeFirst();
    if (!scene) throw new DomainError(404, `scene "${sceneId}" not found in show "${showId}"`);
  }

  private async describe(show: ShowRow): Promise<Show> {
    const [scenes, feeds, trace] = await Promise.all([
      this.db.selectFrom('scenes').selectAll().where('show_id', '=', show.id).orderBy('position').execute(),
      this.db.selectFrom('feeds').selectAll().where('show_id', '=', show.id).execute(),
      this.db
        .selectFrom('trace_records')
        .selectAll()
        .where('show_id', '=', show.id)
        .orderBy('position')
        .execute(),
    ]);
    return {
      id: show.id,
      brandId: show.brand_id,
      title: show.title,
      product: show.product,
      status: show.status,
      createdAt: show.created_at,
      updatedAt: show.updated_at,
      scenes: scenes.map((s) => sceneView(s, feeds)),
      trace: trace.map(traceView),
    };
  }
}
