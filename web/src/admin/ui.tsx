// Small building blocks every console page uses.

import { useEffect, useRef, useState, type ReactNode } from 'react';
import { ErrorAlert } from '../shared/FieldErrors';
import type { ListParams } from './listParams';

/** The page's heading (the only h1) and its title in the tab. */
export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Codeflix console`;
  }, [title]);
  return (
    <div className="adm-page-header">
      <h1 id="page-title" tabIndex={-1}>
        {title}
      </h1>
      {children && <div className="adm-actions">{children}</div>}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="adm-loading" role="status">
      Loading {what}…
    </p>
  );
}

/** A read that failed, with a way to try again. */
export function LoadError({ error, retry }: { error: unknown; retry: () => void }) {
  return (
    <div className="adm-load-error">
      <ErrorAlert error={error} />
      <button type="button" onClick={retry}>
        Try again
      </button>
    </div>
  );
}

export type Tone = 'ok' | 'warn' | 'danger' | 'info' | undefined;

export function Badge({ tone, children }: { tone?: Tone; children: ReactNode }) {
  return <span className={`cf-badge${tone ? ` ${tone}` : ''}`}>{children}</span>;
}

/** A wide table that scrolls sideways on a phone; focusable so keyboards can scroll it too. */
export function TableRegion({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="adm-table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

/** Previous / Next over cursor pages. */
export function Pager({ list, nextCursor, busy }: { list: ListParams; nextCursor?: string | null; busy?: boolean }) {
  return (
    <nav className="adm-pager" aria-label="Pages">
      <button type="button" onClick={list.previousPage} disabled={!list.hasPrevious || busy}>
        Previous page
      </button>
      <span aria-live="polite">Page {list.page}</span>
      <button type="button" onClick={() => nextCursor && list.nextPage(nextCursor)} disabled={!nextCursor || busy}>
        Next page
      </button>
    </nav>
  );
}

/** A button that asks first: the question replaces it, with the confirming button focused.
 *  Answering puts focus back where it can stay: on the button after Cancel; after confirming
 *  (the button is busy, and its row may go), on the table it is in, else the page's heading. */
export function ConfirmButton({
  label,
  name,
  question,
  confirmLabel,
  onConfirm,
  pending,
  danger = true,
}: {
  label: string;
  /** The button's accessible name when the label alone is ambiguous (a row's "Delete"). */
  name?: string;
  question: string;
  confirmLabel: string;
  onConfirm: () => void;
  pending?: boolean;
  danger?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const confirm = useRef<HTMLButtonElement>(null);
  const trigger = useRef<HTMLButtonElement>(null);
  // Where focus goes once the question is answered (its buttons leave with it).
  const after = useRef<'trigger' | HTMLElement | null>(null);
  useEffect(() => {
    if (asking) {
      confirm.current?.focus();
      return;
    }
    const target = after.current;
    after.current = null;
    if (!target) return;
    if (target === 'trigger') trigger.current?.focus();
    else if (target.isConnected) target.focus();
  }, [asking]);

  function answer(confirmed: boolean) {
    after.current = confirmed
      ? (confirm.current?.closest<HTMLElement>('[role="region"][tabindex]') ?? document.getElementById('page-title'))
      : 'trigger';
    setAsking(false);
    if (confirmed) onConfirm();
  }

  if (!asking) {
    return (
      <button
        ref={trigger}
        type="button"
        className={danger ? 'danger' : undefined}
        aria-label={name}
        onClick={() => setAsking(true)}
        disabled={pending}
      >
        {label}
      </button>
    );
  }
  return (
    <span className="adm-confirm" role="group" aria-label={question}>
      <span>{question}</span>
      <button
        ref={confirm}
        type="button"
        className={danger ? 'danger' : 'primary'}
        disabled={pending}
        onClick={() => answer(true)}
      >
        {confirmLabel}
      </button>
      <button type="button" onClick={() => answer(false)}>
        Cancel
      </button>
    </span>
  );
}

/** A short message after something worked. */
export function Notice({ children }: { children: ReactNode }) {
  return (
    <div className="cf-alert ok" role="status">
      {children}
    </div>
  );
}

/** Moves focus to an element when it appears (a form opened by a button). */
export function useFocusOnMount<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return ref;
}
