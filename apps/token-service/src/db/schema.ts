import type { ChatPolicy, SceneKind, ShowStatus, SourceKind } from '@scenecast/contract';
import type { Generated, Selectable } from 'kysely';

export interface BrandTable {
  id: string;
  name: string;
  /** SHA-256 of the API key's secret part, hex; the key itself is shown once and never stored. */
  key_hash: string;
  created_at: string;
}

export interface ShowTable {
  id: string;
  brand_id: string;
  title: string;
  product: string;
  status: ShowStatus;
  created_at: string;
  updated_at: string;
}

export interface SceneTable {
  show_id: string;
  id: string;
  kind: SceneKind;
  label: string;
  position: number;
  location: string | null;
  description: string | null;
}

export interface FeedTable {
  id: string;
  show_id: string;
  scene_id: string;
  label: string;
  source_kind: SourceKind;
  identity: string;
  live: Generated<number>;
  last_seen_at: string | null;
  /** JSON: { width, height, layers, mimeType } from the last track_published webhook. */
  quality: string | null;
}

export interface TraceTable {
  id: string;
  show_id: string;
  stage: string;
  batch: string | null;
  place: string | null;
  happened_at: string | null;
  description: string | null;
  evidence_name: string | null;
  evidence_number: string | null;
  evidence_url: string | null;
  scene_id: string | null;
  position: number;
}

export interface ChatPolicyTable {
  show_id: string;
  /** JSON: the words, as the brand gave them. */
  blocked_words: string;
  action: ChatPolicy['action'];
}

/** A console sign-in: the cookie's secret and the CSRF token are kept only as SHA-256 hashes. */
export interface SessionTable {
  id_hash: string;
  brand_id: string;
  csrf_hash: string;
  created_at: string;
  expires_at: string;
}

/** A publish link's code (hashed): one feed, until it expires or its feed is removed. */
export interface PublishCodeTable {
  code_hash: string;
  feed_id: string;
  created_at: string;
  expires_at: string;
}

/** A WHIP feed's stream key (hashed): the encoder's bearer until the brand replaces or revokes it. */
export interface WhipKeyTable {
  key_hash: string;
  feed_id: string;
  created_at: string;
}

export interface Database {
  brands: BrandTable;
  shows: ShowTable;
  scenes: SceneTable;
  feeds: FeedTable;
  trace_records: TraceTable;
  chat_policies: ChatPolicyTable;
  sessions: SessionTable;
  publish_codes: PublishCodeTable;
  whip_keys: WhipKeyTable;
}

export type Brand = Selectable<BrandTable>;
export type ShowRow = Selectable<ShowTable>;
export type SceneRow = Selectable<SceneTable>;
export type FeedRow = Selectable<FeedTable>;
export type TraceRow = Selectable<TraceTable>;
