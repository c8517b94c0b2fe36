// Genres, active or not, by name with their categories; create, edit, deactivate and activate,
// delete.

import { useState } from 'react';
import { reads, writes } from '../../shared/api';
import { ErrorAlert } from '../../shared/FieldErrors';
import type { Genre } from '../../shared/types';
import { EditorForm, NameField, useItemSave, type EditorProps } from '../editing';
import { CheckboxGroup } from '../fields';
import { CatalogPage } from './CatalogPage';
import { useAllCategories } from './options';

export default function GenresPage() {
  return (
    <CatalogPage<Genre>
      title="Genres"
      noun="genre"
      queryKey="genres"
      read={reads.admin.genres}
      remove={writes.deleteGenre}
      setActive={writes.setGenreActive}
      columns={[
        {
          header: 'Categories',
          className: 'adm-wrap',
          cell: (g) => (g.categories.length ? g.categories.map((c) => c.name).join(', ') : <span className="cf-muted">—</span>),
        },
      ]}
      form={GenreForm}
    />
  );
}

function GenreForm({ item: genre, onCancel, onDone, onReload }: EditorProps<Genre>) {
  const [name, setName] = useState(genre?.name ?? '');
  const [categories, setCategories] = useState<string[]>(genre?.categories.map((c) => c.id) ?? []);
  const all = useAllCategories();
  const save = useItemSave('genres', genre, { create: writes.createGenre, update: writes.updateGenre }, onDone);
  const error = save.error;
  // The genre's own categories stay choosable even when inactive (they are not in the list).
  const active = all.data ?? [];
  const options = [
    ...active.map((c) => ({ id: c.id, name: c.name })),
    ...(genre?.categories ?? []).filter((c) => !active.some((a) => a.id === c.id)).map((c) => ({ ...c, hint: 'inactive' })),
  ];

  return (
    <EditorForm
      titleId="genre-form-title"
      noun="genre"
      name={genre?.name}
      save={save}
      submit={(ifMatch) => save.submit({ name, categories }, name, ifMatch)}
      onReload={onReload}
      onCancel={onCancel}
    >
      <NameField id="genre-name" value={name} onChange={setName} error={error} />
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
    </EditorForm>
  );
}
