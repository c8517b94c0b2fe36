// A video as a tile: the API has no poster images, so the tile is a drawn placeholder (the
// title on a colour picked from the id) with a fixed aspect ratio and nothing to fetch.

import type { CSSProperties, ReactNode } from 'react';
import { Link } from 'react-router';
import type { Video } from '../shared/types';
import { formatDuration } from './format';

/** A stable hue per video, so a tile keeps its colour between visits. */
function hueOf(id: string): number {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  return hash % 360;
}

export function Poster({ video, size = 'tile' }: { video: Video; size?: 'tile' | 'thumb' }) {
  return (
    <div className={`vw-poster vw-poster-${size}`} style={{ '--vw-hue': hueOf(video.id) } as CSSProperties} aria-hidden="true">
      <span>{video.title}</span>
    </div>
  );
}

/** "2021 · Rated 12 · 1 h 32 min". */
export function VideoMeta({ video }: { video: Video }) {
  const parts = [String(video.launch_year), `Rated ${video.rating}`, formatDuration(video.duration_minutes)].filter(Boolean);
  return (
    <p className="vw-meta">
      {parts.join(' · ')}
      {!video.opened && <span className="cf-badge vw-badge-subscribers">Subscribers</span>}
    </p>
  );
}

export function VideoCard({ video, heading: Heading = 'h2' }: { video: Video; heading?: 'h2' | 'h3' }) {
  return (
    <li className="vw-card">
      <Link to={`/videos/${video.id}`} className="vw-card-link">
        <Poster video={video} />
        <Heading className="vw-card-title">{video.title}</Heading>
      </Link>
      <VideoMeta video={video} />
    </li>
  );
}

export function VideoGrid({ children, label }: { children: ReactNode; label: string }) {
  return <ul className="vw-grid" aria-label={label}>{children}</ul>;
}
