// Categories: the active ones by name, a page at a time; create, edit, deactivate, delete.

import { useState } from 'react';
import { reads, writes } from '../../shared/api';
import type { Category } from '../../shared/types';
import { EditorForm, NameField, useItemSave, type EditorProps } from '../editing';
import { Field, fieldProps } from '../fields';
import { CatalogPage } from './CatalogPage';

export default function CategoriesPage() {
  return (
    <CatalogPage<Category>
      title="Categories"
      noun="category"
      queryKey="categories"
      read={reads.categories}
      remove={writes.deleteCategory}
      setActive={writes.setCategoryActive}
      columns={[
        { header: 'Description', className: 'adm-wrap', cell: (c) => c.description || <span className="cf-muted">—</span> },
      ]}
      form={CategoryForm}
    />
  );
}

function CategoryForm({ item: category, onCancel, onDone, onReload }: EditorProps<Category>) {
  const [name, setName] = useState(category?.name ?? '');
  const [description, setDescription] = useState(category?.description ?? '');
  const save = useItemSave('categories', category);
  const error = save.error;

  /** Saves the form, based on the version it was opened at, or `ifMatch` (after "Overwrite"). */
  async function submit(ifMatch?: number) {
    const input = { name, description: description.trim() ? description : null };
    const written = await save.write(
      input,
      (version, options) => (category ? writes.updateCategory(category.id, input, version, options) : writes.createCategory(input, options)),
      ifMatch,
    );
    if (written) onDone(category ? `Saved “${name}”.` : `Created “${name}”.`);
  }

  return (
    <EditorForm
      titleId="category-form-title"
      noun="category"
      name={category?.name}
      save={save}
      onSubmit={() => void submit()}
      onOverwrite={() => void submit(save.overwrite())}
      onReload={onReload}
      onCancel={onCancel}
    >
      <NameField id="category-name" value={name} onChange={setName} error={error} />
      <Field id="category-description" label="Description" field="description" error={error} hint="Optional, up to 4000 characters.">
        <textarea
          id="category-description"
          rows={3}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          {...fieldProps(error, 'description', 'category-description-hint')}
        />
      </Field>
    </EditorForm>
  );
}
