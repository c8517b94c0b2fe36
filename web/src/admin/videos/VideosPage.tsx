// Every video, drafts included, with its media's encoding state: filtered by what the admin API
// filters on (the start of the title, category, genre, cast member, year, rating, the media's
// state: "Failed" lists the failed encodings), sorted, a page at a time.

import { Link } from 'react-router';
import { reads, type VideoFilter } from '../../shared/api';
import { RATINGS, type AdminVideo } from '../../shared/types';
import { useAllCastMembers, useAllCategories, useAllGenres } from '../catalog/options';
import { formatDateTime } from '../format';
import { useListParams, type ListParams } from '../listParams';
import { CREATION_ORDERS, FilterToolbar, PagedTable, SelectFilter, TextFilter, useListPage, type Column } from '../lists';
import { Badge, PageHeader } from '../ui';
import { slotLabel } from './media';
import { statusLabel, statusTone } from './MediaStatus';

const SORTS = [
  ...CREATION_ORDERS,
  { value: 'title', label: 'Title A–Z' },
  { value: '-title', label: 'Title Z–A' },
  { value: '-launch_year', label: 'Launch year, newest' },
  { value: 'launch_year', label: 'Launch year, oldest' },
];
const PAGE_SIZES = ['25', '50', '100'];
const FILTERS = ['q', 'category', 'genre', 'cast_member', 'year', 'rating', 'media_status', 'sort', 'limit'] as const;
const MEDIA_STATUSES = [
  { value: 'ERROR', label: 'Failed' },
  { value: 'PROCESSING', label: 'Processing' },
  { value: 'PENDING', label: 'Pending' },
  { value: 'COMPLETED', label: 'Completed' },
];

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
    q: list.get('q') || undefined,
    category: list.get('category') || undefined,
    genre: list.get('genre') || undefined,
    cast_member: list.get('cast_member') || undefined,
    year: list.get('year') ? Number(list.get('year')) : undefined,
    rating: list.get('rating') || undefined,
    media_status: list.get('media_status') || undefined,
    sort: list.get('sort') || '-created_at',
    limit: Number(list.get('limit')) || 25,
    cursor: list.cursor,
  };
  const query = useListPage(['admin-videos', filter], () => reads.admin.videos(filter));

  return (
    <>
      <PageHeader title="Videos">
        <Link className="cf-button primary" to="/videos/new">
          New video
        </Link>
      </PageHeader>
      <VideoFilters list={list} />
      {filter.q && <p className="adm-hint">Titles starting with “{filter.q}”, A–Z.</p>}
      <PagedTable query={query} list={list} label="Videos" columns={COLUMNS} empty="No videos match these filters." />
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
          <TextFilter label="Title starts with" type="search" {...field('q')} />
          <SelectFilter label="Category" any options={named(categories.data)} {...field('category')} />
          <SelectFilter label="Genre" any options={named(genres.data)} {...field('genre')} />
          <SelectFilter label="Cast member" any options={named(cast.data)} {...field('cast_member')} />
          <TextFilter label="Launch year" narrow type="number" inputMode="numeric" min={1888} max={9999} {...field('year')} />
          <SelectFilter label="Rating" narrow any options={RATINGS} {...field('rating')} />
          <SelectFilter label="Media" narrow any options={MEDIA_STATUSES} {...field('media_status')} />
          <SelectFilter label="Sort" options={SORTS} {...field('sort', '-created_at')} />
          <SelectFilter label="Per page" narrow options={PAGE_SIZES} {...field('limit', '25')} />
        </>
      )}
    </FilterToolbar>
  );
}
