// Editing a video: its fields with If-Match on the version the edit started from, then each
// link changed (PUT/DELETE per category, genre, cast member). A stale version asks the editor
// to reload or overwrite. Steps that went through are remembered, so a retry after an error
// sends only what is still left, under the same Idempotency-Key.

import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { writes } from '../../shared/api';
import { isApiError } from '../../shared/FieldErrors';
import type { ApiError } from '../../shared/problem';
import type { AdminVideo } from '../../shared/types';
import { useIdempotencyKey } from '../submission';
import { Notice } from '../ui';
import { ConflictDialog } from './ConflictDialog';
import { draftOf, inputOf, LINKS, sameDraft, sameFields, type VideoDraft } from './draft';
import { VideoForm } from './VideoForm';

interface Base {
  /** The version the form's changes are based on (sent as If-Match). */
  version: number;
  /** What the server has, as far as this form knows. */
  draft: VideoDraft;
}

export function VideoEditor({ video, reload }: { video: AdminVideo; reload: () => Promise<AdminVideo | undefined> }) {
  const [base, setBase] = useState<Base>(() => ({ version: video.version, draft: draftOf(video) }));
  const [draft, setDraft] = useState<VideoDraft>(base.draft);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>();
  const [conflict, setConflict] = useState<ApiError>();
  const [notice, setNotice] = useState<string>();
  const keys = useIdempotencyKey();
  const queryClient = useQueryClient();
  const dirty = !sameDraft(draft, base.draft);

  // A form nobody is editing follows the server (encoding moves the version on); one being
  // edited keeps the version its changes are based on, so If-Match catches a lost update. Runs
  // on new server data only; `dirty` and `base` are read as of that render.
  useEffect(() => {
    if (!dirty && video.version > base.version) {
      const next = { version: video.version, draft: draftOf(video) };
      setBase(next);
      setDraft(next.draft);
    }
  }, [video]);

  async function save(ifMatch: number) {
    if (pending) return;
    setPending(true);
    setError(undefined);
    setConflict(undefined);
    setNotice(undefined);
    const idempotencyKey = keys.keyFor({ draft, ifMatch });
    let current = base;
    const advance = (next: Base) => {
      current = next;
      setBase(next);
    };
    try {
      if (!sameFields(draft, current.draft)) {
        const written = await writes.updateVideo(video.id, inputOf(draft), ifMatch, { idempotencyKey });
        const links = { categories: current.draft.categories, genres: current.draft.genres, cast_members: current.draft.cast_members };
        advance({ version: written.version, draft: { ...draft, ...links } });
      }
      for (const { field, path } of LINKS) {
        const wanted = draft[field];
        const linked = current.draft[field];
        for (const other of wanted.filter((id) => !linked.includes(id))) {
          const written = await writes.linkVideo(video.id, path, other, true, { idempotencyKey });
          advance({ version: written.version, draft: { ...current.draft, [field]: [...current.draft[field], other] } });
        }
        for (const other of linked.filter((id) => !wanted.includes(id))) {
          const written = await writes.linkVideo(video.id, path, other, false, { idempotencyKey });
          advance({ version: written.version, draft: { ...current.draft, [field]: current.draft[field].filter((id) => id !== other) } });
        }
      }
      keys.done();
      setNotice('Saved.');
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: ['admin-video', video.id] }),
        queryClient.invalidateQueries({ queryKey: ['admin-videos'] }),
      ]);
    } catch (e) {
      if (isApiError(e) && e.isConflict) setConflict(e);
      else setError(e);
    } finally {
      setPending(false);
    }
  }

  async function reloadFromServer() {
    setPending(true);
    try {
      const fresh = await reload();
      if (fresh) {
        const next = { version: fresh.version, draft: draftOf(fresh) };
        setBase(next);
        setDraft(next.draft);
        setConflict(undefined);
        setError(undefined);
      }
    } catch (e) {
      setError(e);
    } finally {
      setPending(false);
    }
  }

  return (
    <section className="adm-section" aria-labelledby="details-title">
      <h2 id="details-title">Details</h2>
      {notice && !dirty && <Notice>{notice}</Notice>}
      {conflict && (
        <ConflictDialog
          busy={pending}
          onReload={() => void reloadFromServer()}
          onOverwrite={() => void save(conflict.problem.current_version ?? base.version)}
        />
      )}
      <VideoForm
        value={draft}
        onChange={setDraft}
        error={error}
        busy={pending}
        submitLabel={pending ? 'Saving…' : 'Save changes'}
        onSubmit={() => void save(base.version)}
        video={video}
      >
        <p className="adm-hint" aria-live="polite">
          {dirty ? 'You have unsaved changes.' : 'No unsaved changes.'} Version {base.version}.
        </p>
      </VideoForm>
    </section>
  );
}
