// zod compiles its object parsers with `new Function`, after probing whether it may. Under the viewer's
// Content-Security-Policy (no eval, Trusted Types) that probe is refused and reported as a violation; the
// viewer parses a few small answers, so it does without. Set before any schema is built: main.tsx imports
// this module first.
import { config } from 'zod';

config({ jitless: true });
