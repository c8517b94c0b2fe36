import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { operations, reads } from '../../shared/api';
import type { MediaView } from '../../shared/types';
import { adminVideo, renderWithProviders } from '../test-utils';
import { MediaPanel } from './MediaPanel';
import { MediaStatus } from './MediaStatus';
import VideoPage from './VideoPage';

vi.mock('tus-js-client', () => ({
  Upload: class {},
  defaultOptions: { urlStorage: { findAllUploads: async () => [], removeUpload: async () => undefined } },
}));

vi.mock('../../shared/api', () => ({
  reads: { categories: vi.fn(), genres: vi.fn(), castMembers: vi.fn(), admin: { video: vi.fn() } },
  writes: {},
  operations: { deadLetters: vi.fn(), redrive: vi.fn() },
  uploadsUrl: vi.fn(),
  rememberConsistencyToken: vi.fn(),
}));

vi.mock('../../shared/auth', () => ({ accessToken: vi.fn(async () => 'token') }));

function media(status: string, error?: string): MediaView {
  return {
    slot: 'VIDEO',
    media_id: 'm-1',
    status,
    checksum: 'abc',
    size_bytes: 123_000_000,
    content_type: 'video/mp4',
    raw_location: 'raw/video',
    error: error ?? null,
  };
}

describe('media status', () => {
  it.each([
    ['PENDING', 'Pending'],
    ['PROCESSING', 'Processing'],
    ['COMPLETED', 'Completed'],
    ['ERROR', 'Error'],
  ])('shows %s as “%s”', (status, label) => {
    render(<MediaStatus media={media(status)} label="Video" />);
    expect(screen.getByText(label).className).toContain('cf-badge');
  });

  it('shows an indeterminate bar while encoding, never a made-up percentage', () => {
    const { container } = render(<MediaStatus media={media('PROCESSING')} label="Video" />);
    const bar = screen.getByRole('progressbar', { name: 'Encoding the video' });
    expect(bar.hasAttribute('value')).toBe(false);
    expect(container.textContent).not.toMatch(/\d+\s*%/);
  });

  it('shows the encoder’s percentage and attempt while its job runs', () => {
    const encoding = { id: 'm-1', slot: 'VIDEO', status: 'RUNNING', attempt: 2, percent: 45 };
    const { container } = render(<MediaStatus media={media('PROCESSING')} label="Video" encoding={encoding} />);
    const bar = screen.getByRole('progressbar', { name: 'Encoding the video' }) as HTMLProgressElement;
    expect([bar.value, bar.max]).toEqual([45, 100]);
    expect(container.textContent).toContain('45 % · attempt 2');
    // A job not running (requested, between attempts) has no percentage to show.
    const waiting = render(<MediaStatus media={media('PROCESSING')} label="Trailer" encoding={{ ...encoding, status: 'REQUESTED' }} />);
    expect(waiting.getByRole('progressbar', { name: 'Encoding the trailer' }).hasAttribute('value')).toBe(false);
  });

  it('gives the reason of a failed encoding', () => {
    render(<MediaStatus media={media('ERROR', 'ffmpeg: moov atom not found')} label="Video" />);
    expect(screen.getByText('Encoding failed: ffmpeg: moov atom not found')).toBeTruthy();
    expect(screen.queryByRole('progressbar')).toBeNull();
  });

  it('says when there is no file', () => {
    render(<MediaStatus media={undefined} label="Video" />);
    expect(screen.getByText('No file')).toBeTruthy();
  });
});

describe('the media panel', () => {
  it('offers “Upload again” for a failed encoding, which opens the uploader', async () => {
    const user = userEvent.setup();
    renderWithProviders(<MediaPanel video={adminVideo({ media_details: [media('ERROR', 'corrupt file')] })} onUploaded={vi.fn()} />);
    const slot = screen.getByRole('region', { name: 'Video' });
    expect(within(slot).queryByLabelText('Video file')).toBeNull();
    await user.click(within(slot).getByRole('button', { name: 'Upload again: Video' }));
    expect(within(slot).getByLabelText('Video file')).toBeTruthy();
    // Empty slots take a file straight away.
    expect(within(screen.getByRole('region', { name: 'Trailer' })).getByLabelText('Trailer file')).toBeTruthy();
  });
});

describe('retrying a failed encoding', () => {
  const job = (retryable: boolean) => ({
    id: 'm-1', slot: 'VIDEO', status: 'FAILED', attempt: 3, percent: 0, error: 'ffmpeg crashed', retryable,
  });
  const failed = adminVideo({
    media_details: [media('ERROR', 'attempt 3 failed, giving up: ffmpeg crashed')],
    encodings: [job(true)],
  });
  const waiting = (matching: number, total: number) => ({
    consumer: 'encoder', description: '', items: [], total, waiting: total, matching, next_cursor: null,
  });

  beforeEach(() => {
    vi.mocked(operations.deadLetters).mockReset();
    vi.mocked(operations.redrive).mockReset();
  });

  it('sends the encoder’s waiting letters back, then says so and watches the status', async () => {
    const user = userEvent.setup();
    const onUploaded = vi.fn();
    vi.mocked(operations.deadLetters).mockResolvedValueOnce(waiting(1, 3)).mockResolvedValue(waiting(0, 0));
    vi.mocked(operations.redrive).mockResolvedValue({ consumer: 'encoder', redriven: 3 });
    renderWithProviders(<MediaPanel video={failed} onUploaded={onUploaded} />, { roles: ['catalog-videos', 'operations'] });
    const slot = screen.getByRole('region', { name: 'Video' });
    await user.click(await within(slot).findByRole('button', { name: 'Retry encoding' }));
    expect(operations.deadLetters).toHaveBeenCalledWith('encoder', { status: 'waiting', key: failed.id, limit: 1 });
    expect(within(slot).getByText(/The encoder’s 2 other waiting failed encodings are sent back too/)).toBeTruthy();
    await user.click(within(slot).getByRole('button', { name: 'Re-drive' }));
    expect(operations.redrive).toHaveBeenCalledWith('encoder');
    await waitFor(() => expect(onUploaded).toHaveBeenCalledTimes(1));
    // The letters were read again (none waits now), and the slot still says what happened.
    await waitFor(() => expect(operations.deadLetters).toHaveBeenCalledTimes(2));
    expect(within(slot).getByText(/Sent back to the encoder with 2 other failed encodings/)).toBeTruthy();
    expect(within(slot).queryByRole('button', { name: 'Retry encoding' })).toBeNull();
  });

  it('is not offered without the operations role', async () => {
    renderWithProviders(<MediaPanel video={failed} onUploaded={vi.fn()} />, { roles: ['catalog-videos'] });
    expect(screen.getByRole('button', { name: 'Upload again: Video' })).toBeTruthy();
    expect(operations.deadLetters).not.toHaveBeenCalled();
    expect(screen.queryByRole('button', { name: 'Retry encoding' })).toBeNull();
  });

  it('is not offered for a file no attempt can encode, nor when no letter of the video waits', async () => {
    const hopeless = { ...failed, encodings: [job(false)] };
    const first = renderWithProviders(<MediaPanel video={hopeless} onUploaded={vi.fn()} />, { roles: ['catalog-admin'] });
    expect(operations.deadLetters).not.toHaveBeenCalled();
    expect(screen.queryByRole('button', { name: 'Retry encoding' })).toBeNull();
    first.unmount();

    vi.mocked(operations.deadLetters).mockResolvedValue(waiting(0, 2));
    renderWithProviders(<MediaPanel video={failed} onUploaded={vi.fn()} />, { roles: ['catalog-admin'] });
    await waitFor(() => expect(operations.deadLetters).toHaveBeenCalled());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(screen.queryByRole('button', { name: 'Retry encoding' })).toBeNull();
  });
});

describe('the video page', () => {
  beforeEach(() => {
    vi.mocked(reads.categories).mockResolvedValue({ items: [] });
    vi.mocked(reads.genres).mockResolvedValue({ items: [] });
    vi.mocked(reads.castMembers).mockResolvedValue({ items: [] });
  });

  it('polls the video while its media is encoding and stops once it is done', async () => {
    const video = adminVideo();
    vi.mocked(reads.admin.video)
      .mockReset()
      .mockResolvedValueOnce({ ...video, media_details: [media('PROCESSING')] })
      .mockResolvedValue({ ...video, version: 4, media_details: [media('COMPLETED')] });
    renderWithProviders(<VideoPage />, { route: `/videos/${video.id}`, path: '/videos/:id' });

    const slot = await screen.findByRole('region', { name: 'Video' });
    expect(within(slot).getByText('Processing')).toBeTruthy();
    await waitFor(() => expect(within(slot).getByText('Completed')).toBeTruthy(), { timeout: 3500 });
    const calls = vi.mocked(reads.admin.video).mock.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(vi.mocked(reads.admin.video).mock.calls.length).toBe(calls);
  }, 10_000);
});
