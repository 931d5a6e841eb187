import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FeedGrantInput } from '@scenecast/contract/grants';
import type { Kysely } from 'kysely';
import type { Brand, Database } from '../db/schema.js';
import { DomainError, feedGrants, hashSecret } from './store.js';

const secret = () => randomBytes(32).toString('base64url');
const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();
const sameHash = (a: string, b: string) => timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));

export interface OpenedSession {
  /** The cookie's value: shown to the browser this once, kept only as a hash. */
  secret: string;
  csrfToken: string;
  brand: Brand;
  expiresAt: string;
}

export interface PublishFeed extends FeedGrantInput {
  showTitle: string;
  /** When the code stops working. */
  expiresAt: string;
}

/**
 * The secrets that stand in for a brand key: console sessions (a cookie and its CSRF token), publish
 * links' codes and WHIP stream keys. Every secret is random and kept only as a SHA-256 hash; all but a
 * stream key (an encoder's setting, valid until replaced or revoked) expire.
 */
export class Access {
  constructor(private readonly db: Kysely<Database>) {}

  async openSession(brand: Brand, ttlSeconds: number): Promise<OpenedSession> {
    const opened = { secret: secret(), csrfToken: secret(), brand, expiresAt: inSeconds(ttlSeconds) };
    await this.db
      .insertInto('sessions')
      .values({
        id_hash: hashSecret(opened.secret),
        brand_id: brand.id,
        csrf_hash: hashSecret(opened.csrfToken),
        created_at: new Date().toISOString(),
        expires_at: opened.expiresAt,
      })
      .execute();
    // Expired sessions are swept as new ones open, so the table stays the size of the active ones.
    await this.db.deleteFrom('sessions').where('expires_at', '<', new Date().toISOString()).execute();
    return opened;
  }

  /** The session a cookie names, if it has not expired; with its CSRF token's hash. */
  async session(cookie: string): Promise<{ brand: Brand; csrfHash: string; expiresAt: string } | undefined> {
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('brands', 'brands.id', 'sessions.brand_id')
      .select([
        'brands.id',
        'brands.name',
        'brands.key_hash',
        'brands.created_at',
        'sessions.csrf_hash',
        'sessions.expires_at',
      ])
      .where('sessions.id_hash', '=', hashSecret(cookie))
      .where('sessions.expires_at', '>', new Date().toISOString())
      .executeTakeFirst();
    if (!row) return undefined;
    const { csrf_hash, expires_at, ...brand } = row;
    return { brand, csrfHash: csrf_hash, expiresAt: expires_at };
  }

  /** Whether a request's CSRF token is its session's, compared in constant time. */
  static csrfMatches(token: string | undefined, csrfHash: string): boolean {
    return !!token && sameHash(hashSecret(token), csrfHash);
  }

  /**
   * A new CSRF token for a session the cookie still names (the page reloaded and lost the old one from
   * memory): the cookie alone, which a cross-site page cannot read the answer of, yields it.
   */
  async renewCsrf(cookie: string): Promise<string> {
    const csrfToken = secret();
    await this.db
      .updateTable('sessions')
      .set({ csrf_hash: hashSecret(csrfToken) })
      .where('id_hash', '=', hashSecret(cookie))
      .execute();
    return csrfToken;
  }

  async closeSession(cookie: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id_hash', '=', hashSecret(cookie)).execute();
  }

  /** A code for one feed (which the caller has checked the brand owns), valid for `ttlSeconds`. */
  async createPublishCode(feedId: string, ttlSeconds: number): Promise<{ code: string; expiresAt: string }> {
    const code = secret();
    const expiresAt = inSeconds(ttlSeconds);
    await this.db
      .insertInto('publish_codes')
      .values({
        code_hash: hashSecret(code),
        feed_id: feedId,
        created_at: new Date().toISOString(),
        expires_at: expiresAt,
      })
      .execute();
    await this.db.deleteFrom('publish_codes').where('expires_at', '<', new Date().toISOString()).execute();
    return { code, expiresAt };
  }

  /** Every publish link of a feed stops working. */
  async revokePublishCodes(feedId: string): Promise<void> {
    await this.db.deleteFrom('publish_codes').where('feed_id', '=', feedId).execute();
  }

  /**
   * The feed a publish code opens. A code that never existed, or whose feed was removed, and one that
   * expired get different answers, so the page can tell the person holding the phone which it is.
   */
  async publishFeed(code: string): Promise<PublishFeed> {
    const row = await feedGrants(this.db)
      .innerJoin('publish_codes', 'publish_codes.feed_id', 'feeds.id')
      .innerJoin('shows', 'shows.id', 'feeds.show_id')
      .select(['shows.title as showTitle', 'publish_codes.expires_at as expiresAt'])
      .where('publish_codes.code_hash', '=', hashSecret(code))
      .executeTakeFirst();
    if (!row) throw new DomainError(404, 'this publish link is not valid (it was revoked, or mistyped)');
    if (row.expiresAt <= new Date().toISOString())
      throw new DomainError(410, 'this publish link has expired: ask for a new one in the console');
    return row;
  }

  /** A new stream key for a WHIP feed (which the caller has checked the brand owns); the old one stops working. */
  async createWhipKey(feedId: string): Promise<string> {
    const feed = await this.db
      .selectFrom('feeds')
      .select('source_kind')
      .where('id', '=', feedId)
      .executeTakeFirst();
    if (feed?.source_kind !== 'whip')
      throw new DomainError(
        409,
        `this feed publishes from a ${feed?.source_kind ?? 'missing'} source: WHIP settings are for feeds of sourceKind whip`,
      );
    const key = secret();
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('whip_keys').where('feed_id', '=', feedId).execute();
      await tx
        .insertInto('whip_keys')
        .values({ key_hash: hashSecret(key), feed_id: feedId, created_at: new Date().toISOString() })
        .execute();
    });
    return key;
  }

  /** The feed's stream key stops working. */
  async revokeWhipKey(feedId: string): Promise<void> {
    await this.db.deleteFrom('whip_keys').where('feed_id', '=', feedId).execute();
  }

  /** The feed a stream key publishes; undefined for a key that never existed or was replaced or revoked. */
  async whipFeed(key: string): Promise<FeedGrantInput | undefined> {
    return feedGrants(this.db)
      .innerJoin('whip_keys', 'whip_keys.feed_id', 'feeds.id')
      .where('whip_keys.key_hash', '=', hashSecret(key))
      .executeTakeFirst();
  }
}
