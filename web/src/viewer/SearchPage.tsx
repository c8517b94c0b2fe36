// Search: the words in `q` (typos tolerated by the API), narrowed by the facets, with the
// matches marked in titles and descriptions. Everything is in the URL.

import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { reads } from '../shared/api';
import { ErrorAlert } from '../shared/FieldErrors';
import type { SearchHit } from '../shared/types';
import { ActiveFilters, FACET_PARAMS, Facets } from './Facets';
import { Highlight } from './Highlight';
import { usePageTitle } from './page';
import { Poster, VideoMeta } from './VideoCard';

const PAGE_SIZE = 20;
/** The API skips at most this many hits. */
const MAX_OFFSET = 10000;

export function SearchPage() {
  const [params] = useSearchParams();
  const q = params.get('q')?.trim() ?? '';
  const filters = Object.fromEntries(FACET_PARAMS.map((p) => [p, params.get(p) || undefined]));
  usePageTitle(q ? `Search: ${q}` : 'Search');

  const search = useInfiniteQuery({
    queryKey: ['search', q, filters],
    queryFn: ({ pageParam }) => reads.search({ q, ...filters, limit: PAGE_SIZE, offset: pageParam || undefined }),
    initialPageParam: 0,
    // The last results (and their facets' names) stay while a narrower search loads.
    placeholderData: keepPreviousData,
    getNextPageParam: (last, pages) => {
      const loaded = pages.reduce((n, p) => n + p.items.length, 0);
      return last.items.length > 0 && loaded < last.total && loaded <= MAX_OFFSET ? loaded : undefined;
    },
  });

  const first = search.data?.pages[0];
  const hits = search.data?.pages.flatMap((p) => p.items) ?? [];
  const total = first?.total ?? 0;
  return (
    <>
      <h1>{q ? <>Results for “{q}”</> : 'Search'}</h1>
      <ActiveFilters facets={first?.facets} />
      <p className="vw-total" role="status">
        {search.isSuccess ? `${total} ${total === 1 ? 'video' : 'videos'} found` : ''}
      </p>
      {search.isPending && <p aria-live="polite">Searching…</p>}
      {search.isError && !search.isFetchNextPageError && (
        <div>
          <ErrorAlert error={search.error} />
          <button type="button" onClick={() => void search.refetch()}>Try again</button>
        </div>
      )}
      {first && (
        <div className="vw-search" aria-busy={search.isPlaceholderData}>
          {total > 0 && (
            <aside className="vw-facets" aria-labelledby="filters-heading">
              <h2 id="filters-heading">Filters</h2>
              <Facets facets={first.facets} />
            </aside>
          )}
          <section className="vw-results" aria-labelledby="results-heading">
            <h2 id="results-heading" className="cf-visually-hidden">Results</h2>
            {hits.length === 0 ? (
              <p className="vw-empty">
                No videos match{q ? ` “${q}”` : ''}. Check the spelling, try other words
                {FACET_PARAMS.some((p) => params.get(p)) ? ', or remove a filter' : ''}.{' '}
                <Link to="/">Browse all videos</Link>.
              </p>
            ) : (
              <ol className="vw-hits">
                {hits.map((hit) => <Hit key={hit.video.id} hit={hit} />)}
              </ol>
            )}
            {search.hasNextPage && (
              <div className="vw-more">
                <button type="button" onClick={() => void search.fetchNextPage()} disabled={search.isFetchingNextPage}>
                  {search.isFetchingNextPage ? 'Loading…' : 'Load more'}
                </button>
              </div>
            )}
            {search.isFetchNextPageError && <ErrorAlert error={search.error} />}
          </section>
        </div>
      )}
    </>
  );
}

function Hit({ hit }: { hit: SearchHit }) {
  const { video, highlights } = hit;
  return (
    <li className="vw-hit">
      <Link to={`/videos/${video.id}`} className="vw-hit-poster" tabIndex={-1} aria-hidden="true">
        <Poster video={video} size="thumb" />
      </Link>
      <div>
        <h3 className="vw-hit-title">
          <Link to={`/videos/${video.id}`}>
            <Highlight html={highlights?.title} fallback={video.title} />
          </Link>
        </h3>
        <VideoMeta video={video} />
        <p className="vw-hit-description">
          <Highlight html={highlights?.description} fallback={video.description} />
        </p>
      </div>
    </li>
  );
}
