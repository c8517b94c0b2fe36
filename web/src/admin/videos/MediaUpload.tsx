// Uploads one file into a video's media slot through tus (resumable, in 8 MiB chunks), with
// progress, pause and resume. tus remembers unfinished uploads in localStorage by the file's
// fingerprint, so after a reload choosing the same file again offers to resume it.

import { useEffect, useId, useRef, useState, type DragEvent } from 'react';
import { defaultOptions, Upload, type DetailedError, type PreviousUpload } from 'tus-js-client';
import { rememberConsistencyToken, uploadsUrl } from '../../shared/api';
import { accessToken } from '../../shared/auth';
import type { Slot } from '../../shared/types';
import { formatBytes, formatDateTime } from '../format';
import { SLOT_ACCEPT } from './media';

const CHUNK_SIZE = 8 * 1024 * 1024;

type State =
  | { phase: 'idle' }
  | { phase: 'checking'; file: File }
  | { phase: 'found'; file: File; previous: PreviousUpload }
  | { phase: 'uploading' | 'paused'; file: File; sent: number }
  // `preparing`: it failed before sending anything (the API's address, the stored uploads):
  // a retry prepares again rather than resuming.
  | { phase: 'failed'; file: File; sent: number; message: string; retryable: boolean; preparing?: boolean }
  | { phase: 'done'; file: File };

/** Unfinished uploads are per video and slot: the same file may go to several videos. */
function fingerprint(file: File, videoId: string, slot: Slot): string {
  return ['codeflix', videoId, slot, file.name, file.type, file.size, file.lastModified].join(':');
}

/** A refusal (4xx other than a conflict or lock) will not change by sending the file again. */
function retryable(error: Error): boolean {
  const status = (error as DetailedError).originalResponse?.getStatus();
  return status === undefined || status >= 500 || status === 409 || status === 423;
}

/** A message as a sentence: it ends with a full stop (or ? or !). */
function sentence(text: string): string {
  const trimmed = text.trim() || 'Something went wrong';
  return /[.?!]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

function describe(error: Error): string {
  const response = (error as DetailedError).originalResponse;
  if (!response) return 'The connection broke. Resume continues from the last part the server stored.';
  try {
    const problem = JSON.parse(response.getBody()) as { detail?: string };
    if (problem.detail) return problem.detail;
  } catch {
    // not problem+json: say what the status was
  }
  return `The server answered ${response.getStatus()}.`;
}

export function MediaUpload({ videoId, slot, label, onUploaded }: {
  videoId: string;
  slot: Slot;
  label: string;
  onUploaded: (file: File) => void;
}) {
  const inputId = useId();
  const upload = useRef<Upload | undefined>(undefined);
  // A chunk in flight may report progress after Pause: it must not look like it resumed.
  const paused = useRef(false);
  const [state, setState] = useState<State>({ phase: 'idle' });
  const [interrupted, setInterrupted] = useState<PreviousUpload[]>([]);
  const [over, setOver] = useState(false);

  useEffect(() => {
    let live = true;
    defaultOptions.urlStorage
      .findAllUploads()
      .then((all) => live && setInterrupted(all.filter((u) => u.metadata.video_id === videoId && u.metadata.slot === slot)))
      .catch(() => undefined); // no localStorage (private mode): nothing to resume
    return () => {
      live = false;
    };
  }, [videoId, slot]);

  // Leaving the page stops sending; the upload stays resumable.
  useEffect(() => () => void upload.current?.abort(), []);

  /** Prepares the upload of `file` (resuming an earlier one if the user wants), and starts it.
   *  A failure to prepare ends in the failed state, with Retry: never stuck on "Preparing…". */
  async function choose(file: File) {
    setState({ phase: 'checking', file });
    try {
      await prepare(file);
    } catch (error) {
      upload.current = undefined;
      setState({
        phase: 'failed',
        file,
        sent: 0,
        message: `${sentence(error instanceof Error ? error.message : String(error))} Nothing was sent; try again.`,
        retryable: true,
        preparing: true,
      });
    }
  }

  async function prepare(file: File) {
    await upload.current?.abort();
    const endpoint = await uploadsUrl();
    // One key for the creation request: a retried POST finds its upload instead of a new one.
    const creationKey = crypto.randomUUID();
    const metadata: Record<string, string> = { video_id: videoId, slot, filename: file.name };
    if (file.type) metadata.content_type = file.type;
    const next = new Upload(file, {
      endpoint,
      chunkSize: CHUNK_SIZE,
      retryDelays: [0, 1000, 3000, 5000, 10000],
      metadata,
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      fingerprint: async (f: File) => fingerprint(f, videoId, slot),
      // A fresh token for every request: a long upload outlives one access token.
      onBeforeRequest: async (request) => {
        const token = await accessToken();
        if (token) request.setHeader('Authorization', `Bearer ${token}`);
        if (request.getMethod() === 'POST') request.setHeader('Idempotency-Key', creationKey);
      },
      onProgress: (sent) => {
        if (!paused.current) setState({ phase: 'uploading', file, sent });
      },
      onSuccess: ({ lastResponse }) => {
        try {
          rememberConsistencyToken((JSON.parse(lastResponse.getBody()) as { consistency_token?: string }).consistency_token);
        } catch {
          // no body: the page polls until the new file shows
        }
        setInterrupted((all) => all.filter((u) => !(u.metadata.filename === file.name && u.size === file.size)));
        setState({ phase: 'done', file });
        onUploaded(file);
      },
      onError: (error) =>
        setState((current) => ({
          phase: 'failed',
          file,
          sent: 'sent' in current ? current.sent : 0,
          message: describe(error),
          retryable: retryable(error),
        })),
    });
    upload.current = next;
    const previous = await next.findPreviousUploads();
    const latest = previous.sort((a, b) => b.creationTime.localeCompare(a.creationTime))[0];
    if (latest) setState({ phase: 'found', file, previous: latest });
    else start(file, 0);
  }

  function start(file: File, sent: number) {
    paused.current = false;
    setState({ phase: 'uploading', file, sent });
    upload.current?.start();
  }

  async function pause() {
    if (state.phase !== 'uploading') return;
    paused.current = true;
    setState({ ...state, phase: 'paused' });
    await upload.current?.abort();
  }

  function resumePrevious(file: File, previous: PreviousUpload) {
    upload.current?.resumeFromPreviousUpload(previous);
    start(file, 0);
  }

  async function startOver(file: File, previous: PreviousUpload) {
    await defaultOptions.urlStorage.removeUpload(previous.urlStorageKey).catch(() => undefined);
    setInterrupted((all) => all.filter((u) => u.urlStorageKey !== previous.urlStorageKey));
    start(file, 0);
  }

  function drop(event: DragEvent) {
    event.preventDefault();
    setOver(false);
    const file = event.dataTransfer.files[0];
    if (file) void choose(file);
  }

  const busy = state.phase === 'uploading' || state.phase === 'paused' || state.phase === 'checking';

  return (
    <div className="adm-upload">
      {interrupted.length > 0 && state.phase === 'idle' && (
        <div className="cf-alert info">
          {interrupted.map((u) => (
            <p key={u.urlStorageKey}>
              An upload of “{u.metadata.filename ?? 'a file'}”{u.size ? ` (${formatBytes(u.size)})` : ''} started{' '}
              {formatDateTime(u.creationTime)} did not finish. Choose the same file again to resume it.
            </p>
          ))}
        </div>
      )}

      {!busy && (
        <div
          className={over ? 'adm-drop over' : 'adm-drop'}
          onDragOver={(e) => {
            e.preventDefault();
            setOver(true);
          }}
          onDragLeave={() => setOver(false)}
          onDrop={drop}
        >
          <label htmlFor={inputId}>{label} file</label>
          <input
            id={inputId}
            type="file"
            accept={SLOT_ACCEPT[slot]}
            onChange={(e) => {
              const file = e.target.files?.[0];
              e.target.value = '';
              if (file) void choose(file);
            }}
          />
          <p className="adm-hint">Drop a file here or choose one. Large files upload in parts and can be paused.</p>
        </div>
      )}

      {state.phase === 'checking' && <p role="status">Preparing “{state.file.name}”…</p>}

      {state.phase === 'found' && (
        <div className="cf-alert info" role="group" aria-label="Earlier upload found">
          <p>An earlier upload of “{state.file.name}” to this slot did not finish ({formatDateTime(state.previous.creationTime)}).</p>
          <div className="adm-form-actions">
            <button type="button" className="primary" onClick={() => resumePrevious(state.file, state.previous)}>
              Resume
            </button>
            <button type="button" onClick={() => void startOver(state.file, state.previous)}>
              Start over
            </button>
          </div>
        </div>
      )}

      {(state.phase === 'uploading' || state.phase === 'paused' || (state.phase === 'failed' && !state.preparing)) && (
        <Progress
          name={state.file.name}
          label={label}
          sent={state.sent}
          total={state.file.size}
          paused={state.phase === 'paused'}
        />
      )}
      {state.phase === 'uploading' && (
        <button type="button" onClick={() => void pause()}>
          Pause
        </button>
      )}
      {state.phase === 'paused' && (
        <button type="button" className="primary" onClick={() => start(state.file, state.sent)}>
          Resume
        </button>
      )}
      {state.phase === 'failed' && (
        <>
          <div className="cf-alert" role="alert">
            {state.preparing ? 'Preparing' : 'Uploading'} “{state.file.name}” failed: {state.message}
          </div>
          {state.retryable && (
            <button
              type="button"
              className="primary"
              onClick={() => (state.preparing ? void choose(state.file) : start(state.file, state.sent))}
            >
              Retry
            </button>
          )}
        </>
      )}
      {state.phase === 'done' && (
        <p className="cf-alert ok" role="status">
          Uploaded “{state.file.name}”. Encoding starts shortly.
        </p>
      )}
    </div>
  );
}

function Progress({ name, label, sent, total, paused }: { name: string; label: string; sent: number; total: number; paused: boolean }) {
  const percent = total > 0 ? Math.floor((sent / total) * 100) : 0;
  return (
    <div className="adm-progress">
      <progress value={sent} max={total || 1} aria-label={`Uploading the ${label.toLowerCase()}`} />
      <p>
        {paused ? 'Paused at ' : ''}
        <strong>{percent}%</strong> · {formatBytes(sent)} of {formatBytes(total)} · “{name}”
      </p>
    </div>
  );
}
