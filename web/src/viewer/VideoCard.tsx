// A video as a tile: its thumbnail when it has one (lazy-loaded, in a box of fixed aspect ratio
// so nothing moves when it arrives), over a drawn placeholder: the title on a colour picked from
// the id, which is also all a video without artwork shows.

import { useQuery } from '@tanstack/react-query';
import { useState, type CSSProperties, type ReactNode } from 'react';
import { Link } from 'react-router';
import { loadConfig } from '../shared/config';
import type { Video } from '../shared/types';
import { formatDuration } from './format';

/** Which image each size prefers, best first. */
const PREFERRED: Record<'tile' | 'thumb' | 'banner', string[]> = {
  tile: ['THUMBNAIL', 'THUMBNAIL_HALF', 'BANNER'],
  thumb: ['THUMBNAIL_HALF', 'THUMBNAIL', 'BANNER'],
  banner: ['BANNER', 'THUMBNAIL', 'THUMBNAIL_HALF'],
};

/** The URL of `video`'s image for `size`, once the query API's address is known. */
export function useImageUrl(video: Video, size: keyof typeof PREFERRED): string | undefined {
  const config = useQuery({ queryKey: ['config'], queryFn: loadConfig, staleTime: Infinity });
  const images = video.images ?? [];
  const image = PREFERRED[size].map((slot) => images.find((i) => i.slot === slot)).find(Boolean);
  return image && config.data ? `${config.data.query_api}${image.url}` : undefined;
}

/** A stable hue per video, so a tile keeps its colour between visits. */
function hueOf(id: string): number {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  return hash % 360;
}

export function Poster({ video, size = 'tile' }: { video: Video; size?: 'tile' | 'thumb' }) {
  const url = useImageUrl(video, size);
  // A broken image leaves the drawn placeholder, title and all.
  const [failed, setFailed] = useState<string>();
  const shown = url && url !== failed;
  return (
    <div className={`vw-poster vw-poster-${size}`} style={{ '--vw-hue': hueOf(video.id) } as CSSProperties} aria-hidden="true">
      {shown ? (
        <img src={url} alt="" loading="lazy" decoding="async" width={320} height={180} onError={() => setFailed(url)} />
      ) : (
        <span>{video.title}</span>
      )}
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
