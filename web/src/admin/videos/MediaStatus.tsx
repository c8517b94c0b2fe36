// Where a slot's file is in encoding: PENDING → PROCESSING → COMPLETED, or ERROR with the reason.
// The API reports no percentage for encoding, so PROCESSING shows an indeterminate bar.

import type { MediaView } from '../../shared/types';
import { Badge, type Tone } from '../ui';

const STATUS: Record<string, { label: string; tone: Tone }> = {
  PENDING: { label: 'Pending', tone: 'warn' },
  PROCESSING: { label: 'Processing', tone: 'info' },
  COMPLETED: { label: 'Completed', tone: 'ok' },
  ERROR: { label: 'Error', tone: 'danger' },
};

export function statusLabel(status: string): string {
  return STATUS[status]?.label ?? status;
}

export function statusTone(status: string): Tone {
  return STATUS[status]?.tone;
}

export function MediaStatus({ media, label }: { media: MediaView | undefined; label: string }) {
  if (!media) {
    return (
      <div className="adm-media-status" aria-live="polite">
        <Badge>No file</Badge>
      </div>
    );
  }
  return (
    <div className="adm-media-status" aria-live="polite">
      <Badge tone={statusTone(media.status)}>{statusLabel(media.status)}</Badge>
      {media.status === 'PENDING' && <span className="adm-hint">Uploaded; waiting for the encoder.</span>}
      {media.status === 'PROCESSING' && <progress className="adm-encoding" aria-label={`Encoding the ${label.toLowerCase()}`} />}
      {media.status === 'ERROR' && <p className="adm-media-error">Encoding failed: {media.error || 'no reason was given.'}</p>}
    </div>
  );
}
