// A save refused because the video changed since it was opened (stale If-Match): the choice of
// whose changes win is the editor's.

import { useFocusOnMount } from '../ui';

export function ConflictDialog({ onReload, onOverwrite, busy }: { onReload: () => void; onOverwrite: () => void; busy: boolean }) {
  const ref = useFocusOnMount<HTMLDivElement>();
  return (
    <div
      ref={ref}
      className="adm-conflict"
      role="alertdialog"
      aria-labelledby="conflict-title"
      aria-describedby="conflict-text"
      tabIndex={-1}
    >
      <h2 id="conflict-title">Someone else changed this video</h2>
      <p id="conflict-text">
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
