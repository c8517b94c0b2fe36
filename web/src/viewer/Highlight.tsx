// Search highlights arrive as HTML: matched words in `<b>…</b>`, everything else HTML-escaped.
// They are turned into React elements rather than injected as HTML, so nothing in a title or
// description can ever become markup.

import type { ReactNode } from 'react';

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Undoes the API's HTML escaping (named and numeric character references). */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED[ref.toLowerCase()] ?? whole;
  });
}

/** The parts of a highlight string: text, and whether it matched. */
export function highlightParts(html: string): { text: string; match: boolean }[] {
  const parts: { text: string; match: boolean }[] = [];
  let match = false;
  for (const piece of html.split(/(<\/?b>)/i)) {
    if (/^<b>$/i.test(piece)) match = true;
    else if (/^<\/b>$/i.test(piece)) match = false;
    else if (piece) parts.push({ text: decodeEntities(piece), match });
  }
  return parts;
}

/** A highlight string with its matches marked; `fallback` when the API sent none. */
export function Highlight({ html, fallback }: { html: string | undefined; fallback: string }): ReactNode {
  if (!html) return fallback;
  return highlightParts(html).map((part, i) => (part.match ? <mark key={i}>{part.text}</mark> : part.text));
}
