// A list's filters and cursor live in the URL, so a reload or a shared link shows the same page.
// Cursors only go forward, so the ones before the current page are kept too (`back`), for
// "Previous page".

import { useSearchParams } from 'react-router';

export function useListParams() {
  const [params, setParams] = useSearchParams();
  const cursor = params.get('cursor') ?? undefined;
  const back = params.getAll('back');

  function update(change: (next: URLSearchParams) => void, replace = false) {
    const next = new URLSearchParams(params);
    change(next);
    setParams(next, { replace });
  }

  /** Set filters (empty removes them); a new filter starts at the first page. */
  function setFilters(values: Record<string, string | undefined>) {
    update((next) => {
      for (const [name, value] of Object.entries(values)) {
        if (value) next.set(name, value);
        else next.delete(name);
      }
      next.delete('cursor');
      next.delete('back');
    });
  }

  /** Set a value that does not change which page the API answers (a client-side filter). */
  function setLocal(name: string, value: string) {
    // Replaces the history entry: typing in a filter box is not a navigation.
    update((next) => (value ? next.set(name, value) : next.delete(name)), true);
  }

  function nextPage(nextCursor: string) {
    update((next) => {
      if (cursor) next.append('back', cursor);
      next.set('cursor', nextCursor);
    });
  }

  function previousPage() {
    update((next) => {
      const stack = [...back];
      const previous = stack.pop();
      next.delete('back');
      stack.forEach((c) => next.append('back', c));
      if (previous) next.set('cursor', previous);
      else next.delete('cursor');
    });
  }

  return {
    get: (name: string) => params.get(name) ?? '',
    cursor,
    page: cursor ? back.length + 2 : 1,
    hasPrevious: cursor !== undefined,
    setFilters,
    setLocal,
    nextPage,
    previousPage,
  };
}

export type ListParams = ReturnType<typeof useListParams>;
