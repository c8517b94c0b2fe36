import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { reads } from '../../shared/api';
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
