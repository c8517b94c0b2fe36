// A new video: its fields and links in one request; its media are uploaded on its page next.

import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { writes } from '../../shared/api';
import { useSubmission } from '../submission';
import { PageHeader } from '../ui';
import { draftOf, inputOf } from './draft';
import { VideoForm } from './VideoForm';

export default function NewVideoPage() {
  const [draft, setDraft] = useState(draftOf);
  const submission = useSubmission();
  const queryClient = useQueryClient();
  const navigate = useNavigate();

  async function create() {
    const input = { ...inputOf(draft), categories: draft.categories, genres: draft.genres, cast_members: draft.cast_members };
    const written = await submission.run(input, (options) => writes.createVideo(input, options));
    if (written === undefined) return;
    await queryClient.invalidateQueries({ queryKey: ['admin-videos'] });
    navigate(`/videos/${encodeURIComponent(written.id)}`, { state: { created: true } });
  }

  return (
    <>
      <p className="adm-breadcrumb">
        <Link to="/videos">Videos</Link> / New
      </p>
      <PageHeader title="New video" />
      <p className="cf-muted">The video starts as a draft. Once it exists, upload its files on its page, then publish it.</p>
      <VideoForm
        value={draft}
        onChange={setDraft}
        error={submission.error}
        busy={submission.pending}
        submitLabel={submission.pending ? 'Creating…' : 'Create video'}
        onSubmit={() => void create()}
      />
    </>
  );
}
