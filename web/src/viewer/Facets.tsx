// Facets of a search: each value a link to the same search narrowed by it (or, when chosen, a
// link back without it), with how many videos it has. Links, not buttons: each state is a URL.

import { Link, useSearchParams } from 'react-router';
import type { SearchFacets } from '../shared/types';

export const FACET_PARAMS = ['category', 'genre', 'cast_member', 'year', 'rating'] as const;
export type FacetParam = (typeof FACET_PARAMS)[number];

interface Value {
  value: string;
  label: string;
  count: number;
}

const GROUPS: { param: FacetParam; title: string; values: (f: SearchFacets) => Value[] }[] = [
  { param: 'category', title: 'Categories', values: (f) => f.categories.map((c) => ({ value: c.id, label: c.name, count: c.count })) },
  { param: 'genre', title: 'Genres', values: (f) => f.genres.map((g) => ({ value: g.id, label: g.name, count: g.count })) },
  { param: 'cast_member', title: 'Cast', values: (f) => f.cast_members.map((c) => ({ value: c.id, label: c.name, count: c.count })) },
  { param: 'year', title: 'Release year', values: (f) => f.launch_years.map((y) => ({ value: String(y.year), label: String(y.year), count: y.count })) },
  { param: 'rating', title: 'Rating', values: (f) => f.ratings.map((r) => ({ value: r.rating, label: `Rated ${r.rating}`, count: r.count })) },
];

/** The search's URL with `param` set to `value`, or removed when `value` is undefined. */
function withParam(params: URLSearchParams, param: string, value: string | undefined): string {
  const next = new URLSearchParams(params);
  if (value === undefined) next.delete(param);
  else next.set(param, value);
  return `/search?${next.toString()}`;
}

/** What a chosen filter is called, from the facets (which always count the chosen value). */
function filterLabel(facets: SearchFacets | undefined, param: FacetParam, value: string): string {
  const group = GROUPS.find((g) => g.param === param)!;
  const found = facets && group.values(facets).find((v) => v.value === value);
  return found?.label ?? value;
}

export function Facets({ facets }: { facets: SearchFacets }) {
  const [params] = useSearchParams();
  return (
    <>
      {GROUPS.map(({ param, title, values }) => {
        const list = values(facets);
        if (list.length === 0) return null;
        const chosen = params.get(param);
        return (
          <section key={param} className="vw-facet" aria-labelledby={`facet-${param}`}>
            <h3 id={`facet-${param}`}>{title}</h3>
            <ul>
              {list.map((v) => {
                const selected = chosen === v.value;
                return (
                  <li key={v.value}>
                    <Link
                      to={withParam(params, param, selected ? undefined : v.value)}
                      aria-current={selected ? 'true' : undefined}
                      className={selected ? 'vw-facet-value selected' : 'vw-facet-value'}
                    >
                      <span>{v.label}</span>{' '}
                      <span className="vw-count">({v.count})</span>
                      {selected && <span className="cf-visually-hidden">, selected: remove this filter</span>}
                    </Link>
                  </li>
                );
              })}
            </ul>
          </section>
        );
      })}
    </>
  );
}

/** The chosen filters, each with a way to remove it. */
export function ActiveFilters({ facets }: { facets: SearchFacets | undefined }) {
  const [params] = useSearchParams();
  const chosen = FACET_PARAMS.flatMap((param) => {
    const value = params.get(param);
    return value ? [{ param, value }] : [];
  });
  if (chosen.length === 0) return null;
  return (
    <ul className="vw-chips" aria-label="Chosen filters">
      {chosen.map(({ param, value }) => (
        <li key={param}>
          <Link className="vw-chip" to={withParam(params, param, undefined)} aria-label={`Remove filter ${filterLabel(facets, param, value)}`}>
            {filterLabel(facets, param, value)}
            <span aria-hidden="true"> ×</span>
          </Link>
        </li>
      ))}
    </ul>
  );
}
