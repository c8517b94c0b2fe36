// A video's five media slots: each with its encoding status and a way to upload (or upload
// again) its file. There is no "re-encode" endpoint: a new upload starts encoding again.

import { useState } from 'react';
import { SLOTS, type AdminVideo, type MediaView, type Slot } from '../../shared/types';
import { formatBytes } from '../format';
import { mediaFor, SLOT_LABEL } from './media';
import { MediaStatus } from './MediaStatus';
import { MediaUpload } from './MediaUpload';

export function MediaPanel({ video, onUploaded }: { video: AdminVideo; onUploaded: () => void }) {
  return (
    <section className="adm-section" aria-labelledby="media-title">
      <h2 id="media-title">Media</h2>
      <p className="adm-hint">While a file is pending or processing, its status refreshes every 2 seconds.</p>
      <ul className="adm-slots">
        {SLOTS.map((slot) => (
          <li key={slot}>
            <MediaSlot videoId={video.id} slot={slot} media={mediaFor(video, slot)} onUploaded={onUploaded} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function MediaSlot({ videoId, slot, media, onUploaded }: {
  videoId: string;
  slot: Slot;
  media: MediaView | undefined;
  onUploaded: () => void;
}) {
  const label = SLOT_LABEL[slot];
  const [open, setOpen] = useState(false);
  const [uploaded, setUploaded] = useState<string>();
  const showUpload = open || !media;
  return (
    <section className="adm-slot" aria-labelledby={`slot-${slot}`}>
      <h3 id={`slot-${slot}`}>{label}</h3>
      <MediaStatus media={media} label={label} />
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
      {media && !open && media.status === 'ERROR' && (
        <>
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
