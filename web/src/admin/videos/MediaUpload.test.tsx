import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { HttpRequest, HttpResponse, PreviousUpload, UploadOptions } from 'tus-js-client';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { rememberConsistencyToken, uploadsUrl } from '../../shared/api';
import { renderWithProviders } from '../test-utils';
import { MediaUpload } from './MediaUpload';

// tus-js-client is the third-party boundary: a fake Upload records what the widget asks of it
// and lets the test play the server's side (progress, success).
const tus = vi.hoisted(() => ({
  uploads: [] as {
    file: File;
    options: UploadOptions;
    start: ReturnType<typeof vi.fn>;
    abort: ReturnType<typeof vi.fn>;
    resumeFromPreviousUpload: ReturnType<typeof vi.fn>;
    findPreviousUploads: ReturnType<typeof vi.fn>;
  }[],
  previous: [] as PreviousUpload[],
  /** Called with each new Upload: a test may replace its methods. */
  onCreate: undefined as undefined | ((upload: { findPreviousUploads: ReturnType<typeof vi.fn> }) => void),
}));

vi.mock('tus-js-client', () => {
  class Upload {
    start = vi.fn();
    abort = vi.fn(async () => undefined);
    resumeFromPreviousUpload = vi.fn();
    findPreviousUploads = vi.fn(async () => tus.previous);
    constructor(
      public file: File,
      public options: UploadOptions,
    ) {
      tus.uploads.push(this);
      tus.onCreate?.(this);
    }
  }
  return {
    Upload,
    defaultOptions: { urlStorage: { findAllUploads: vi.fn(async () => tus.previous), removeUpload: vi.fn(async () => undefined) } },
  };
});

vi.mock('../../shared/api', () => ({
  uploadsUrl: vi.fn(async () => '/api/command/uploads'),
  rememberConsistencyToken: vi.fn(),
}));

vi.mock('../../shared/auth', () => ({ accessToken: vi.fn(async () => 'fresh-token') }));

const VIDEO_ID = '7d3f0a52-0000-4000-8000-000000000001';

function movie(size: number): File {
  const file = new File(['x'], 'movie.mp4', { type: 'video/mp4', lastModified: 1 });
  Object.defineProperty(file, 'size', { value: size });
  return file;
}

function progressbar(): HTMLProgressElement {
  return screen.getByRole('progressbar', { name: 'Uploading the video' }) as HTMLProgressElement;
}

describe('the media upload widget', () => {
  beforeEach(() => {
    tus.uploads.length = 0;
    tus.previous = [];
  });

  it('uploads through tus with the video and slot, shows progress, and pauses and resumes', async () => {
    const onUploaded = vi.fn();
    const user = userEvent.setup();
    renderWithProviders(<MediaUpload videoId={VIDEO_ID} slot="video" label="Video" onUploaded={onUploaded} />);

    await user.upload(screen.getByLabelText('Video file'), movie(10_000_000));
    await waitFor(() => expect(tus.uploads[0]?.start).toHaveBeenCalledTimes(1));
    const upload = tus.uploads[0];
    expect(upload.options).toMatchObject({
      endpoint: '/api/command/uploads',
      chunkSize: 8 * 1024 * 1024,
      storeFingerprintForResuming: true,
      metadata: { video_id: VIDEO_ID, slot: 'video', filename: 'movie.mp4', content_type: 'video/mp4' },
    });

    // Every request carries a fresh bearer token; the creation also an Idempotency-Key.
    const headers: Record<string, string> = {};
    const request = { getMethod: () => 'POST', setHeader: (k: string, v: string) => (headers[k] = v) } as unknown as HttpRequest;
    await upload.options.onBeforeRequest?.(request);
    expect(headers.Authorization).toBe('Bearer fresh-token');
    expect(headers['Idempotency-Key']).toMatch(/.+/);

    act(() => upload.options.onProgress?.(2_500_000, 10_000_000));
    expect(progressbar().value).toBe(2_500_000);
    expect(progressbar().max).toBe(10_000_000);
    expect(screen.getByText('25%')).toBeTruthy();
    expect(progressbar().parentElement?.textContent).toContain('2.5 MB of 10 MB');

    await user.click(screen.getByRole('button', { name: 'Pause' }));
    expect(upload.abort).toHaveBeenCalledTimes(1);
    expect(screen.getByText(/Paused at/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Pause' })).toBeNull();
    // A chunk that was in flight reports late: still paused.
    act(() => upload.options.onProgress?.(3_000_000, 10_000_000));
    expect(screen.getByRole('button', { name: 'Resume' })).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'Resume' }));
    expect(upload.start).toHaveBeenCalledTimes(2);
    expect(screen.getByRole('button', { name: 'Pause' })).toBeTruthy();

    act(() => upload.options.onProgress?.(10_000_000, 10_000_000));
    expect(screen.getByText('100%')).toBeTruthy();
    const lastResponse = { getBody: () => JSON.stringify({ consistency_token: 'videos:0:42' }) } as unknown as HttpResponse;
    act(() => upload.options.onSuccess?.({ lastResponse }));
    expect(screen.getByText(/Uploaded “movie.mp4”/)).toBeTruthy();
    expect(onUploaded).toHaveBeenCalledTimes(1);
    expect(rememberConsistencyToken).toHaveBeenCalledWith('videos:0:42');
  });

  it('offers to resume an earlier unfinished upload of the same file', async () => {
    const earlier: PreviousUpload = {
      size: 10_000_000,
      metadata: { video_id: VIDEO_ID, slot: 'video', filename: 'movie.mp4' },
      creationTime: '2025-01-01T10:00:00.000Z',
      urlStorageKey: 'tus::codeflix::1',
      uploadUrl: '/api/command/uploads/abc',
      parallelUploadUrls: null,
    };
    tus.previous = [earlier];
    const user = userEvent.setup();
    renderWithProviders(<MediaUpload videoId={VIDEO_ID} slot="video" label="Video" onUploaded={vi.fn()} />);

    expect(await screen.findByText(/did not finish\. Choose the same file again to resume it/)).toBeTruthy();
    await user.upload(screen.getByLabelText('Video file'), movie(10_000_000));
    await user.click(await screen.findByRole('button', { name: 'Resume' }));

    const upload = tus.uploads[0];
    expect(upload.resumeFromPreviousUpload).toHaveBeenCalledWith(earlier);
    expect(upload.start).toHaveBeenCalledTimes(1);
    // Unfinished uploads are told apart per video and slot, not only per file.
    const fingerprint = await upload.options.fingerprint?.(upload.file as File, upload.options);
    expect(fingerprint).toContain(VIDEO_ID);
    expect(fingerprint).toContain('video');
  });

  it('says why an upload failed and retries from where it stopped', async () => {
    const user = userEvent.setup();
    renderWithProviders(<MediaUpload videoId={VIDEO_ID} slot="video" label="Video" onUploaded={vi.fn()} />);
    await user.upload(screen.getByLabelText('Video file'), movie(10_000_000));
    await waitFor(() => expect(tus.uploads[0]?.start).toHaveBeenCalled());
    const upload = tus.uploads[0];

    act(() => upload.options.onProgress?.(4_000_000, 10_000_000));
    act(() => upload.options.onError?.(new Error('network')));
    expect(screen.getByRole('alert').textContent).toMatch(/Uploading “movie.mp4” failed: The connection broke/);
    expect(screen.getByText('40%')).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'Retry' }));
    expect(upload.start).toHaveBeenCalledTimes(2);
  });
});

describe('the media upload widget, when it cannot get ready', () => {
  beforeEach(() => {
    tus.uploads.length = 0;
    tus.previous = [];
    tus.onCreate = undefined;
  });

  it('says so when the API’s address cannot be had, and retries the preparation', async () => {
    vi.mocked(uploadsUrl).mockRejectedValueOnce(new Error('/config.json answered 502: is this page served by codeflix?'));
    const user = userEvent.setup();
    renderWithProviders(<MediaUpload videoId={VIDEO_ID} slot="video" label="Video" onUploaded={vi.fn()} />);
    await user.upload(screen.getByLabelText('Video file'), movie(10_000_000));

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe(
      'Preparing “movie.mp4” failed: /config.json answered 502: is this page served by codeflix? Nothing was sent; try again.',
    );
    expect(screen.queryByText(/Preparing “movie.mp4”…/)).toBeNull();
    // Another file can be chosen, or this one tried again.
    expect(screen.getByLabelText('Video file')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(tus.uploads[0]?.start).toHaveBeenCalledTimes(1));
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByRole('button', { name: 'Pause' })).toBeTruthy();
  });

  it('says so when the earlier uploads cannot be read', async () => {
    const user = userEvent.setup();
    renderWithProviders(<MediaUpload videoId={VIDEO_ID} slot="video" label="Video" onUploaded={vi.fn()} />);
    const find = vi.fn().mockRejectedValueOnce(new Error('The stored uploads cannot be read'));
    tus.onCreate = (upload) => (upload.findPreviousUploads = find);
    await user.upload(screen.getByLabelText('Video file'), movie(10_000_000));

    expect((await screen.findByRole('alert')).textContent).toContain('The stored uploads cannot be read. Nothing was sent; try again.');
    expect(tus.uploads[0].start).not.toHaveBeenCalled();
    tus.onCreate = undefined;
    await user.click(screen.getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(tus.uploads[1]?.start).toHaveBeenCalledTimes(1));
  });
});
