// The video's fields: what it is (title, description, year, duration, rating), whether it is
// free to watch, and its categories, genres and cast. The API's rules show beside each field.

import type { FormEvent, ReactNode } from 'react';
import { ErrorAlert, FieldErrors } from '../../shared/FieldErrors';
import { RATINGS, type AdminVideo } from '../../shared/types';
import { useAllCastMembers, useAllCategories, useAllGenres } from '../catalog/options';
import { CheckboxGroup, Field, fieldProps, NumberField, type Option } from '../fields';
import { KIND_LABEL } from '../format';
import type { VideoDraft } from './draft';

const RATING_LABEL: Record<string, string> = {
  ER: 'ER — especially for children',
  L: 'L — all ages',
  '10': '10 — 10 and over',
  '12': '12 — 12 and over',
  '14': '14 — 14 and over',
  '16': '16 — 16 and over',
  '18': '18 — adults',
};

/** Active choices, plus the video's own links that are no longer active (not in the lists). */
function withOwn(active: Option[], own: Option[]): Option[] {
  return [...active, ...own.filter((o) => !active.some((a) => a.id === o.id)).map((o) => ({ ...o, hint: o.hint ?? 'inactive' }))];
}

export function VideoForm({ value, onChange, error, busy, submitLabel, onSubmit, video, children }: {
  value: VideoDraft;
  onChange: (draft: VideoDraft) => void;
  error: unknown;
  busy: boolean;
  submitLabel: string;
  onSubmit: () => void;
  /** The video being edited, whose links may point at inactive items. */
  video?: AdminVideo;
  children?: ReactNode;
}) {
  const categories = useAllCategories();
  const genres = useAllGenres();
  const cast = useAllCastMembers();
  const set = <K extends keyof VideoDraft>(key: K, next: VideoDraft[K]) => onChange({ ...value, [key]: next });

  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit();
  }

  const castOption = (m: { id: string; name: string; kind: string }) => ({ id: m.id, name: m.name, hint: KIND_LABEL[m.kind] ?? m.kind });

  return (
    <form className="adm-form" onSubmit={submit} noValidate aria-label="Video details">
      <ErrorAlert error={error} />
      {(categories.isError || genres.isError || cast.isError) && (
        <ErrorAlert error={categories.error ?? genres.error ?? cast.error} />
      )}
      <Field id="video-title" label="Title" field="title" error={error}>
        <input id="video-title" value={value.title} onChange={(e) => set('title', e.target.value)} required {...fieldProps(error, 'title')} />
      </Field>
      <Field id="video-description" label="Description" field="description" error={error}>
        <textarea
          id="video-description"
          rows={4}
          value={value.description}
          onChange={(e) => set('description', e.target.value)}
          required
          {...fieldProps(error, 'description')}
        />
      </Field>
      <div className="adm-grid">
        <NumberField
          id="video-launch-year"
          label="Launch year"
          field="launch_year"
          value={value.launch_year}
          onChange={(year) => set('launch_year', year)}
          error={error}
          min={1888}
          max={9999}
          required
        />
        <NumberField
          id="video-duration"
          label="Duration (minutes)"
          field="duration"
          value={value.duration}
          onChange={(minutes) => set('duration', minutes)}
          error={error}
          min={1}
          max={6000}
          required
        />
        <Field id="video-rating" label="Rating" field="rating" error={error}>
          <select id="video-rating" value={value.rating} onChange={(e) => set('rating', e.target.value)} required {...fieldProps(error, 'rating')}>
            <option value="">Choose a rating</option>
            {RATINGS.map((rating) => (
              <option key={rating} value={rating}>
                {RATING_LABEL[rating] ?? rating}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <div className="cf-field adm-check">
        <input
          id="video-opened"
          type="checkbox"
          checked={value.opened}
          onChange={(e) => set('opened', e.target.checked)}
          {...fieldProps(error, 'opened')}
        />
        <label htmlFor="video-opened">Free to watch (no subscription)</label>
        <FieldErrors error={error} field="opened" />
      </div>
      <div className="adm-grid adm-grid-wide">
        <CheckboxGroup
          legend="Categories"
          field="categories"
          options={withOwn((categories.data ?? []).map((c) => ({ id: c.id, name: c.name })), video?.categories ?? [])}
          selected={value.categories}
          onChange={(ids) => set('categories', ids)}
          error={error}
          loading={categories.isPending}
        />
        <CheckboxGroup
          legend="Genres"
          field="genres"
          options={withOwn((genres.data ?? []).map((g) => ({ id: g.id, name: g.name })), video?.genres ?? [])}
          selected={value.genres}
          onChange={(ids) => set('genres', ids)}
          error={error}
          loading={genres.isPending}
        />
        <CheckboxGroup
          legend="Cast members"
          field="cast_members"
          options={withOwn((cast.data ?? []).map(castOption), (video?.cast_members ?? []).map(castOption))}
          selected={value.cast_members}
          onChange={(ids) => set('cast_members', ids)}
          error={error}
          loading={cast.isPending}
        />
      </div>
      {children}
      <div className="adm-form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {submitLabel}
        </button>
      </div>
    </form>
  );
}
