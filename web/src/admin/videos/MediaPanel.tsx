// A video's five media slots: each with its encoding status and a way to upload (or upload
// again) its file. A new upload starts encoding again; an encoding that failed every attempt is
// the encoder's dead letter, and those holding `operations` may send it back for one more.

import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { operations } from '../../shared/api';
import { SLOTS, type AdminVideo, type EncodingView, type MediaView, type Slot } from '../../shared/types';
import { formatBytes } from '../format';
import { mediaFor, SLOT_LABEL } from './media';
import { MediaStatus } from './MediaStatus';
import { MediaUpload } from './MediaUpload';
import { RedriveButton } from '../operations/Redrive';
import { may } from '../roles';
import { useRoles } from '../session';
import { Notice } from '../ui';

export function MediaPanel({ video, onUploaded }: { video: AdminVideo; onUploaded: () => void }) {
  return (
    <section className="adm-section" aria-labelledby="media-title">
      <h2 id="media-title">Media</h2>
      <p className="adm-hint">While a file is pending or processing, its status and progress refresh every 2 seconds.</p>
      <ul className="adm-slots">
        {SLOTS.map((slot) => (
          <li key={slot}>
            <MediaSlot
              videoId={video.id}
              slot={slot}
              media={mediaFor(video, slot)}
              encoding={video.encodings?.find((e) => e.id === mediaFor(video, slot)?.media_id)}
              onUploaded={onUploaded}
            />
          </li>
        ))}
      </ul>
    </section>
  );
}

function MediaSlot({ videoId, slot, media, encoding, onUploaded }: {
  videoId: string;
  slot: Slot;
  media: MediaView | undefined;
  encoding?: EncodingView;
  onUploaded: () => void;
}) {
  const label = SLOT_LABEL[slot];
  const [open, setOpen] = useState(false);
  const [uploaded, setUploaded] = useState<string>();
  // How many dead letters a "Retry encoding" sent back, once it did.
  const [retried, setRetried] = useState<number>();
  const showUpload = open || !media;
  return (
    <section className="adm-slot" aria-labelledby={`slot-${slot}`}>
      <h3 id={`slot-${slot}`}>{label}</h3>
      <MediaStatus media={media} label={label} encoding={encoding} />
      {media && (
        <p className="adm-hint">
          {formatBytes(media.size_bytes)} · {media.content_type}
        </p>
      )}
      {uploaded && (
        <p className="adm-hint" role="status">
          Uploaded “{uploaded}”.
        </p>
      )}
      {retried !== undefined && media?.status === 'ERROR' && (
        <Notice>
          Sent back to the encoder{retried > 1 ? ` with ${retried - 1} other failed encodings` : ''}: it tries again
          shortly, and the status here follows.
        </Notice>
      )}
      {media && !open && media.status === 'ERROR' && (
        <>
          {encoding?.status === 'FAILED' && encoding.retryable && retried === undefined && (
            <RetryEncoding
              videoId={videoId}
              onRetried={(count) => {
                setRetried(count);
                onUploaded();
              }}
            />
          )}
          <button type="button" className="primary" aria-label={`Upload again: ${label}`} onClick={() => setOpen(true)}>
            Upload again
          </button>
          <p className="adm-hint">Encoding starts again with the new file.</p>
        </>
      )}
      {media && !open && media.status !== 'ERROR' && (
        <button type="button" aria-label={`Replace file: ${label}`} onClick={() => setOpen(true)}>
          Replace file
        </button>
      )}
      {showUpload && (
        <MediaUpload
          videoId={videoId}
          slot={slot}
          label={label}
          onUploaded={(file) => {
            setUploaded(file.name);
            setOpen(false);
            onUploaded();
          }}
        />
      )}
      {open && media && (
        <button type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      )}
    </section>
  );
}

/** "Retry encoding" for a file whose encoding failed every attempt (its job says another may
 *  succeed) while the encoder's dead letter for the video waits; nothing for those without
 *  `operations`. The encoder's letters are found by the video (their key), so a redrive sends
 *  every waiting one of the encoder, as the question says. */
function RetryEncoding({ videoId, onRetried }: { videoId: string; onRetried: (count: number) => void }) {
  const allowed = may(useRoles(), 'dead-letters');
  const filter = { status: 'waiting', key: videoId, limit: 1 };
  const query = useQuery({
    queryKey: ['dead-letters', 'encoder', filter],
    queryFn: () => operations.deadLetters('encoder', filter),
    enabled: allowed,
  });
  const page = query.data;
  if (!page || page.matching === 0) return null;
  const others = page.waiting - page.matching;
  return (
    <RedriveButton
      consumer="encoder"
      waiting={page.waiting}
      label="Retry encoding"
      question={
        others > 0
          ? `Retry this video’s encoding? The encoder’s ${others} other waiting failed encodings are sent back too.`
          : 'Retry this video’s encoding? The encoder gets one more attempt.'
      }
      onDone={onRetried}
    />
  );
}
