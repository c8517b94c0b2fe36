// Where a slot's file is in encoding: PENDING → PROCESSING → COMPLETED, or ERROR with the reason.
// PROCESSING shows the encoder's percentage and attempt when its job reports them (an
// indeterminate bar until the first report), never a made-up one.

import type { EncodingView, MediaView } from '../../shared/types';
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

export function MediaStatus({ media, label, encoding }: {
  media: MediaView | undefined;
  label: string;
  /** The encoder's job for this file, when the API has it. */
  encoding?: EncodingView;
}) {
  if (!media) {
    return (
      <div className="adm-media-status" aria-live="polite">
        <Badge>No file</Badge>
      </div>
    );
  }
  // Status changes are announced; the percentage, which changes every few seconds, is not (the
  // bar says it when asked).
  return (
    <div className="adm-media-status">
      <span aria-live="polite">
        <Badge tone={statusTone(media.status)}>{statusLabel(media.status)}</Badge>
      </span>
      {media.status === 'PENDING' && <span className="adm-hint">Uploaded; waiting for the encoder.</span>}
      {media.status === 'PROCESSING' && <EncodingProgress label={label} encoding={encoding} />}
      {media.status === 'ERROR' && (
        <p className="adm-media-error" aria-live="polite">
          Encoding failed: {media.error || 'no reason was given.'}
        </p>
      )}
    </div>
  );
}

function EncodingProgress({ label, encoding }: { label: string; encoding?: EncodingView }) {
  const name = `Encoding the ${label.toLowerCase()}`;
  const running = encoding?.status === 'RUNNING' ? encoding : undefined;
  if (!running) return <progress className="adm-encoding" aria-label={name} />;
  const text = `${running.percent} %${running.attempt > 1 ? ` · attempt ${running.attempt}` : ''}`;
  return (
    <>
      <progress className="adm-encoding" aria-label={name} aria-valuetext={text} max={100} value={running.percent} />
      <span className="adm-hint" aria-hidden="true">
        {text}
      </span>
    </>
  );
}
