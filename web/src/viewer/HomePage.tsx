// The catalogue: published videos a page at a time, narrowed by category and genre and sorted.
// The filters live in the URL (`/?category=…&genre=…&sort=…`), so a filtered page can be
// bookmarked, shared and reloaded.

import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { reads } from '../shared/api';
import { ErrorAlert } from '../shared/FieldErrors';
import { allPages, usePageTitle } from './page';
import { VideoCard, VideoGrid } from './VideoCard';

const SORTS = [
  { value: '-created_at', label: 'Newest' },
  { value: 'created_at', label: 'Oldest' },
  { value: 'title', label: 'Title (A–Z)' },
  { value: '-title', label: 'Title (Z–A)' },
  { value: '-launch_year', label: 'Release year (newest)' },
  { value: 'launch_year', label: 'Release year (oldest)' },
] as const;
const DEFAULT_SORT = '-created_at';
const PAGE_SIZE = 24;

export function HomePage() {
  const [params, setParams] = useSearchParams();
  const category = params.get('category') || undefined;
  const genre = params.get('genre') || undefined;
  const sortParam = params.get('sort');
  const sort = SORTS.some((s) => s.value === sortParam) ? sortParam! : DEFAULT_SORT;

  const categories = useQuery({ queryKey: ['categories'], queryFn: () => allPages((c) => reads.categories(c)) });
  const genres = useQuery({ queryKey: ['genres'], queryFn: () => allPages((c) => reads.genres(c)) });
  const videos = useInfiniteQuery({
    queryKey: ['videos', { category, genre, sort }],
    queryFn: ({ pageParam }) => reads.videos({ category, genre, sort, cursor: pageParam, limit: PAGE_SIZE }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });

  const categoryName = categories.data?.find((c) => c.id === category)?.name;
  const genreName = genres.data?.find((g) => g.id === genre)?.name;
  const title = genreName && categoryName ? `${genreName} in ${categoryName}` : genreName ?? categoryName ?? (category || genre ? 'Filtered videos' : 'All videos');
  usePageTitle(category || genre ? title : undefined);

  // Genres of the chosen category first make the second choice a short one; the chosen genre
  // always stays in the list.
  const genreOptions = (genres.data ?? []).filter(
    (g) => !category || g.id === genre || g.categories.some((c) => c.id === category),
  );

  const set = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    if (name === 'sort' && value === DEFAULT_SORT) next.delete('sort');
    setParams(next);
  };

  const items = videos.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <h1>{title}</h1>
      <form className="vw-filters" aria-label="Filter videos" onSubmit={(e) => e.preventDefault()}>
        <div className="cf-field">
          <label htmlFor="filter-category">Category</label>
          <select id="filter-category" value={category ?? ''} onChange={(e) => set('category', e.target.value)}>
            <option value="">All categories</option>
            {categories.data?.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
          </select>
        </div>
        <div className="cf-field">
          <label htmlFor="filter-genre">Genre</label>
          <select id="filter-genre" value={genre ?? ''} onChange={(e) => set('genre', e.target.value)}>
            <option value="">All genres</option>
            {genreOptions.map((g) => <option key={g.id} value={g.id}>{g.name}</option>)}
          </select>
        </div>
        <div className="cf-field">
          <label htmlFor="filter-sort">Sort by</label>
          <select id="filter-sort" value={sort} onChange={(e) => set('sort', e.target.value)}>
            {SORTS.map((s) => <option key={s.value} value={s.value}>{s.label}</option>)}
          </select>
        </div>
        {(category || genre) && <Link className="vw-clear" to="/">Clear filters</Link>}
      </form>
      <ErrorAlert error={categories.error ?? genres.error} />

      {videos.isPending && <p aria-live="polite">Loading videos…</p>}
      {videos.isError && !videos.isFetchNextPageError && (
        <div>
          <ErrorAlert error={videos.error} />
          <button type="button" onClick={() => void videos.refetch()}>Try again</button>
        </div>
      )}
      {videos.isSuccess && items.length === 0 && (
        <p className="vw-empty">{category || genre ? 'No videos match these filters yet.' : 'No videos have been published yet.'}</p>
      )}
      {items.length > 0 && (
        <VideoGrid label={title}>
          {items.map((v) => <VideoCard key={v.id} video={v} />)}
        </VideoGrid>
      )}
      <p className="cf-visually-hidden" aria-live="polite">{videos.isSuccess ? `${items.length} videos shown` : ''}</p>
      {videos.hasNextPage && (
        <div className="vw-more">
          <button type="button" onClick={() => void videos.fetchNextPage()} disabled={videos.isFetchingNextPage}>
            {videos.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
      {videos.isFetchNextPageError && <ErrorAlert error={videos.error} />}
    </>
  );
}
