// Every video, drafts included, with its media's encoding state: filtered by what the admin API
// filters on (category, genre, cast member, year, rating), sorted, a page at a time. "Failed
// encodings" is checked here, on the page shown: the API has no such filter.

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { reads, type VideoFilter } from '../../shared/api';
import { RATINGS, type AdminVideo } from '../../shared/types';
import { useAllCastMembers, useAllCategories, useAllGenres } from '../catalog/options';
import { formatDateTime } from '../format';
import { useListParams } from '../listParams';
import { Badge, LoadError, Loading, PageHeader, Pager, TableRegion } from '../ui';
import { anyFailed, slotLabel } from './media';
import { statusLabel, statusTone } from './MediaStatus';

const SORTS = [
  { value: '-created_at', label: 'Newest first' },
  { value: 'created_at', label: 'Oldest first' },
  { value: 'title', label: 'Title A–Z' },
  { value: '-title', label: 'Title Z–A' },
  { value: '-launch_year', label: 'Launch year, newest' },
  { value: 'launch_year', label: 'Launch year, oldest' },
];
const PAGE_SIZES = ['25', '50', '100'];
const FILTERS = ['category', 'genre', 'cast_member', 'year', 'rating', 'sort', 'limit'] as const;

export default function VideosPage() {
  const list = useListParams();
  const [params] = useSearchParams();
  const filter: VideoFilter = {
    category: list.get('category') || undefined,
    genre: list.get('genre') || undefined,
    cast_member: list.get('cast_member') || undefined,
    year: list.get('year') ? Number(list.get('year')) : undefined,
    rating: list.get('rating') || undefined,
    sort: list.get('sort') || '-created_at',
    limit: Number(list.get('limit')) || 25,
    cursor: list.cursor,
  };
  const query = useQuery({
    queryKey: ['admin-videos', filter],
    queryFn: () => reads.admin.videos(filter),
    placeholderData: keepPreviousData,
  });
  const failedOnly = list.get('failed') === '1';
  const items = query.data?.items ?? [];
  const rows = failedOnly ? items.filter(anyFailed) : items;
  // The form starts over when the URL's filters change (back button, a link).
  const formKey = FILTERS.map((name) => params.get(name) ?? '').join('|');

  return (
    <>
      <PageHeader title="Videos">
        <Link className="cf-button primary" to="/videos/new">
          New video
        </Link>
      </PageHeader>
      <VideoFilters key={formKey} list={list} />
      <div className="adm-check adm-failed">
        <input id="failed-only" type="checkbox" checked={failedOnly} onChange={(e) => list.setLocal('failed', e.target.checked ? '1' : '')} />
        <label htmlFor="failed-only">Failed encodings only</label>
        <span className="adm-hint">Checks the videos on this page only: the API cannot filter by encoding status.</span>
      </div>
      {query.isPending ? (
        <Loading what="videos" />
      ) : query.isError ? (
        <LoadError error={query.error} retry={() => void query.refetch()} />
      ) : (
        <>
          <TableRegion label="Videos">
            <table>
              <thead>
                <tr>
                  <th scope="col">Title</th>
                  <th scope="col">Year</th>
                  <th scope="col">Rating</th>
                  <th scope="col">State</th>
                  <th scope="col">Media</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((video) => (
                  <tr key={video.id}>
                    <td>
                      <Link to={`/videos/${encodeURIComponent(video.id)}`}>{video.title}</Link>
                    </td>
                    <td>{video.launch_year}</td>
                    <td>{video.rating}</td>
                    <td>
                      <Badge tone={video.published ? 'ok' : undefined}>{video.published ? 'Published' : 'Draft'}</Badge>
                    </td>
                    <td>
                      <MediaSummary video={video} />
                    </td>
                    <td className="adm-nowrap">{formatDateTime(video.created_at)}</td>
                  </tr>
                ))}
                {rows.length === 0 && (
                  <tr>
                    <td colSpan={6} className="cf-muted">
                      {items.length === 0
                        ? 'No videos match these filters.'
                        : 'No video on this page has a failed encoding. Other pages may.'}
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </TableRegion>
          <Pager list={list} nextCursor={query.data.next_cursor} busy={query.isFetching} />
        </>
      )}
    </>
  );
}

function MediaSummary({ video }: { video: AdminVideo }) {
  if (video.media_details.length === 0) return <span className="cf-muted">No files</span>;
  return (
    <ul className="adm-badges">
      {video.media_details.map((media) => (
        <li key={media.slot}>
          <Badge tone={statusTone(media.status)}>
            {slotLabel(media.slot)}: {statusLabel(media.status)}
          </Badge>
          {media.status === 'ERROR' && media.error && <span className="adm-hint"> {media.error}</span>}
        </li>
      ))}
    </ul>
  );
}

function VideoFilters({ list }: { list: ReturnType<typeof useListParams> }) {
  const id = useId();
  const [values, setValues] = useState(() => Object.fromEntries(FILTERS.map((name) => [name, list.get(name)])) as Record<(typeof FILTERS)[number], string>);
  const categories = useAllCategories();
  const genres = useAllGenres();
  const cast = useAllCastMembers();
  const set = (name: (typeof FILTERS)[number]) => (e: { target: { value: string } }) => setValues({ ...values, [name]: e.target.value });

  function apply(event: FormEvent) {
    event.preventDefault();
    list.setFilters({ ...values, year: values.year.trim() });
  }

  function clear() {
    list.setFilters(Object.fromEntries(FILTERS.map((name) => [name, undefined])));
  }

  return (
    <form className="adm-toolbar" role="search" aria-label="Filter videos" onSubmit={apply}>
      <div className="adm-filter">
        <label htmlFor={`${id}-category`}>Category</label>
        <select id={`${id}-category`} value={values.category} onChange={set('category')}>
          <option value="">Any</option>
          {(categories.data ?? []).map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </div>
      <div className="adm-filter">
        <label htmlFor={`${id}-genre`}>Genre</label>
        <select id={`${id}-genre`} value={values.genre} onChange={set('genre')}>
          <option value="">Any</option>
          {(genres.data ?? []).map((g) => (
            <option key={g.id} value={g.id}>
              {g.name}
            </option>
          ))}
        </select>
      </div>
      <div className="adm-filter">
        <label htmlFor={`${id}-cast`}>Cast member</label>
        <select id={`${id}-cast`} value={values.cast_member} onChange={set('cast_member')}>
          <option value="">Any</option>
          {(cast.data ?? []).map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
        </select>
      </div>
      <div className="adm-filter adm-filter-narrow">
        <label htmlFor={`${id}-year`}>Launch year</label>
        <input id={`${id}-year`} type="number" inputMode="numeric" min={1888} max={9999} value={values.year} onChange={set('year')} />
      </div>
      <div className="adm-filter adm-filter-narrow">
        <label htmlFor={`${id}-rating`}>Rating</label>
        <select id={`${id}-rating`} value={values.rating} onChange={set('rating')}>
          <option value="">Any</option>
          {RATINGS.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </div>
      <div className="adm-filter">
        <label htmlFor={`${id}-sort`}>Sort</label>
        <select id={`${id}-sort`} value={values.sort || '-created_at'} onChange={set('sort')}>
          {SORTS.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </div>
      <div className="adm-filter adm-filter-narrow">
        <label htmlFor={`${id}-limit`}>Per page</label>
        <select id={`${id}-limit`} value={values.limit || '25'} onChange={set('limit')}>
          {PAGE_SIZES.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </div>
      <div className="adm-toolbar-actions">
        <button type="submit" className="primary">
          Apply filters
        </button>
        <button type="button" onClick={clear}>
          Clear filters
        </button>
      </div>
    </form>
  );
}
