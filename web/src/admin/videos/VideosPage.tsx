// Every video, drafts included, with its media's encoding state: filtered by what the admin API
// filters on (category, genre, cast member, year, rating), sorted, a page at a time. "Failed
// encodings" is checked here, on the page shown: the API has no such filter.

import { Link } from 'react-router';
import { reads, type VideoFilter } from '../../shared/api';
import { RATINGS, type AdminVideo } from '../../shared/types';
import { useAllCastMembers, useAllCategories, useAllGenres } from '../catalog/options';
import { formatDateTime } from '../format';
import { useListParams, type ListParams } from '../listParams';
import { CREATION_ORDERS, FilterToolbar, PagedTable, SelectFilter, TextFilter, useListPage, type Column } from '../lists';
import { Badge, PageHeader } from '../ui';
import { anyFailed, slotLabel } from './media';
import { statusLabel, statusTone } from './MediaStatus';

const SORTS = [
  ...CREATION_ORDERS,
  { value: 'title', label: 'Title A–Z' },
  { value: '-title', label: 'Title Z–A' },
  { value: '-launch_year', label: 'Launch year, newest' },
  { value: 'launch_year', label: 'Launch year, oldest' },
];
const PAGE_SIZES = ['25', '50', '100'];
const FILTERS = ['category', 'genre', 'cast_member', 'year', 'rating', 'sort', 'limit'] as const;

const COLUMNS: Column<AdminVideo>[] = [
  { header: 'Title', cell: (video) => <Link to={`/videos/${encodeURIComponent(video.id)}`}>{video.title}</Link> },
  { header: 'Year', cell: (video) => video.launch_year },
  { header: 'Rating', cell: (video) => video.rating },
  { header: 'State', cell: (video) => <Badge tone={video.published ? 'ok' : undefined}>{video.published ? 'Published' : 'Draft'}</Badge> },
  { header: 'Media', cell: (video) => <MediaSummary video={video} /> },
  { header: 'Created', className: 'adm-nowrap', cell: (video) => formatDateTime(video.created_at) },
];

export default function VideosPage() {
  const list = useListParams();
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
  const query = useListPage(['admin-videos', filter], () => reads.admin.videos(filter));
  const failedOnly = list.get('failed') === '1';
  const items = query.data?.items ?? [];

  return (
    <>
      <PageHeader title="Videos">
        <Link className="cf-button primary" to="/videos/new">
          New video
        </Link>
      </PageHeader>
      <VideoFilters list={list} />
      <div className="adm-check adm-failed">
        <input id="failed-only" type="checkbox" checked={failedOnly} onChange={(e) => list.setLocal('failed', e.target.checked ? '1' : '')} />
        <label htmlFor="failed-only">Failed encodings only</label>
        <span className="adm-hint">Checks the videos on this page only: the API cannot filter by encoding status.</span>
      </div>
      <PagedTable
        query={query}
        list={list}
        label="Videos"
        columns={COLUMNS}
        rows={failedOnly ? items.filter(anyFailed) : items}
        empty="No videos match these filters."
        noneShown="No video on this page has a failed encoding. Other pages may."
      />
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

const named = (items: { id: string; name: string }[] = []) => items.map((item) => ({ value: item.id, label: item.name }));

function VideoFilters({ list }: { list: ListParams }) {
  const categories = useAllCategories();
  const genres = useAllGenres();
  const cast = useAllCastMembers();
  return (
    <FilterToolbar list={list} names={FILTERS} label="Filter videos">
      {(field) => (
        <>
          <SelectFilter label="Category" any options={named(categories.data)} {...field('category')} />
          <SelectFilter label="Genre" any options={named(genres.data)} {...field('genre')} />
          <SelectFilter label="Cast member" any options={named(cast.data)} {...field('cast_member')} />
          <TextFilter label="Launch year" narrow type="number" inputMode="numeric" min={1888} max={9999} {...field('year')} />
          <SelectFilter label="Rating" narrow any options={RATINGS} {...field('rating')} />
          <SelectFilter label="Sort" options={SORTS} {...field('sort', '-created_at')} />
          <SelectFilter label="Per page" narrow options={PAGE_SIZES} {...field('limit', '25')} />
        </>
      )}
    </FilterToolbar>
  );
}
