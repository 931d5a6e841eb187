import type { ReactNode } from 'react';

/** The URL when it is an http(s) one, else undefined: `javascript:`, `data:` and the like never become links. */
export function webUrl(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A link to another site, whatever the API returned: only for http(s) URLs (anything else is shown as plain
 * text), in a new tab that cannot reach back into this page (noopener) nor learn it (noreferrer).
 */
export function ExternalLink({ href, children }: { href: string | null | undefined; children: ReactNode }) {
  const url = webUrl(href);
  if (!url) return <>{children}</>;
  return (
    <a href={url} target="_blank" rel="noopener noreferrer">
      {children}
    </a>
  );
}
