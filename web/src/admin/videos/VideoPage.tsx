// One video: its details (edit), its media (upload, encoding status, polled while encoding),
// publish / unpublish, delete, and its history.

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { reads, writes } from '../../shared/api';
import { ErrorAlert, isApiError } from '../../shared/FieldErrors';
import type { AdminVideo } from '../../shared/types';
import { formatDateTime } from '../format';
import { useSubmission } from '../submission';
import { Badge, ConfirmButton, LoadError, Loading, Notice, PageHeader } from '../ui';
import { anyEncoding, mediaFor } from './media';
import { MediaPanel } from './MediaPanel';
import { VideoEditor } from './VideoEditor';

const POLL_MS = 2000;
// After an upload completes, how long to poll for the new file to show up even if the read
// model has not reported it yet.
const WATCH_MS = 30_000;

export default function VideoPage() {
  const { id = '' } = useParams();
  const location = useLocation();
  const queryClient = useQueryClient();
  const [watchUntil, setWatchUntil] = useState(0);
  const query = useQuery({
    queryKey: ['admin-video', id],
    queryFn: () => reads.admin.video(id),
    refetchInterval: (q) => (anyEncoding(q.state.data) || Date.now() < watchUntil ? POLL_MS : false),
  });

  if (query.isPending) {
    return (
      <>
        <PageHeader title="Video" />
        <Loading what="the video" />
      </>
    );
  }
  if (query.isError) {
    const missing = isApiError(query.error) && query.error.status === 404;
    return (
      <>
        <PageHeader title={missing ? 'No such video' : 'Video'} />
        {missing ? (
          <p>
            This video does not exist or was deleted. <Link to="/videos">Back to videos</Link>
          </p>
        ) : (
          <LoadError error={query.error} retry={() => void query.refetch()} />
        )}
      </>
    );
  }

  const video = query.data;
  // Said until the first file arrives: the navigation state outlives reloads.
  const created = (location.state as { created?: boolean } | null)?.created && video.media_details.length === 0;
  return (
    <>
      <p className="adm-breadcrumb">
        <Link to="/videos">Videos</Link> / {video.title}
      </p>
      <PageHeader title={video.title}>
        <Badge tone={video.published ? 'ok' : undefined}>{video.published ? 'Published' : 'Draft'}</Badge>
        <DeleteVideo video={video} />
      </PageHeader>
      {created && <Notice>Video created. Upload its media below, then publish it.</Notice>}
      <PublishControls video={video} />
      <div className="adm-columns">
        <VideoEditor
          key={video.id}
          video={video}
          reload={async () => (await query.refetch({ throwOnError: true })).data}
        />
        <MediaPanel
          video={video}
          onUploaded={() => {
            setWatchUntil(Date.now() + WATCH_MS);
            void queryClient.invalidateQueries({ queryKey: ['admin-video', id] });
          }}
        />
      </div>
      <History video={video} />
    </>
  );
}

function PublishControls({ video }: { video: AdminVideo }) {
  const submission = useSubmission();
  const queryClient = useQueryClient();
  const encoded = mediaFor(video, 'video')?.status === 'COMPLETED';
  const publish = !video.published;
  // A refusal for want of an encoded file is out of date once the file is encoded.
  const { clearError } = submission;
  useEffect(() => {
    if (encoded) clearError();
  }, [encoded]);

  async function toggle() {
    const written = await submission.run({ publish, id: video.id }, (options) => writes.publish(video.id, publish, options));
    if (written === undefined) return;
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: ['admin-video', video.id] }),
      queryClient.invalidateQueries({ queryKey: ['admin-videos'] }),
    ]);
  }

  return (
    <section className="adm-publish" aria-label="Publishing">
      <p>
        {video.published
          ? 'Viewers can find and watch this video.'
          : encoded
            ? 'This video is a draft: viewers do not see it until it is published.'
            : 'This video is a draft. It can be published once its Video file is encoded (Completed).'}
      </p>
      <button type="button" className={publish ? 'primary' : undefined} onClick={() => void toggle()} disabled={submission.pending}>
        {publish ? 'Publish' : 'Unpublish'}
      </button>
      <ErrorAlert error={submission.error} />
    </section>
  );
}

function DeleteVideo({ video }: { video: AdminVideo }) {
  const submission = useSubmission();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  async function remove() {
    const written = await submission.run({ delete: video.id }, (options) => writes.deleteVideo(video.id, options));
    if (written === undefined) return;
    queryClient.removeQueries({ queryKey: ['admin-video', video.id] });
    await queryClient.invalidateQueries({ queryKey: ['admin-videos'] });
    navigate('/videos');
  }
  return (
    <>
      <ConfirmButton
        label="Delete video"
        question={`Delete “${video.title}”?${video.published ? ' It is unpublished first.' : ''}`}
        confirmLabel="Delete"
        pending={submission.pending}
        onConfirm={() => void remove()}
      />
      <ErrorAlert error={submission.error} />
    </>
  );
}

function History({ video }: { video: AdminVideo }) {
  const history = video.history ?? [];
  return (
    <section className="adm-section" aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <p className="adm-hint">
        Created {formatDateTime(video.created_at)} · last changed {formatDateTime(video.updated_at)} · version {video.version}
      </p>
      {history.length > 0 && (
        <details>
          <summary>Every change ({history.length})</summary>
          <ol className="adm-timeline">
            {history.map((entry) => (
              <li key={entry.version}>
                <strong>{entry.event}</strong> · {formatDateTime(entry.at)} · by {entry.actor} · v{entry.version}
              </li>
            ))}
          </ol>
        </details>
      )}
    </section>
  );
}
