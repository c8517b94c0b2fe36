// One video: the player (or why it does not play) and what the video is.

import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { reads } from '../shared/api';
import { ErrorAlert, isApiError } from '../shared/FieldErrors';
import type { CastMember, NamedRef, Video } from '../shared/types';
import { usePageTitle } from './page';
import { VideoMeta } from './VideoCard';
import { Watch } from './Watch';

export function VideoPage() {
  const { id = '' } = useParams();
  const video = useQuery({ queryKey: ['video', id], queryFn: () => reads.video(id) });
  usePageTitle(video.data?.title ?? (video.isError ? 'Video not found' : undefined));

  if (video.isPending) {
    return (
      <div className="vw-video">
        <div className="vw-player vw-player-empty"><p className="vw-player-status" aria-live="polite">Loading…</p></div>
      </div>
    );
  }
  if (video.isError) {
    const missing = isApiError(video.error) && (video.error.status === 404 || video.error.status === 400);
    return missing ? (
      <>
        <h1>Video not found</h1>
        <p>This video does not exist or is no longer available. <Link to="/">Browse all videos</Link>.</p>
      </>
    ) : (
      <>
        <h1>Video</h1>
        <ErrorAlert error={video.error} />
        <button type="button" onClick={() => void video.refetch()}>Try again</button>
      </>
    );
  }
  return <VideoDetails video={video.data} />;
}

function VideoDetails({ video }: { video: Video }) {
  const directors = video.cast_members.filter((c) => c.kind === 'DIRECTOR');
  const actors = video.cast_members.filter((c) => c.kind !== 'DIRECTOR');
  return (
    <article className="vw-video" aria-labelledby="video-title">
      <Watch video={video} />
      <div className="vw-video-info">
        <h1 id="video-title">{video.title}</h1>
        <VideoMeta video={video} />
        <p className="vw-access">{video.opened ? 'Free to watch for everyone.' : 'For subscribers.'}</p>
        {video.description && <p className="vw-description">{video.description}</p>}
        <dl className="vw-facts">
          <Refs term="Categories" refs={video.categories} to={(r) => `/?category=${r.id}`} />
          <Refs term="Genres" refs={video.genres} to={(r) => `/?genre=${r.id}`} />
          <Refs term={directors.length === 1 ? 'Director' : 'Directors'} refs={directors} to={castLink} />
          <Refs term="Cast" refs={actors} to={castLink} />
        </dl>
      </div>
    </article>
  );
}

const castLink = (c: NamedRef) => `/search?cast_member=${c.id}`;

function Refs({ term, refs, to }: { term: string; refs: (NamedRef | CastMember)[]; to: (r: NamedRef) => string }) {
  if (refs.length === 0) return null;
  return (
    <div>
      <dt>{term}</dt>
      <dd>
        <ul className="vw-inline-list">
          {refs.map((r) => <li key={r.id}><Link to={to(r)}>{r.name}</Link></li>)}
        </ul>
      </dd>
    </div>
  );
}
