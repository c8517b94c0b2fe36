// Genres: the active ones by name with their categories; create, edit, deactivate, delete.

import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { reads, writes } from '../../shared/api';
import { ErrorAlert } from '../../shared/FieldErrors';
import type { Genre } from '../../shared/types';
import { CheckboxGroup, Field, fieldProps } from '../fields';
import { useListParams } from '../listParams';
import { useSubmission } from '../submission';
import { ConfirmButton, LoadError, Loading, Notice, PageHeader, Pager, TableRegion, useFocusOnMount } from '../ui';
import { LocalToolbar, useLocalView } from './LocalView';
import { useAllCategories } from './options';

const PAGE_SIZE = 50;

export default function GenresPage() {
  const list = useListParams();
  const queryClient = useQueryClient();
  const query = useQuery({
    queryKey: ['genres', 'page', list.cursor],
    queryFn: () => reads.genres(list.cursor, PAGE_SIZE),
    placeholderData: keepPreviousData,
  });
  const rows = useLocalView(query.data?.items ?? [], list, (g) => g.name);
  const [editing, setEditing] = useState<Genre | 'new'>();
  const [notice, setNotice] = useState<string>();
  // Deactivated genres leave the list (active ones only): kept here to undo.
  const [deactivated, setDeactivated] = useState<Genre[]>([]);
  const action = useSubmission();

  async function act(what: string, genre: Genre, send: Parameters<typeof action.run>[1], done: string): Promise<boolean> {
    setNotice(undefined);
    const written = await action.run({ what, id: genre.id }, send);
    if (written === undefined) return false;
    await queryClient.invalidateQueries({ queryKey: ['genres'] });
    setNotice(done);
    return true;
  }

  return (
    <>
      <PageHeader title="Genres">
        <button type="button" className="primary" onClick={() => setEditing('new')}>
          New genre
        </button>
      </PageHeader>
      {notice && <Notice>{notice}</Notice>}
      <ErrorAlert error={action.error} />
      {deactivated.length > 0 && (
        <div className="cf-alert info">
          <p>Deactivated here (the list shows active genres only):</p>
          <ul className="adm-inline-list">
            {deactivated.map((g) => (
              <li key={g.id}>
                {g.name}{' '}
                <button
                  type="button"
                  disabled={action.pending}
                  onClick={() =>
                    act('activate', g, (o) => writes.setGenreActive(g.id, true, o), `Activated “${g.name}”.`).then(
                      (ok) => ok && setDeactivated((all) => all.filter((other) => other.id !== g.id)),
                    )
                  }
                >
                  Activate “{g.name}” again
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      {editing && (
        <GenreForm
          key={editing === 'new' ? 'new' : editing.id}
          genre={editing === 'new' ? undefined : editing}
          onCancel={() => setEditing(undefined)}
          onDone={(message) => {
            setEditing(undefined);
            setNotice(message);
          }}
        />
      )}
      <LocalToolbar list={list} noun="genres" />
      {query.isPending ? (
        <Loading what="genres" />
      ) : query.isError ? (
        <LoadError error={query.error} retry={() => void query.refetch()} />
      ) : (
        <>
          <TableRegion label="Genres">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Categories</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((genre) => (
                  <tr key={genre.id}>
                    <td>{genre.name}</td>
                    <td className="adm-wrap">
                      {genre.categories.length ? genre.categories.map((c) => c.name).join(', ') : <span className="cf-muted">—</span>}
                    </td>
                    <td className="adm-row-actions">
                      <button type="button" onClick={() => setEditing(genre)} aria-label={`Edit ${genre.name}`}>
                        Edit
                      </button>
                      <ConfirmButton
                        label="Deactivate"
                        name={`Deactivate ${genre.name}`}
                        danger={false}
                        question={`Deactivate “${genre.name}”? Nothing new may refer to it.`}
                        confirmLabel="Deactivate"
                        pending={action.pending}
                        onConfirm={() =>
                          act('deactivate', genre, (o) => writes.setGenreActive(genre.id, false, o), `Deactivated “${genre.name}”.`).then(
                            (ok) => ok && setDeactivated((all) => [...all.filter((g) => g.id !== genre.id), genre]),
                          )
                        }
                      />
                      <ConfirmButton
                        label="Delete"
                        name={`Delete ${genre.name}`}
                        question={`Delete “${genre.name}”?`}
                        confirmLabel="Delete"
                        pending={action.pending}
                        onConfirm={() => act('delete', genre, (o) => writes.deleteGenre(genre.id, o), `Deleted “${genre.name}”.`)}
                      />
                    </td>
                  </tr>
                ))}
                {rows.length === 0 && (
                  <tr>
                    <td colSpan={3} className="cf-muted">
                      {query.data.items.length === 0 ? 'No genres yet.' : 'No genre on this page matches the filter.'}
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

function GenreForm({ genre, onCancel, onDone }: { genre?: Genre; onCancel: () => void; onDone: (message: string) => void }) {
  const [name, setName] = useState(genre?.name ?? '');
  const [categories, setCategories] = useState<string[]>(genre?.categories.map((c) => c.id) ?? []);
  const all = useAllCategories();
  const submission = useSubmission();
  const queryClient = useQueryClient();
  const first = useFocusOnMount<HTMLInputElement>();
  const error = submission.error;
  // The genre's own categories stay choosable even when inactive (they are not in the list).
  const active = all.data ?? [];
  const options = [
    ...active.map((c) => ({ id: c.id, name: c.name })),
    ...(genre?.categories ?? []).filter((c) => !active.some((a) => a.id === c.id)).map((c) => ({ ...c, hint: 'inactive' })),
  ];

  async function submit(event: FormEvent) {
    event.preventDefault();
    const input = { name, categories };
    const written = await submission.run({ id: genre?.id, input }, (options) =>
      genre ? writes.updateGenre(genre.id, input, genre.version, options) : writes.createGenre(input, options),
    );
    if (written === undefined) return;
    await queryClient.invalidateQueries({ queryKey: ['genres'] });
    onDone(genre ? `Saved “${name}”.` : `Created “${name}”.`);
  }

  return (
    <form className="adm-panel" aria-labelledby="genre-form-title" onSubmit={submit} noValidate>
      <h2 id="genre-form-title">{genre ? `Edit “${genre.name}”` : 'New genre'}</h2>
      <ErrorAlert error={error} />
      <Field id="genre-name" label="Name" field="name" error={error}>
        <input id="genre-name" ref={first} value={name} onChange={(e) => setName(e.target.value)} required {...fieldProps(error, 'name')} />
      </Field>
      {all.isError && <ErrorAlert error={all.error} />}
      <CheckboxGroup
        legend="Categories"
        field="categories"
        options={options}
        selected={categories}
        onChange={setCategories}
        error={error}
        loading={all.isPending}
      />
      <div className="adm-form-actions">
        <button type="submit" className="primary" disabled={submission.pending}>
          {submission.pending ? 'Saving…' : genre ? 'Save genre' : 'Create genre'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
