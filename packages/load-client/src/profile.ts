// What a network profile is: the knobs of each direction and the scripted outage. The presets are in
// profiles.ts; a scenario may define its own with the same shape.
import { z } from 'zod';

export const linkProfile = z
  .object({
    /** Capacity in kbit/s (token bucket); absent: unlimited. */
    rateKbps: z.number().positive().optional(),
    /** Token bucket depth in bytes; default 5 ms at the rate, at least two full packets. */
    bucketBytes: z.number().int().positive().optional(),
    /** Queue in front of the rate limit, in bytes; a packet that does not fit is dropped (tail drop). */
    queueBytes: z.number().int().positive().optional(),
    /** One-way propagation delay, ms. */
    delayMs: z.number().min(0).max(10_000).optional(),
    /** Each packet's delay is delayMs ± jitterMs (uniform); packets keep their order. */
    jitterMs: z.number().min(0).max(10_000).optional(),
    /** Share of packets lost at random, 0–1. */
    loss: z.number().min(0).max(1).optional(),
    /**
     * Gilbert-Elliott burst loss, as netem's `loss gemodel p r 1-h 1-k`: per packet, good → bad with
     * probability p, bad → good with r; a packet is lost with badLoss in the bad state, goodLoss in the good.
     */
    burst: z
      .object({
        p: z.number().min(0).max(1),
        r: z.number().min(0).max(1),
        badLoss: z.number().min(0).max(1).default(1),
        goodLoss: z.number().min(0).max(1).default(0),
      })
      .optional(),
  })
  .strict();
export type LinkProfile = z.infer<typeof linkProfile>;

/** Every `everyMs` since the viewer joined, nothing gets through either way for `durationMs`. */
export const outage = z
  .object({ everyMs: z.number().positive(), durationMs: z.number().positive() })
  .strict()
  .refine((o) => o.durationMs < o.everyMs, { message: 'durationMs must be shorter than everyMs' });
export type Outage = z.infer<typeof outage>;

export const networkProfile = z
  .object({
    description: z.string().optional(),
    /** Where the numbers come from. */
    sources: z.array(z.string()).optional(),
    /** What the viewer receives (SFU → viewer). */
    down: linkProfile,
    /** What the viewer sends (RTCP, NACKs, PLIs, DTLS, chat). */
    up: linkProfile,
    outage: outage.optional(),
  })
  .strict();
export type NetworkProfile = z.infer<typeof networkProfile>;
