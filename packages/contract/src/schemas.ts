import { z } from 'zod';

// ---- the words of the domain ----

export const sceneKind = z.enum(['studio', 'factory', 'farm', 'custom']);
export const showStatus = z.enum(['draft', 'live', 'ended']);
export const sourceKind = z.enum(['browser', 'synthetic', 'whip']);
/** The trace's usual stages, in the order a product passes them; a record may name any other stage. */
export const traceStage = z.enum(['farm', 'factory', 'studio']);

// ---- requests: strict (unknown fields are an error), bounded, with the messages clients see ----

const slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lowercase letters, digits and dashes, 2–63 characters');
const text = (max: number) => z.string().trim().min(1).max(max);
const optionalText = (max: number) => z.string().trim().max(max).nullish();

export const createBrand = z.strictObject({ name: text(120) });

export const sceneInput = z.strictObject({
  id: slug.optional(),
  kind: sceneKind,
  label: text(80),
  order: z.number().int().min(0).max(1000).optional(),
  location: optionalText(200),
  description: optionalText(1000),
});

export const createShow = z.strictObject({
  id: slug.optional(),
  title: text(200),
  product: text(200),
  status: showStatus.optional(),
  scenes: z.array(sceneInput).min(1).max(16),
});

export const updateShow = z
  .strictObject({ title: text(200).optional(), product: text(200).optional(), status: showStatus.optional() })
  .refine((v) => Object.keys(v).length > 0, 'nothing to update');

export const traceInput = z.strictObject({
  stage: z.union([traceStage, z.string().trim().min(1).max(40)]),
  batch: optionalText(120),
  place: optionalText(200),
  time: z.iso.datetime({ offset: true }).nullish(),
  description: optionalText(2000),
  evidence: z
    .strictObject({ name: optionalText(200), number: optionalText(120), url: z.url().max(2000).nullish() })
    .nullish(),
  sceneId: slug.nullish(),
});

export const feedInput = z.strictObject({ sceneId: slug, label: text(120), sourceKind });

export const feedTokenRequest = z.strictObject({ preview: z.boolean().optional() });

export const viewerTokenRequest = z.strictObject({ name: text(60).optional() });

// ---- responses: what the service answers (unknown fields are dropped, so it may add some later) ----

const nullable = z.string().nullable();

export const createdBrand = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  /** Shown this once; only its hash is kept. */
  apiKey: z.string(),
});

/** The resolution and layers LiveKit last reported for a feed's camera. */
export const feedQuality = z.object({
  width: z.number(),
  height: z.number(),
  layers: z.number(),
  mimeType: z.string(),
});

/** A camera feed as its brand sees it in a show: live or not, since when, at what quality. */
export const feedStatus = z.object({
  id: z.string(),
  label: z.string(),
  sourceKind,
  live: z.boolean(),
  lastSeenAt: nullable,
  quality: feedQuality.nullable(),
});

/** A camera feed as anyone with the show link sees it. */
export const publicFeedStatus = feedStatus.pick({ id: true, label: true, live: true, quality: true });

const sceneFields = {
  id: z.string(),
  kind: sceneKind,
  label: z.string(),
  order: z.number(),
  location: nullable,
  description: nullable,
  /** Some feed of the scene is publishing. */
  live: z.boolean(),
};
export const scene = z.object({ ...sceneFields, feeds: z.array(feedStatus) });
export const publicScene = z.object({ ...sceneFields, feeds: z.array(publicFeedStatus) });

export const traceRecord = z.object({
  id: z.string(),
  stage: z.string(),
  batch: nullable,
  place: nullable,
  time: nullable,
  description: nullable,
  evidence: z.object({ name: nullable, number: nullable, url: nullable }).nullable(),
  sceneId: nullable,
});

const showFields = {
  id: z.string(),
  title: z.string(),
  product: z.string(),
  status: showStatus,
  createdAt: z.string(),
  updatedAt: z.string(),
  trace: z.array(traceRecord),
};
/** A show as its brand sees it. */
export const show = z.object({ ...showFields, brandId: z.string(), scenes: z.array(scene) });
/** What anyone with the link may see: no brand, no feed identities. */
export const publicShow = z.object({ ...showFields, scenes: z.array(publicScene) });
export const showList = z.object({ shows: z.array(show) });

/** A feed just added: its identity is the one its tokens carry. */
export const feed = z.object({
  id: z.string(),
  showId: z.string(),
  sceneId: z.string(),
  label: z.string(),
  sourceKind,
  identity: z.string(),
  live: z.boolean(),
});

/** A LiveKit access token and where to use it. */
export const issuedToken = z.object({ url: z.string(), token: z.string(), identity: z.string() });

/** RFC 9457 problem details: every error answer; `issues` lists what failed validation. */
export const problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number(),
  detail: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

// ---- the types, as the schemas define them ----

export type SceneKind = z.infer<typeof sceneKind>;
export type ShowStatus = z.infer<typeof showStatus>;
export type SourceKind = z.infer<typeof sourceKind>;

// Requests, as the service reads them (defaults applied, text trimmed).
export type CreateBrand = z.output<typeof createBrand>;
export type SceneInput = z.output<typeof sceneInput>;
export type CreateShow = z.output<typeof createShow>;
export type UpdateShow = z.output<typeof updateShow>;
export type TraceInput = z.output<typeof traceInput>;
export type FeedInput = z.output<typeof feedInput>;

// Responses.
export type CreatedBrand = z.output<typeof createdBrand>;
export type FeedQuality = z.output<typeof feedQuality>;
export type FeedStatus = z.output<typeof feedStatus>;
export type PublicFeedStatus = z.output<typeof publicFeedStatus>;
export type Scene = z.output<typeof scene>;
export type PublicScene = z.output<typeof publicScene>;
export type TraceRecord = z.output<typeof traceRecord>;
export type Show = z.output<typeof show>;
export type PublicShow = z.output<typeof publicShow>;
export type ShowList = z.output<typeof showList>;
export type Feed = z.output<typeof feed>;
export type IssuedToken = z.output<typeof issuedToken>;
export type Problem = z.output<typeof problem>;
