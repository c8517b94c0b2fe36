// Lists edited on their own page (the catalog, plans): "New …" opens an empty form above the
// list and a row's Edit opens it filled; a save, or a row's command, refreshes the list and then
// says what happened.

import { useState, type ComponentType, type FormEvent, type ReactNode } from 'react';
import type { CommandOptions } from '../shared/api';
import { ErrorAlert } from '../shared/FieldErrors';
import { Field, fieldProps } from './fields';
import { useListWrite } from './submission';
import { Notice, PageHeader, useFocusOnMount } from './ui';

/** What an item's form gets: the item (none for a new one), and two ways to close. */
export interface EditorProps<T> {
  item?: T;
  onCancel: () => void;
  /** Closes the form and says `message` on the page. */
  onDone: (message: string) => void;
}

export function useEditableList<T>(queryKey: string) {
  const [editing, setEditing] = useState<T | 'new'>();
  const [notice, setNotice] = useState<string>();
  const action = useListWrite(queryKey);

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
  };
}

type EditableList<T> = ReturnType<typeof useEditableList<T>>;

/** The page: its heading with "New {noun}", what happened, the form when open, then the list
 *  (`children`). */
export function EditableListPage<T extends { id: string }>({ title, noun, page, form: Form, status, children }: {
  title: string;
  noun: string;
  page: EditableList<T>;
  form: ComponentType<EditorProps<T>>;
  /** More of what the page has done, under its messages (the catalog's deactivated items). */
  status?: ReactNode;
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
      {status}
      {editing && (
        <Form
          key={editing === 'new' ? 'new' : editing.id}
          item={editing === 'new' ? undefined : editing}
          onCancel={page.close}
          onDone={page.done}
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

/** The form of one item: "New {noun}" or "Edit “{name}”", the API's refusal, the fields
 *  (`children`), then Create or Save, and Cancel. */
export function EditorForm({ titleId, noun, name, save, onSubmit, onCancel, children }: {
  titleId: string;
  noun: string;
  /** The item's name as saved, when the form edits one. */
  name?: string;
  save: { pending: boolean; error: unknown };
  onSubmit: () => void;
  onCancel: () => void;
  children: ReactNode;
}) {
  const editing = name !== undefined;

  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit();
  }

  return (
    <form className="adm-panel" aria-labelledby={titleId} onSubmit={submit} noValidate>
      <h2 id={titleId}>{editing ? `Edit “${name}”` : `New ${noun}`}</h2>
      <ErrorAlert error={save.error} />
      {children}
      <FormActions label={editing ? `Save ${noun}` : `Create ${noun}`} pending={save.pending} onCancel={onCancel} />
    </form>
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
