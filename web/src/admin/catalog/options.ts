// Every active category, genre and cast member, for the pickers of the genre and video forms.
// The APIs page by 100 at most; the pickers read up to MAX_PAGES pages.

import { useQuery } from '@tanstack/react-query';
import { reads } from '../../shared/api';
import type { Page } from '../../shared/types';

const MAX_PAGES = 20;

async function loadAll<T>(page: (cursor?: string) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < MAX_PAGES; i += 1) {
    const answer = await page(cursor);
    items.push(...answer.items);
    if (!answer.next_cursor) break;
    cursor = answer.next_cursor;
  }
  return items;
}

export function useAllCategories() {
  return useQuery({ queryKey: ['categories', 'all'], queryFn: () => loadAll((c) => reads.categories(c, 100)) });
}

export function useAllGenres() {
  return useQuery({ queryKey: ['genres', 'all'], queryFn: () => loadAll((c) => reads.genres(c, 100)) });
}

export function useAllCastMembers() {
  return useQuery({ queryKey: ['cast-members', 'all'], queryFn: () => loadAll((c) => reads.castMembers(c, 100)) });
}
