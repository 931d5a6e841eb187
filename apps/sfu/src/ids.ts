import { randomBytes } from 'node:crypto';

const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** LiveKit-style ids (`RM_…`, `PA_…`, `TR_…`): clients parse the prefix, e.g. `PA_x|TR_y` stream ids. */
export function newId(prefix: 'RM_' | 'PA_' | 'TR_' | 'SI_' | 'EV_'): string {
  const bytes = randomBytes(12);
  let id = prefix;
  for (const byte of bytes) id += alphabet[byte % alphabet.length];
  return id;
}
