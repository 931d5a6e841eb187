import { type Kysely, sql } from 'kysely';
import type { Migration, MigrationProvider } from 'kysely/migration';

/** Migrations live in code so the service migrates itself on start, on SQLite and PostgreSQL alike. */
const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('brands')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('shows')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('brand_id', 'text', (c) => c.notNull().references('brands.id').onDelete('cascade'))
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('product', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('shows_brand').on('shows').column('brand_id').execute();
      await db.schema
        .createTable('scenes')
        .addColumn('show_id', 'text', (c) => c.notNull().references('shows.id').onDelete('cascade'))
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('location', 'text')
        .addColumn('description', 'text')
        .addPrimaryKeyConstraint('scenes_pk', ['show_id', 'id'])
        .execute();
      await db.schema
        .createTable('feeds')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('show_id', 'text', (c) => c.notNull().references('shows.id').onDelete('cascade'))
        .addColumn('scene_id', 'text', (c) => c.notNull())
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('source_kind', 'text', (c) => c.notNull())
        .addColumn('identity', 'text', (c) => c.notNull().unique())
        .addColumn('live', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_seen_at', 'text')
        .addColumn('quality', 'text')
        .addForeignKeyConstraint('feeds_scene', ['show_id', 'scene_id'], 'scenes', ['show_id', 'id'], (fk) =>
          fk.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createTable('trace_records')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('show_id', 'text', (c) => c.notNull().references('shows.id').onDelete('cascade'))
        .addColumn('stage', 'text', (c) => c.notNull())
        .addColumn('batch', 'text')
        .addColumn('place', 'text')
        .addColumn('happened_at', 'text')
        .addColumn('description', 'text')
        .addColumn('evidence_name', 'text')
        .addColumn('evidence_number', 'text')
        .addColumn('evidence_url', 'text')
        .addColumn('scene_id', 'text')
        .addColumn('position', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('trace_show').on('trace_records').column('show_id').execute();
      await sql`select 1`.execute(db);
    },
  },
  '0002_console': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('brand_id', 'text', (c) => c.notNull().references('brands.id').onDelete('cascade'))
        .addColumn('csrf_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('publish_codes')
        .addColumn('code_hash', 'text', (c) => c.primaryKey())
        .addColumn('feed_id', 'text', (c) => c.notNull().references('feeds.id').onDelete('cascade'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  // Evidence links were once taken in any URL scheme (javascript:, data:, …): a stored XSS for whatever
  // renders them. Anything but an http(s) link is dropped; the record keeps its evidence's name and number.
  '0003_web_evidence_urls': {
    async up(db: Kysely<unknown>) {
      await sql`
        update trace_records set evidence_url = null
        where evidence_url is not null
          and lower(evidence_url) not like 'https://%'
          and lower(evidence_url) not like 'http://%'`.execute(db);
    },
  },
  '0004_chat_policies': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('chat_policies')
        .addColumn('show_id', 'text', (c) => c.primaryKey().references('shows.id').onDelete('cascade'))
        .addColumn('blocked_words', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .execute();
    },
  },
  // A WHIP feed's stream key (hashed): one per feed, replaced when the brand asks for a new one.
  '0005_whip_keys': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('whip_keys')
        .addColumn('key_hash', 'text', (c) => c.primaryKey())
        .addColumn('feed_id', 'text', (c) => c.notNull().unique().references('feeds.id').onDelete('cascade'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
