// Categories, genres and cast members are one kind of page: the active items by name, a page at
// a time, filtered and ordered within the page shown; create, edit and delete, and where the API
// can, deactivate and activate again.

import { useState, type ComponentType, type ReactNode } from 'react';
import type { CommandOptions } from '../../shared/api';
import type { Page } from '../../shared/types';
import { EditButton, EditableListPage, useEditableList, type EditorProps } from '../editing';
import { useListParams, type ListParams } from '../listParams';
import { PagedTable, useListPage, type Column } from '../lists';
import { ConfirmButton } from '../ui';
import { LocalToolbar, useLocalView } from './LocalView';

const PAGE_SIZE = 50;

export function CatalogPage<T extends { id: string; name: string }>({
  title,
  noun,
  queryKey,
  read,
  remove,
  setActive,
  columns,
  form,
  filters,
  matches,
}: {
  /** "Cast members": the heading and the table's name; in lower case, the items in sentences. */
  title: string;
  /** "cast member": one item, on the buttons and in the messages. */
  noun: string;
  /** Where the items' queries are cached: refreshed after every change. */
  queryKey: string;
  read: (cursor: string | undefined, limit: number) => Promise<Page<T>>;
  remove: (id: string, options: CommandOptions) => Promise<unknown>;
  /** Where the API deactivates (categories, genres): rows get Deactivate. */
  setActive?: (id: string, active: boolean, options: CommandOptions) => Promise<unknown>;
  /** The columns between Name and Actions. */
  columns: Column<T>[];
  form: ComponentType<EditorProps<T>>;
  /** More filters of the page shown, and which items they keep. */
  filters?: (list: ListParams) => ReactNode;
  matches?: (item: T, list: ListParams) => boolean;
}) {
  const plural = title.toLowerCase();
  const list = useListParams();
  const query = useListPage([queryKey, 'page', list.cursor], () => read(list.cursor, PAGE_SIZE));
  const rows = useLocalView(query.data?.items ?? [], list, (item) => item.name, matches && ((item) => matches(item, list)));
  const page = useEditableList<T>(queryKey);
  // Deactivated items leave the list (the API lists active ones only): they are kept here so
  // that the deactivation can be undone.
  const [deactivated, setDeactivated] = useState<T[]>([]);
  const changeActive =
    setActive &&
    (async (item: T, active: boolean) => {
      const done = active ? `Activated “${item.name}”.` : `Deactivated “${item.name}”.`;
      const what = active ? 'activate' : 'deactivate';
      if (!(await page.act({ what, id: item.id }, (o) => setActive(item.id, active, o), done))) return;
      setDeactivated((all) => {
        const others = all.filter((other) => other.id !== item.id);
        return active ? others : [...others, item];
      });
    });

  const actions: Column<T> = {
    header: 'Actions',
    className: 'adm-row-actions',
    cell: (item) => (
      <>
        <EditButton name={item.name} onClick={() => page.open(item)} />
        {changeActive && (
          <ConfirmButton
            label="Deactivate"
            name={`Deactivate ${item.name}`}
            danger={false}
            question={`Deactivate “${item.name}”? Nothing new may refer to it.`}
            confirmLabel="Deactivate"
            pending={page.pending}
            onConfirm={() => void changeActive(item, false)}
          />
        )}
        <ConfirmButton
          label="Delete"
          name={`Delete ${item.name}`}
          question={`Delete “${item.name}”?`}
          confirmLabel="Delete"
          pending={page.pending}
          onConfirm={() => void page.act({ what: 'delete', id: item.id }, (o) => remove(item.id, o), `Deleted “${item.name}”.`)}
        />
      </>
    ),
  };

  const status = changeActive && deactivated.length > 0 && (
    <div className="cf-alert info">
      <p>Deactivated here (the list shows active {plural} only):</p>
      <ul className="adm-inline-list">
        {deactivated.map((item) => (
          <li key={item.id}>
            {item.name}{' '}
            <button type="button" disabled={page.pending} onClick={() => void changeActive(item, true)}>
              Activate “{item.name}” again
            </button>
          </li>
        ))}
      </ul>
    </div>
  );

  return (
    <EditableListPage title={title} noun={noun} page={page} form={form} status={status}>
      <LocalToolbar list={list} noun={plural}>
        {filters?.(list)}
      </LocalToolbar>
      <PagedTable
        query={query}
        list={list}
        label={title}
        columns={[{ header: 'Name', cell: (item) => item.name }, ...columns, actions]}
        rows={rows}
        empty={`No ${plural} yet.`}
        noneShown={`No ${noun} on this page matches the filter.`}
      />
    </EditableListPage>
  );
}
