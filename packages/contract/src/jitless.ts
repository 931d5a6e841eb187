// zod compiles its object parsers with `new Function`, after probing whether it may. Under the web apps'
// Content-Security-Policy (no eval, Trusted Types: apps/viewer/csp.mjs) that probe is refused and reported
// as a violation; a page parses a few small answers, so it does without. A browser app imports
// `@scenecast/contract/jitless` first in its entry, before any schema is built.
import { config } from 'zod';

config({ jitless: true });
