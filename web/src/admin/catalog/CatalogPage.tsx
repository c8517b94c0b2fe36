// Categories, genres and cast members are one kind of page: every item, active or not, by name
// a page at a time, found by the start of its name (the query API's admin lists); create, edit
// and delete, and where the API can, deactivate and activate again.

import type { ComponentType, ReactNode } from 'react';
import type { AdminListParams, CommandOptions } from '../../shared/api';
import type { Page } from '../../shared/types';
import { EditButton, EditableListPage, useEditableList, type EditorProps } from '../editing';
import { useListParams, type ListParams } from '../listParams';
import { FilterToolbar, PagedTable, SelectFilter, TextFilter, useListPage, type Column } from '../lists';
import { Badge, ConfirmButton } from '../ui';

const PAGE_SIZE = 50;
const ORDERS = [
  { value: 'name', label: 'Name A–Z' },
  { value: '-name', label: 'Name Z–A' },
];
const FILTERS = ['q', 'sort'] as const;

export function CatalogPage<T extends { id: string; name: string; active?: boolean }>({
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
  read: (params: AdminListParams) => Promise<Page<T>>;
  remove: (id: string, options: CommandOptions) => Promise<unknown>;
  /** Where the API deactivates (categories, genres): rows show their state, and Deactivate or
   *  Activate. */
  setActive?: (id: string, active: boolean, options: CommandOptions) => Promise<unknown>;
  /** The columns between Name and Actions. */
  columns: Column<T>[];
  form: ComponentType<EditorProps<T>>;
  /** Filters of the page shown (the API has none for them), and which items they keep. */
  filters?: (list: ListParams) => ReactNode;
  matches?: (item: T, list: ListParams) => boolean;
}) {
  const plural = title.toLowerCase();
  const list = useListParams();
  const params: AdminListParams = {
    q: list.get('q') || undefined,
    sort: list.get('sort') || undefined,
    cursor: list.cursor,
    limit: PAGE_SIZE,
  };
  const query = useListPage([queryKey, 'admin', params], () => read(params));
  const items = query.data?.items ?? [];
  const rows = matches ? items.filter((item) => matches(item, list)) : items;
  const page = useEditableList<T>(queryKey);
  const changeActive =
    setActive &&
    ((item: T, active: boolean) =>
      void page.act(
        { what: active ? 'activate' : 'deactivate', id: item.id },
        (o) => setActive(item.id, active, o),
        active ? `Activated “${item.name}”.` : `Deactivated “${item.name}”.`,
      ));

  const state: Column<T>[] = setActive
    ? [{ header: 'State', cell: (item) => <Badge tone={item.active ? 'ok' : undefined}>{item.active ? 'Active' : 'Inactive'}</Badge> }]
    : [];
  const actions: Column<T> = {
    header: 'Actions',
    className: 'adm-row-actions',
    cell: (item) => (
      <>
        <EditButton name={item.name} onClick={() => page.open(item)} />
        {changeActive && item.active && (
          <ConfirmButton
            label="Deactivate"
            name={`Deactivate ${item.name}`}
            danger={false}
            question={`Deactivate “${item.name}”? Nothing new may refer to it.`}
            confirmLabel="Deactivate"
            pending={page.pending}
            onConfirm={() => changeActive(item, false)}
          />
        )}
        {changeActive && !item.active && (
          <button type="button" aria-label={`Activate ${item.name}`} disabled={page.pending} onClick={() => changeActive(item, true)}>
            Activate
          </button>
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

  return (
    <EditableListPage title={title} noun={noun} page={page} form={form}>
      <FilterToolbar list={list} names={FILTERS} label={`Find ${plural}`} applyLabel="Find">
        {(field) => (
          <>
            <TextFilter label="Name starts with" type="search" {...field('q')} />
            <SelectFilter label="Order" narrow options={ORDERS} {...field('sort', 'name')} />
          </>
        )}
      </FilterToolbar>
      {params.q && <p className="adm-hint">Names starting with “{params.q}”, A–Z.</p>}
      {filters?.(list)}
      <PagedTable
        query={query}
        list={list}
        label={title}
        columns={[{ header: 'Name', cell: (item) => item.name }, ...state, ...columns, actions]}
        rows={rows}
        empty={params.q ? `No ${noun} name starts with “${params.q}”.` : `No ${plural} yet.`}
        noneShown={`No ${noun} on this page matches the filter.`}
      />
    </EditableListPage>
  );
}
