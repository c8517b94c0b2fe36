// The console's lists: a page of items from the API as a table with Previous / Next, and the
// toolbar of filters that the API applies.

import { keepPreviousData, useQuery, type UseQueryResult } from '@tanstack/react-query';
import { useId, useState, type FormEvent, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from 'react';
import type { Page } from '../shared/types';
import type { ListParams } from './listParams';
import { LoadError, Loading, Pager, TableRegion } from './ui';

/** One page of a list. The page shown stays while the next one loads, so paging does not flash
 *  "Loading" over the table. */
export function useListPage<P extends Page<unknown>>(queryKey: readonly unknown[], read: () => Promise<P>) {
  return useQuery({ queryKey, queryFn: read, placeholderData: keepPreviousData });
}

export interface Column<T> {
  /** Also the key of the column's cells: one header per table. */
  header: string;
  cell: (item: T) => ReactNode;
  className?: string;
}

export function PagedTable<T extends { id: string }>({ query, list, label, columns, rows, empty, noneShown }: {
  query: UseQueryResult<Page<T>>;
  list: ListParams;
  /** Names the table; in lower case, what is loading. */
  label: string;
  columns: Column<T>[];
  /** The items of the page to show, when the page leaves some out itself. */
  rows?: T[];
  /** Said when the API answered no items… */
  empty: string;
  /** …and when it did but `rows` leaves them all out. */
  noneShown?: string;
}) {
  if (query.isPending) return <Loading what={label.toLowerCase()} />;
  if (query.isError) return <LoadError error={query.error} retry={() => void query.refetch()} />;
  const page = query.data;
  const shown = rows ?? page.items;
  return (
    <>
      <TableRegion label={label}>
        <table>
          <thead>
            <tr>
              {columns.map((column) => (
                <th key={column.header} scope="col">
                  {column.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((item) => (
              <tr key={item.id}>
                {columns.map((column) => (
                  <td key={column.header} className={column.className}>
                    {column.cell(item)}
                  </td>
                ))}
              </tr>
            ))}
            {shown.length === 0 && (
              <tr>
                <td colSpan={columns.length} className="cf-muted">
                  {page.items.length === 0 ? empty : noneShown}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </TableRegion>
      <Pager list={list} nextCursor={page.next_cursor} busy={query.isFetching} />
    </>
  );
}

/** A filter control's value in the toolbar's form, and how it changes. */
interface FilterBinding {
  value: string;
  onChange: (event: { target: { value: string } }) => void;
}

interface FilterToolbarProps<N extends string> {
  list: ListParams;
  /** The URL parameters the toolbar edits. */
  names: readonly N[];
  label: string;
  applyLabel?: string;
  clearable?: boolean;
  /** The controls; `field(name, shownWhenEmpty)` binds one to a parameter. */
  children: (field: (name: N, shownWhenEmpty?: string) => FilterBinding) => ReactNode;
}

/** Filters the API applies: edited in the form, and only on submit written to the URL, which is
 *  what the list's query reads. */
export function FilterToolbar<N extends string>(props: FilterToolbarProps<N>) {
  // The form starts over when the URL's filters change (back button, a link).
  return <FilterForm key={props.names.map((name) => props.list.get(name)).join('|')} {...props} />;
}

function FilterForm<N extends string>({ list, names, label, applyLabel = 'Apply filters', clearable = true, children }: FilterToolbarProps<N>) {
  const [values, setValues] = useState(() => Object.fromEntries(names.map((name) => [name, list.get(name)])) as Record<N, string>);
  const field = (name: N, shownWhenEmpty = ''): FilterBinding => ({
    value: values[name] || shownWhenEmpty,
    onChange: (event) => setValues({ ...values, [name]: event.target.value }),
  });

  function apply(event: FormEvent) {
    event.preventDefault();
    // Blanks typed around a text go; chosen values have none.
    list.setFilters(Object.fromEntries(names.map((name) => [name, values[name].trim()])));
  }

  return (
    <form className="adm-toolbar" role="search" aria-label={label} onSubmit={apply}>
      {children(field)}
      <div className="adm-toolbar-actions">
        <button type="submit" className="primary">
          {applyLabel}
        </button>
        {clearable && (
          <button type="button" onClick={() => list.setFilters(Object.fromEntries(names.map((name) => [name, undefined])))}>
            Clear filters
          </button>
        )}
      </div>
    </form>
  );
}

const filterClass = (narrow?: boolean, wide?: boolean) =>
  ['adm-filter', narrow && 'adm-filter-narrow', wide && 'adm-filter-wide'].filter(Boolean).join(' ');

export function TextFilter({ label, narrow, wide, ...input }: {
  label: string;
  narrow?: boolean;
  wide?: boolean;
} & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  return (
    <div className={filterClass(narrow, wide)}>
      <label htmlFor={id}>{label}</label>
      <input id={id} {...input} />
    </div>
  );
}

/** A choice shown as its own value, or with a label. */
type Choice = string | { value: string; label: string };

/** Newest or oldest first: the sorts every list the API filters offers. */
export const CREATION_ORDERS = [
  { value: '-created_at', label: 'Newest first' },
  { value: 'created_at', label: 'Oldest first' },
];

export function SelectFilter({ label, narrow, any, options, ...select }: {
  label: string;
  narrow?: boolean;
  /** Offers "Any" (no filter) first. */
  any?: boolean;
  options: readonly Choice[];
} & SelectHTMLAttributes<HTMLSelectElement>) {
  const id = useId();
  return (
    <div className={filterClass(narrow)}>
      <label htmlFor={id}>{label}</label>
      <select id={id} {...select}>
        {any && <option value="">Any</option>}
        {options.map((choice) => {
          const { value, label: text } = typeof choice === 'string' ? { value: choice, label: choice } : choice;
          return (
            <option key={value} value={value}>
              {text}
            </option>
          );
        })}
      </select>
    </div>
  );
}
