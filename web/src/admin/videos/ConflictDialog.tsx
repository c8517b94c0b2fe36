// A save refused because the item changed since it was opened (stale If-Match): the choice of
// whose changes win is the editor's. The video editor and the catalog's forms use it.

import { useId } from 'react';
import { useFocusOnMount } from '../ui';

export function ConflictDialog({ onReload, onOverwrite, busy, noun = 'video' }: {
  onReload: () => void;
  onOverwrite: () => void;
  busy: boolean;
  /** What changed: "video", "category"… */
  noun?: string;
}) {
  const ref = useFocusOnMount<HTMLDivElement>();
  const id = useId();
  return (
    <div
      ref={ref}
      className="adm-conflict"
      role="alertdialog"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-text`}
      tabIndex={-1}
    >
      <h2 id={`${id}-title`}>Someone else changed this {noun}</h2>
      <p id={`${id}-text`}>
        It was changed after you opened it, so your save was not applied. Reload to see theirs (your changes here are
        lost), or overwrite to save yours over theirs.
      </p>
      <div className="adm-form-actions">
        <button type="button" onClick={onReload} disabled={busy}>
          Reload (lose your changes)
        </button>
        <button type="button" className="danger" onClick={onOverwrite} disabled={busy}>
          Overwrite (save yours over theirs)
        </button>
      </div>
    </div>
  );
}
