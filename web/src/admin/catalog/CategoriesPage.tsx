// Categories: the active ones by name, a page at a time; create, edit, deactivate, delete.

import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { reads, writes } from '../../shared/api';
import { ErrorAlert } from '../../shared/FieldErrors';
import type { Category } from '../../shared/types';
import { Field, fieldProps } from '../fields';
import { useListParams } from '../listParams';
import { useSubmission } from '../submission';
import { ConfirmButton, LoadError, Loading, Notice, PageHeader, Pager, TableRegion, useFocusOnMount } from '../ui';
import { LocalToolbar, useLocalView } from './LocalView';

const PAGE_SIZE = 50;

export default function CategoriesPage() {
  const list = useListParams();
  const queryClient = useQueryClient();
  const query = useQuery({
    queryKey: ['categories', 'page', list.cursor],
    queryFn: () => reads.categories(list.cursor, PAGE_SIZE),
    placeholderData: keepPreviousData,
  });
  const rows = useLocalView(query.data?.items ?? [], list, (c) => c.name);
  const [editing, setEditing] = useState<Category | 'new'>();
  const [notice, setNotice] = useState<string>();
  // Deactivated categories leave the list (the API lists active ones only): keep them here so
  // that the deactivation can be undone.
  const [deactivated, setDeactivated] = useState<Category[]>([]);
  const action = useSubmission();

  async function act(what: string, category: Category, send: Parameters<typeof action.run>[1], done: string): Promise<boolean> {
    setNotice(undefined);
    const written = await action.run({ what, id: category.id }, send);
    if (written === undefined) return false;
    await queryClient.invalidateQueries({ queryKey: ['categories'] });
    setNotice(done);
    return true;
  }

  return (
    <>
      <PageHeader title="Categories">
        <button type="button" className="primary" onClick={() => setEditing('new')}>
          New category
        </button>
      </PageHeader>
      {notice && <Notice>{notice}</Notice>}
      <ErrorAlert error={action.error} />
      {deactivated.length > 0 && (
        <div className="cf-alert info">
          <p>Deactivated here (the list shows active categories only):</p>
          <ul className="adm-inline-list">
            {deactivated.map((c) => (
              <li key={c.id}>
                {c.name}{' '}
                <button
                  type="button"
                  disabled={action.pending}
                  onClick={() =>
                    act('activate', c, (o) => writes.setCategoryActive(c.id, true, o), `Activated “${c.name}”.`).then(
                      (ok) => ok && setDeactivated((all) => all.filter((other) => other.id !== c.id)),
                    )
                  }
                >
                  Activate “{c.name}” again
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      {editing && (
        <CategoryForm
          key={editing === 'new' ? 'new' : editing.id}
          category={editing === 'new' ? undefined : editing}
          onCancel={() => setEditing(undefined)}
          onDone={(message) => {
            setEditing(undefined);
            setNotice(message);
          }}
        />
      )}
      <LocalToolbar list={list} noun="categories" />
      {query.isPending ? (
        <Loading what="categories" />
      ) : query.isError ? (
        <LoadError error={query.error} retry={() => void query.refetch()} />
      ) : (
        <>
          <TableRegion label="Categories">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Description</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((category) => (
                  <tr key={category.id}>
                    <td>{category.name}</td>
                    <td className="adm-wrap">{category.description || <span className="cf-muted">—</span>}</td>
                    <td className="adm-row-actions">
                      <button type="button" onClick={() => setEditing(category)} aria-label={`Edit ${category.name}`}>
                        Edit
                      </button>
                      <ConfirmButton
                        label="Deactivate"
                        name={`Deactivate ${category.name}`}
                        danger={false}
                        question={`Deactivate “${category.name}”? Nothing new may refer to it.`}
                        confirmLabel="Deactivate"
                        pending={action.pending}
                        onConfirm={() =>
                          act('deactivate', category, (o) => writes.setCategoryActive(category.id, false, o), `Deactivated “${category.name}”.`).then(
                            (ok) => ok && setDeactivated((all) => [...all.filter((c) => c.id !== category.id), category]),
                          )
                        }
                      />
                      <ConfirmButton
                        label="Delete"
                        name={`Delete ${category.name}`}
                        question={`Delete “${category.name}”?`}
                        confirmLabel="Delete"
                        pending={action.pending}
                        onConfirm={() => act('delete', category, (o) => writes.deleteCategory(category.id, o), `Deleted “${category.name}”.`)}
                      />
                    </td>
                  </tr>
                ))}
                {rows.length === 0 && (
                  <tr>
                    <td colSpan={3} className="cf-muted">
                      {query.data.items.length === 0 ? 'No categories yet.' : 'No category on this page matches the filter.'}
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

function CategoryForm({ category, onCancel, onDone }: {
  category?: Category;
  onCancel: () => void;
  onDone: (message: string) => void;
}) {
  const [name, setName] = useState(category?.name ?? '');
  const [description, setDescription] = useState(category?.description ?? '');
  const submission = useSubmission();
  const queryClient = useQueryClient();
  const first = useFocusOnMount<HTMLInputElement>();
  const error = submission.error;

  async function submit(event: FormEvent) {
    event.preventDefault();
    const input = { name, description: description.trim() ? description : null };
    const written = await submission.run({ id: category?.id, input }, (options) =>
      category ? writes.updateCategory(category.id, input, category.version, options) : writes.createCategory(input, options),
    );
    if (written === undefined) return;
    await queryClient.invalidateQueries({ queryKey: ['categories'] });
    onDone(category ? `Saved “${name}”.` : `Created “${name}”.`);
  }

  return (
    <form className="adm-panel" aria-labelledby="category-form-title" onSubmit={submit} noValidate>
      <h2 id="category-form-title">{category ? `Edit “${category.name}”` : 'New category'}</h2>
      <ErrorAlert error={error} />
      <Field id="category-name" label="Name" field="name" error={error}>
        <input id="category-name" ref={first} value={name} onChange={(e) => setName(e.target.value)} required {...fieldProps(error, 'name')} />
      </Field>
      <Field id="category-description" label="Description" field="description" error={error} hint="Optional, up to 4000 characters.">
        <textarea
          id="category-description"
          rows={3}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          {...fieldProps(error, 'description', 'category-description-hint')}
        />
      </Field>
      <div className="adm-form-actions">
        <button type="submit" className="primary" disabled={submission.pending}>
          {submission.pending ? 'Saving…' : category ? 'Save category' : 'Create category'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
