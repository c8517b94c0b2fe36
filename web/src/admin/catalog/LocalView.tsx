// Filtering and ordering within the page the API answered: the catalog lists come by name, a
// page at a time, with no text search, so this says plainly that it covers this page only.

import type { ReactNode } from 'react';
import type { ListParams } from '../listParams';
import { SelectFilter, TextFilter } from '../lists';

const ORDERS = [
  { value: 'asc', label: 'Name A–Z' },
  { value: 'desc', label: 'Name Z–A' },
];

export function useLocalView<T>(items: T[], list: ListParams, name: (item: T) => string, extra?: (item: T) => boolean): T[] {
  const needle = list.get('q').trim().toLowerCase();
  const shown = items.filter((item) => (!needle || name(item).toLowerCase().includes(needle)) && (extra?.(item) ?? true));
  return list.get('order') === 'desc' ? [...shown].reverse() : shown;
}

export function LocalToolbar({ list, noun, children }: { list: ListParams; noun: string; children?: ReactNode }) {
  return (
    <div className="adm-toolbar" role="search" aria-label={`Filter ${noun} on this page`}>
      <TextFilter label="Filter this page" type="search" value={list.get('q')} onChange={(e) => list.setLocal('q', e.target.value)} />
      <SelectFilter
        label="Order"
        options={ORDERS}
        value={list.get('order') || 'asc'}
        onChange={(e) => list.setLocal('order', e.target.value === 'asc' ? '' : e.target.value)}
      />
      {children}
      <p className="adm-hint adm-toolbar-note">Filter and order apply to the page shown only: the API lists {noun} by name, with no search.</p>
    </div>
  );
}
