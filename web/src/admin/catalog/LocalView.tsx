// Filtering and ordering within the page the API answered: the catalog lists come by name, a
// page at a time, with no text search, so this says plainly that it covers this page only.

import { useId, type ReactNode } from 'react';
import type { ListParams } from '../listParams';

export function useLocalView<T>(items: T[], list: ListParams, name: (item: T) => string, extra?: (item: T) => boolean): T[] {
  const needle = list.get('q').trim().toLowerCase();
  const shown = items.filter((item) => (!needle || name(item).toLowerCase().includes(needle)) && (extra?.(item) ?? true));
  return list.get('order') === 'desc' ? [...shown].reverse() : shown;
}

export function LocalToolbar({ list, noun, children }: { list: ListParams; noun: string; children?: ReactNode }) {
  const filterId = useId();
  const orderId = useId();
  return (
    <div className="adm-toolbar" role="search" aria-label={`Filter ${noun} on this page`}>
      <div className="adm-filter">
        <label htmlFor={filterId}>Filter this page</label>
        <input id={filterId} type="search" value={list.get('q')} onChange={(e) => list.setLocal('q', e.target.value)} />
      </div>
      <div className="adm-filter">
        <label htmlFor={orderId}>Order</label>
        <select id={orderId} value={list.get('order') || 'asc'} onChange={(e) => list.setLocal('order', e.target.value === 'asc' ? '' : e.target.value)}>
          <option value="asc">Name A–Z</option>
          <option value="desc">Name Z–A</option>
        </select>
      </div>
      {children}
      <p className="adm-hint adm-toolbar-note">Filter and order apply to the page shown only: the API lists {noun} by name, with no search.</p>
    </div>
  );
}
