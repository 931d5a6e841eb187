// Text that other people will see: characters that render nothing or reorder what follows are how a
// message or a brand's trace record hides what it says — a right-to-left override turns "gpj.exe" into
// "exe.jpg", zero-width spaces split a blocked word so no filter sees it, control characters break the
// lines of a log, a mail or a terminal that shows them. The brand API refuses them (schemas); the chat
// moderator strips them (visibleText).

/** Bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069). */
const bidiControls = /[\u202A-\u202E\u2066-\u2069]/u;
/** C0 and C1 controls and DEL (Unicode's Cc); line breaks and tabs among them. */
const controls = /\p{Cc}/u;
/** Invisible characters used to split words: zero-width space, word joiner, BOM, soft hyphen. */
const invisibles = /[\u200B\u2060\uFEFF\u00AD]/u;

const global = (pattern: RegExp) => new RegExp(pattern.source, 'gu');
const [allBidi, allControls, allInvisibles] = [bidiControls, controls, invisibles].map(global);

/** One line of text as it may be shown: controls become spaces, invisible and bidi controls go. */
export function visibleText(text: string): string {
  return text.normalize('NFC').replace(allControls!, ' ').replace(allBidi!, '').replace(allInvisibles!, '');
}

/**
 * The first character of `text` that would hide or reorder what is shown, as `U+XXXX`; undefined when
 * there is none. `lineBreaks`: line feeds (and the tab) are allowed, as in a description.
 */
export function hiddenCharacter(text: string, options: { lineBreaks?: boolean } = {}): string | undefined {
  for (const char of text) {
    if (options.lineBreaks && (char === '\n' || char === '\t')) continue;
    if (controls.test(char) || bidiControls.test(char) || invisibles.test(char))
      return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return undefined;
}
