// Lists edited on their own page (the catalog, plans): "New …" opens an empty form above the
// list and a row's Edit opens it filled; a save, or a row's command, refreshes the list and then
// says what happened. An edit is based on the version the row carries (If-Match): when someone
// else saved first (409), the editor chooses to reload theirs or to overwrite them with the form's.

import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useState, type ComponentType, type FormEvent, type ReactNode } from 'react';
import type { CommandOptions } from '../shared/api';
import { ErrorAlert, isApiError } from '../shared/FieldErrors';
import type { ApiError } from '../shared/problem';
import { Field, fieldProps } from './fields';
import { useListWrite } from './submission';
import { Notice, PageHeader, useFocusOnMount } from './ui';
import { ConflictDialog } from './videos/ConflictDialog';

/** What an item's form gets: the item (none for a new one), two ways to close, and a way to
 *  start again from what is saved now. */
export interface EditorProps<T> {
  item?: T;
  onCancel: () => void;
  /** Closes the form and says `message` on the page. */
  onDone: (message: string) => void;
  /** After a conflict: reads the list again and opens the form on the item as saved now, at
   *  `version` (the one the conflict reported) or later; closes the form when the list does not
   *  show that yet. The form's changes are lost. */
  onReload: (version?: number) => Promise<void>;
}

type Versioned = { id: string; version?: number };

export function useEditableList<T extends Versioned>(queryKey: string) {
  const [editing, setEditing] = useState<T | 'new'>();
  const [notice, setNotice] = useState<string>();
  const action = useListWrite(queryKey);
  const queryClient = useQueryClient();

  async function reload(id: string, version?: number) {
    setNotice(undefined);
    await queryClient.invalidateQueries({ queryKey: [queryKey] });
    const fresh = cachedItem<T>(queryClient, queryKey, id);
    if (fresh && (version === undefined || (fresh.version ?? 0) >= version)) {
      // A new version is a new form (EditableListPage keys it by id and version).
      setEditing(fresh);
      setNotice('Reloaded: the form shows the latest saved version. Your changes were not saved.');
    } else {
      setEditing(undefined);
      setNotice('Your changes were not saved. The list was read again: open the item again to edit its latest version.');
      requestAnimationFrame(() => document.getElementById('page-title')?.focus());
    }
  }

  /** A row's command (delete, deactivate…): says `done` once the list shows it. Resolves to
   *  whether it was written. */
  async function act(request: unknown, send: (options: CommandOptions) => Promise<unknown>, done: string): Promise<boolean> {
    setNotice(undefined);
    if (!(await action.write(request, send))) return false;
    setNotice(done);
    return true;
  }

  return {
    editing,
    open: (item: T | 'new') => setEditing(item),
    close: () => setEditing(undefined),
    done: (message: string) => {
      setEditing(undefined);
      setNotice(message);
    },
    notice,
    pending: action.pending,
    error: action.error,
    act,
    reload,
  };
}

/** The newest copy of item `id` in the list's cached queries (pages, or whole lists). */
function cachedItem<T extends Versioned>(queryClient: QueryClient, queryKey: string, id: string): T | undefined {
  let found: T | undefined;
  for (const [, data] of queryClient.getQueriesData<unknown>({ queryKey: [queryKey] })) {
    const items: unknown = Array.isArray(data) ? data : (data as { items?: unknown } | undefined)?.items;
    if (!Array.isArray(items)) continue;
    const item = (items as T[]).find((candidate) => candidate?.id === id);
    if (item && (!found || (item.version ?? 0) > (found.version ?? 0))) found = item;
  }
  return found;
}

/** What saving an item's form sends: a create, or an update of the item with If-Match. */
export interface ItemCommands<I> {
  create: (input: I, options: CommandOptions) => Promise<unknown>;
  update: (id: string, input: I, version: number | undefined, options: CommandOptions) => Promise<unknown>;
}

/** Saving an item's form: a create, or an update with If-Match on the version the form is based
 *  on (the row's), under one Idempotency-Key per attempt; then `onDone` with what happened. A
 *  409 for a stale version is `conflict`, for the form to offer reload or overwrite
 *  (EditorForm). */
export function useItemSave<I>(
  queryKey: string,
  item: Versioned | undefined,
  commands: ItemCommands<I>,
  onDone: (message: string) => void,
) {
  const save = useListWrite(queryKey);
  const [version, setVersion] = useState(item?.version);
  const conflict: ApiError | undefined = isApiError(save.error) && save.error.isConflict ? save.error : undefined;
  return {
    pending: save.pending,
    error: save.error,
    conflict,
    /** Sends the form's `input` (`name` for the message), with If-Match `ifMatch` (by default
     *  the version the form is based on). */
    submit: async (input: I, name: string, ifMatch: number | undefined = version): Promise<void> => {
      const written = await save.write({ id: item?.id, input, ifMatch }, (options) =>
        item ? commands.update(item.id, input, ifMatch, options) : commands.create(input, options),
      );
      if (written) onDone(item ? `Saved “${name}”.` : `Created “${name}”.`);
    },
    /** The editor chose to overwrite: the form is now based on the version the conflict
     *  reported; returns it, for resending. */
    overwrite: (): number | undefined => {
      const current = conflict?.problem.current_version ?? version;
      setVersion(current);
      return current;
    },
  };
}

type EditableList<T extends Versioned> = ReturnType<typeof useEditableList<T>>;

/** The page: its heading with "New {noun}", what happened, the form when open, then the list
 *  (`children`). */
export function EditableListPage<T extends Versioned>({ title, noun, page, form: Form, children }: {
  title: string;
  noun: string;
  page: EditableList<T>;
  form: ComponentType<EditorProps<T>>;
  children: ReactNode;
}) {
  const { editing } = page;
  return (
    <>
      <PageHeader title={title}>
        <button type="button" className="primary" onClick={() => page.open('new')}>
          {`New ${noun}`}
        </button>
      </PageHeader>
      {page.notice && <Notice>{page.notice}</Notice>}
      <ErrorAlert error={page.error} />
      {editing && (
        <Form
          key={editing === 'new' ? 'new' : `${editing.id}@${editing.version ?? ''}`}
          item={editing === 'new' ? undefined : editing}
          onCancel={page.close}
          onDone={page.done}
          onReload={(version) => (editing === 'new' ? Promise.resolve() : page.reload(editing.id, version))}
        />
      )}
      {children}
    </>
  );
}

/** A row's Edit, named after the row: a screen reader's list of buttons has one per row. */
export function EditButton({ name, onClick }: { name: string; onClick: () => void }) {
  return (
    <button type="button" onClick={onClick} aria-label={`Edit ${name}`}>
      Edit
    </button>
  );
}

/** The form of one item: "New {noun}" or "Edit “{name}”", the API's refusal (or, when someone
 *  else saved first, the choice to reload or overwrite), the fields (`children`), then Create or
 *  Save, and Cancel. */
export function EditorForm({ titleId, noun, name, save, submit: send, onReload, onCancel, children }: {
  titleId: string;
  noun: string;
  /** The item's name as saved, when the form edits one. */
  name?: string;
  /** With `overwrite` (useItemSave), a conflict offers to save this form over what is there. */
  save: { pending: boolean; error: unknown; conflict?: ApiError; overwrite?: () => number | undefined };
  /** Sends the form, with this If-Match when overwriting. */
  submit: (ifMatch?: number) => Promise<void>;
  /** After a conflict: drop this form's changes for what is saved now. */
  onReload?: (version?: number) => Promise<void>;
  onCancel: () => void;
  children: ReactNode;
}) {
  const editing = name !== undefined;
  const [reloading, setReloading] = useState(false);
  const conflict = save.overwrite && onReload ? save.conflict : undefined;

  async function reload(version?: number) {
    setReloading(true);
    try {
      await onReload?.(version);
    } finally {
      setReloading(false);
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    void send();
  }

  return (
    <form className="adm-panel" aria-labelledby={titleId} onSubmit={submit} noValidate>
      <h2 id={titleId}>{editing ? `Edit “${name}”` : `New ${noun}`}</h2>
      {conflict ? (
        <ConflictDialog
          noun={noun}
          busy={save.pending || reloading}
          onReload={() => void reload(conflict.problem.current_version ?? undefined)}
          onOverwrite={() => void send(save.overwrite?.())}
        />
      ) : (
        <ErrorAlert error={save.error} />
      )}
      {children}
      <FormActions label={editing ? `Save ${noun}` : `Create ${noun}`} pending={save.pending} onCancel={onCancel} />
    </form>
  );
}

/** An optional description, in a textarea. */
export function DescriptionField({ id, value, onChange, error, rows, hint }: {
  id: string;
  value: string;
  onChange: (description: string) => void;
  error: unknown;
  rows: number;
  hint: string;
}) {
  return (
    <Field id={id} label="Description" field="description" error={error} hint={hint}>
      <textarea id={id} rows={rows} value={value} onChange={(e) => onChange(e.target.value)} {...fieldProps(error, 'description', `${id}-hint`)} />
    </Field>
  );
}

/** The item's name: the form's first field, focused when the form opens. */
export function NameField({ id, value, onChange, error }: { id: string; value: string; onChange: (name: string) => void; error: unknown }) {
  const input = useFocusOnMount<HTMLInputElement>();
  return (
    <Field id={id} label="Name" field="name" error={error}>
      <input id={id} ref={input} value={value} onChange={(e) => onChange(e.target.value)} required {...fieldProps(error, 'name')} />
    </Field>
  );
}

/** A form's submit button, which says "Saving…" while it does, and Cancel. */
export function FormActions({ label, pending, onCancel }: { label: string; pending: boolean; onCancel: () => void }) {
  return (
    <div className="adm-form-actions">
      <button type="submit" className="primary" disabled={pending}>
        {pending ? 'Saving…' : label}
      </button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}
