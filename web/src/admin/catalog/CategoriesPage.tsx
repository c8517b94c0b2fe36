// Categories, active or not, by name a page at a time; create, edit, deactivate and activate,
// delete.

import { useState } from 'react';
import { reads, writes } from '../../shared/api';
import type { Category } from '../../shared/types';
import { DescriptionField, EditorForm, NameField, useItemSave, type EditorProps } from '../editing';
import { CatalogPage } from './CatalogPage';

export default function CategoriesPage() {
  return (
    <CatalogPage<Category>
      title="Categories"
      noun="category"
      queryKey="categories"
      read={reads.admin.categories}
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
  const save = useItemSave('categories', category, { create: writes.createCategory, update: writes.updateCategory }, onDone);
  const error = save.error;

  return (
    <EditorForm
      titleId="category-form-title"
      noun="category"
      name={category?.name}
      save={save}
      submit={(ifMatch) => save.submit({ name, description: description.trim() ? description : null }, name, ifMatch)}
      onReload={onReload}
      onCancel={onCancel}
    >
      <NameField id="category-name" value={name} onChange={setName} error={error} />
      <DescriptionField id="category-description" value={description} onChange={setDescription} error={error} rows={3} hint="Optional, up to 4000 characters." />
    </EditorForm>
  );
}
