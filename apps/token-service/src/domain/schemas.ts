import { z } from 'zod';

// Request bodies: strict (unknown fields are an error), bounded, with the messages clients see.
const slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lowercase letters, digits and dashes, 2–63 characters');
const text = (max: number) => z.string().trim().min(1).max(max);
const optionalText = (max: number) => z.string().trim().max(max).nullish();

export const sceneKind = z.enum(['studio', 'factory', 'farm', 'custom']);
export const showStatus = z.enum(['draft', 'live', 'ended']);
export const sourceKind = z.enum(['browser', 'synthetic', 'whip']);

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
  stage: z.union([z.enum(['farm', 'factory', 'studio']), z.string().trim().min(1).max(40)]),
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

export type SceneInput = z.infer<typeof sceneInput>;
export type CreateShow = z.infer<typeof createShow>;
export type UpdateShow = z.infer<typeof updateShow>;
export type TraceInput = z.infer<typeof traceInput>;
export type FeedInput = z.infer<typeof feedInput>;
