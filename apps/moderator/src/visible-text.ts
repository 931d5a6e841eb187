// Text that other people will see: characters that render nothing or reorder what follows are how a
// message (or a brand's trace record) hides what it says — a right-to-left override turns "gpj.exe" into
// "exe.jpg", zero-width spaces split a blocked word so no filter sees it.

/** Bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069). */
const bidiControls = /[\u202A-\u202E\u2066-\u2069]/gu;
/** C0 and C1 controls and DEL (Unicode's Cc); line breaks and tabs among them. */
const controls = /\p{Cc}/gu;
/** Invisible characters used to split words: zero-width space, word joiner, BOM, soft hyphen. */
const invisibles = /[\u200B\u2060\uFEFF\u00AD]/gu;

/** One line of text as it may be shown: controls become spaces, invisible and bidi controls go. */
export function visibleText(text: string): string {
  return text.normalize('NFC').replace(controls, ' ').replace(bidiControls, '').replace(invisibles, '');
}
