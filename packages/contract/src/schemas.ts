import { z } from 'zod';
import { hiddenCharacter } from './text.js';

// ---- the words of the domain ----

export const sceneKind = z.enum(['studio', 'factory', 'farm', 'custom']);
export const showStatus = z.enum(['draft', 'live', 'ended']);
export const sourceKind = z.enum(['browser', 'synthetic', 'whip']);
/** The trace's usual stages, in the order a product passes them; a record may name any other stage. */
export const traceStage = z.enum(['farm', 'factory', 'studio']);

// ---- requests: strict (unknown fields are an error), bounded, with the messages clients see ----

/** What one show may hold: its public view is fetched by every viewer, so it stays small. */
export const showLimits = { scenes: 16, traceRecords: 200 } as const;

const slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lowercase letters, digits and dashes, 2–63 characters');

/** The start of an HTML tag, comment or declaration: `<` then a letter, `/`, `!` or `?` ("< 5 %" is fine). */
const markup = /<[A-Za-z/!?]/;

/**
 * Text viewers are shown, and whatever else reads the API (a console, a mail, a partner's app): plain
 * text — no HTML tags — with nothing in it that hides or reorders what is shown (controls, bidi
 * overrides, invisible characters; see text.ts). `lines`: line breaks allowed, as in a description.
 */
const shown = (max: number, { min = 1, lines = false } = {}) =>
  z
    .string()
    .trim()
    .min(min)
    .max(max)
    .superRefine((value, ctx) => {
      const hidden = hiddenCharacter(value, { lineBreaks: lines });
      if (hidden)
        ctx.addIssue({
          code: 'custom',
          message: `control, bidi-override and invisible characters are not allowed (found ${hidden})`,
        });
      if (markup.test(value)) ctx.addIssue({ code: 'custom', message: 'plain text only: no HTML tags' });
    });
const text = (max: number) => shown(max);
const optionalText = (max: number, options: { lines?: boolean } = {}) =>
  shown(max, { min: 0, ...options }).nullish();

/**
 * A link viewers may open: http(s) only (the token service takes http: only where it is configured to),
 * plain ASCII (anything else percent-encoded, so no look-alike or hidden character), and no user name or
 * password (`https://bank.example@evil.example` reads as the bank).
 */
export const webUrl = z
  .string()
  .trim()
  .max(2000)
  .regex(/^[\x21-\x7E]+$/, 'printable ASCII without spaces (percent-encode anything else)')
  .pipe(z.url({ protocol: /^https?$/, error: 'an https: URL' }))
  .refine((value) => {
    // Unparsable URLs are refused by z.url above; this check only judges the rest.
    const url = URL.canParse(value) ? new URL(value) : undefined;
    return !url?.username && !url?.password;
  }, 'no user name or password in a link');

export const createBrand = z.strictObject({ name: text(120) });

export const sceneInput = z.strictObject({
  id: slug.optional(),
  kind: sceneKind,
  label: text(80),
  order: z.number().int().min(0).max(1000).optional(),
  location: optionalText(200),
  description: optionalText(1000, { lines: true }),
});

export const createShow = z.strictObject({
  id: slug.optional(),
  title: text(200),
  product: text(200),
  status: showStatus.optional(),
  scenes: z.array(sceneInput).min(1).max(showLimits.scenes),
});

export const updateShow = z
  .strictObject({ title: text(200).optional(), product: text(200).optional(), status: showStatus.optional() })
  .refine((v) => Object.keys(v).length > 0, 'nothing to update');

export const traceInput = z.strictObject({
  stage: z.union([traceStage, text(40)]),
  batch: optionalText(120),
  place: optionalText(200),
  time: z.iso.datetime({ offset: true }).nullish(),
  description: optionalText(2000, { lines: true }),
  evidence: z
    .strictObject({ name: optionalText(200), number: optionalText(120), url: webUrl.nullish() })
    .nullish(),
  sceneId: slug.nullish(),
});

export const feedInput = z.strictObject({ sceneId: slug, label: text(120), sourceKind });

export const feedTokenRequest = z.strictObject({ preview: z.boolean().optional() });

export const viewerTokenRequest = z.strictObject({ name: text(60).optional() });

/** What the chat moderator does with a message holding a blocked word: mask the word, or drop it. */
export const chatAction = z.enum(['mask', 'drop']);

/** A show's chat word list, set by its brand; the moderator reads it. */
export const chatPolicyInput = z.strictObject({
  blockedWords: z.array(text(40)).max(500),
  action: chatAction,
});

export const updateScene = z
  .strictObject({ label: text(80).optional(), order: z.number().int().min(0).max(1000).optional() })
  .refine((v) => Object.keys(v).length > 0, 'nothing to update');

/** A brand signs in to the console with its API key; it gets a session cookie, never kept by the page. */
export const signIn = z.strictObject({ key: z.string().trim().min(1, 'enter your brand key').max(200) });

/** How long a publish link works; the service's PUBLISH_LINK_TTL when left out. */
export const publishLinkRequest = z.strictObject({
  expiresInSeconds: z.number().int().min(1).max(86_400).optional(),
});

/** The secret part of a publish link (after `#` in its URL, so it never reaches a server's access log). */
export const publishCodeExchange = z.strictObject({ code: z.string().trim().min(1).max(200) });

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

/** A show's chat word list; a show whose brand set none has no words, masked. */
export const chatPolicy = z.object({ blockedWords: z.array(z.string()), action: chatAction });

/** A LiveKit access token and where to use it. */
export const issuedToken = z.object({ url: z.string(), token: z.string(), identity: z.string() });

/** A console session: the brand, and the CSRF token every cookie-authenticated write must send. */
export const session = z.object({
  brand: z.object({ id: z.string(), name: z.string() }),
  /** Send as the `x-csrf-token` header on every POST, PATCH, PUT and DELETE made with the session cookie. */
  csrfToken: z.string(),
  expiresAt: z.string(),
});

/** A link a phone opens to publish one feed, without signing in: short-lived, for that feed only. */
export const publishLink = z.object({ url: z.string(), expiresAt: z.string() });

/** What a publish link's code is exchanged for: that feed's token, and what the page shows about it. */
export const publishGrant = issuedToken.extend({
  feed: z.object({
    id: z.string(),
    label: z.string(),
    sceneId: z.string(),
    /** A studio feed is the host: the publish page sends its microphone too. */
    sceneKind,
    showId: z.string(),
    showTitle: z.string(),
  }),
  expiresAt: z.string(),
});

/**
 * Where a WHIP encoder (OBS 30+, a hardware encoder) publishes a feed of `sourceKind: whip`: the server
 * URL and its bearer token. The stream key is shown this once (only its hash is kept); asking again
 * replaces it, and revoking it disconnects the encoder.
 */
export const whipSettings = z.object({ url: z.string(), streamKey: z.string() });

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
export type ChatPolicyInput = z.output<typeof chatPolicyInput>;
export type UpdateScene = z.output<typeof updateScene>;

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
export type ChatPolicy = z.output<typeof chatPolicy>;
export type Problem = z.output<typeof problem>;
export type Session = z.output<typeof session>;
export type PublishLink = z.output<typeof publishLink>;
export type PublishGrant = z.output<typeof publishGrant>;
export type WhipSettings = z.output<typeof whipSettings>;
