import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { reads } from '../../shared/api';
import { adminVideo, renderWithProviders } from '../test-utils';
import VideosPage from './VideosPage';

vi.mock('../../shared/api', () => ({
  reads: { categories: vi.fn(), genres: vi.fn(), castMembers: vi.fn(), admin: { videos: vi.fn() } },
}));

const lastFilter = () => vi.mocked(reads.admin.videos).mock.calls.at(-1)?.[0];

describe('the videos list', () => {
  beforeEach(() => {
    vi.mocked(reads.categories).mockResolvedValue({ items: [] });
    vi.mocked(reads.genres).mockResolvedValue({ items: [] });
    vi.mocked(reads.castMembers).mockResolvedValue({ items: [] });
    vi.mocked(reads.admin.videos).mockReset();
  });

  it('asks the API for the failed encodings, from the URL or the Media filter', async () => {
    const user = userEvent.setup();
    const failed = adminVideo({
      media_details: [
        {
          slot: 'VIDEO', media_id: 'm-1', status: 'ERROR', checksum: 'abc', size_bytes: 1, content_type: 'video/mp4',
          raw_location: 'raw/video', error: 'attempt 3 failed, giving up: ffmpeg crashed',
        },
      ],
    });
    vi.mocked(reads.admin.videos).mockResolvedValue({ items: [failed], next_cursor: null });
    renderWithProviders(<VideosPage />, { route: '/videos?media_status=ERROR', path: '/videos' });

    const table = await screen.findByRole('region', { name: 'Videos' });
    expect(lastFilter()).toMatchObject({ media_status: 'ERROR', sort: '-created_at', limit: 25 });
    expect((screen.getByLabelText('Media') as HTMLSelectElement).value).toBe('ERROR');
    const row = within(table).getAllByRole('row')[1];
    expect(row.textContent).toContain('Video: Error');
    expect(row.textContent).toContain('ffmpeg crashed');

    await user.selectOptions(screen.getByLabelText('Media'), 'PROCESSING');
    await user.click(screen.getByRole('button', { name: 'Apply filters' }));
    await waitFor(() => expect(lastFilter()).toMatchObject({ media_status: 'PROCESSING', cursor: undefined }));
    await user.selectOptions(screen.getByLabelText('Media'), '');
    await user.click(screen.getByRole('button', { name: 'Apply filters' }));
    await waitFor(() => expect(lastFilter()).toMatchObject({ media_status: undefined }));
  });

  it('finds videos by the start of their title', async () => {
    const user = userEvent.setup();
    vi.mocked(reads.admin.videos).mockResolvedValue({ items: [adminVideo()], next_cursor: null });
    renderWithProviders(<VideosPage />, { route: '/videos', path: '/videos' });
    await screen.findByRole('region', { name: 'Videos' });
    await user.type(screen.getByLabelText('Title starts with'), 'central ');
    await user.click(screen.getByRole('button', { name: 'Apply filters' }));
    await waitFor(() => expect(lastFilter()).toMatchObject({ q: 'central' }));
    expect(screen.getByText('Titles starting with “central”, A–Z.')).toBeTruthy();
  });
});
