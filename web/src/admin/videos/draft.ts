// The video form's values as typed, and what the API takes from them.

import type { VideoInput } from '../../shared/api';
import type { AdminVideo } from '../../shared/types';

export interface VideoDraft {
  title: string;
  description: string;
  launch_year: string;
  duration: string;
  rating: string;
  opened: boolean;
  categories: string[];
  genres: string[];
  cast_members: string[];
}

export const LINKS = [
  { field: 'categories', path: 'categories' },
  { field: 'genres', path: 'genres' },
  { field: 'cast_members', path: 'cast-members' },
] as const;

export function draftOf(video?: AdminVideo): VideoDraft {
  return {
    title: video?.title ?? '',
    description: video?.description ?? '',
    launch_year: video ? String(video.launch_year) : '',
    duration: video ? String(video.duration_minutes) : '',
    rating: video?.rating ?? '',
    opened: video?.opened ?? false,
    categories: video?.categories.map((c) => c.id) ?? [],
    genres: video?.genres.map((g) => g.id) ?? [],
    cast_members: video?.cast_members.map((m) => m.id) ?? [],
  };
}

// An empty number goes as null (NaN serialises so), and the API names the field that is missing.
function number(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text);
}

export function inputOf(draft: VideoDraft): VideoInput {
  return {
    title: draft.title,
    description: draft.description,
    launch_year: number(draft.launch_year),
    duration: number(draft.duration),
    rating: draft.rating,
    opened: draft.opened,
  };
}

export function sameFields(a: VideoDraft, b: VideoDraft): boolean {
  return JSON.stringify(inputOf(a)) === JSON.stringify(inputOf(b));
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

export function sameDraft(a: VideoDraft, b: VideoDraft): boolean {
  return sameFields(a, b) && LINKS.every(({ field }) => sameSet(a[field], b[field]));
}
