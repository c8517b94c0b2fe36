// Small helpers every page uses.

import { useEffect } from 'react';
import type { Page } from '../shared/types';

/** Names the browser tab after the page ("Drama · Codeflix"). */
export function usePageTitle(title: string | undefined): void {
  useEffect(() => {
    document.title = title ? `${title} · Codeflix` : 'Codeflix';
  }, [title]);
}

/** Every item of a paged list (lookup lists such as categories are short; capped all the same). */
export async function allPages<T>(page: (cursor?: string) => Promise<Page<T>>, maxPages = 10): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const next = await page(cursor);
    items.push(...next.items);
    if (!next.next_cursor) break;
    cursor = next.next_cursor;
  }
  return items;
}
