import { fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { reads, writes } from '../../shared/api';
import { ApiError } from '../../shared/problem';
import { adminVideo, renderWithProviders } from '../test-utils';
import { VideoEditor } from './VideoEditor';

vi.mock('../../shared/api', () => ({
  reads: { categories: vi.fn(), genres: vi.fn(), castMembers: vi.fn() },
  writes: { updateVideo: vi.fn(), linkVideo: vi.fn() },
}));

const stale = new ApiError({
  type: 'urn:codeflix:problem:version-conflict',
  title: 'Version conflict',
  status: 409,
  detail: 'If-Match expected version 3 but it is at version 5',
  current_version: 5,
});

describe('editing a video', () => {
  beforeEach(() => {
    vi.mocked(reads.categories).mockResolvedValue({
      items: [
        { id: 'cat-1', name: 'Feature films' },
        { id: 'cat-2', name: 'Documentaries' },
      ],
    });
    vi.mocked(reads.genres).mockResolvedValue({ items: [] });
    vi.mocked(reads.castMembers).mockResolvedValue({ items: [] });
    vi.mocked(writes.updateVideo).mockReset();
    vi.mocked(writes.linkVideo).mockReset();
  });

  it('sends If-Match with the version it was opened at, and on a conflict offers reload or overwrite; overwrite resends with current_version', async () => {
    vi.mocked(writes.updateVideo)
      .mockRejectedValueOnce(stale)
      .mockResolvedValueOnce({ id: 'v', version: 6, event_ids: ['e'] });
    const user = userEvent.setup();
    renderWithProviders(<VideoEditor video={adminVideo({ version: 3 })} reload={vi.fn()} />);

    fireEvent.change(screen.getByLabelText('Title'), { target: { value: 'Central Station (restored)' } });
    await user.click(screen.getByRole('button', { name: 'Save changes' }));

    const dialog = await screen.findByRole('alertdialog', { name: 'Someone else changed this video' });
    expect(dialog.contains(screen.getByRole('button', { name: 'Reload (lose your changes)' }))).toBe(true);
    const overwrite = screen.getByRole('button', { name: 'Overwrite (save yours over theirs)' });
    const [id, input, version] = vi.mocked(writes.updateVideo).mock.calls[0];
    expect(id).toBe(adminVideo().id);
    expect(input.title).toBe('Central Station (restored)');
    expect(version).toBe(3);

    await user.click(overwrite);
    await waitFor(() => expect(writes.updateVideo).toHaveBeenCalledTimes(2));
    const [, again, ifMatch, options] = vi.mocked(writes.updateVideo).mock.calls[1];
    expect(again.title).toBe('Central Station (restored)');
    expect(ifMatch).toBe(5);
    // Another If-Match is another request: it does not reuse the refused one's key.
    expect(options?.idempotencyKey).not.toBe(vi.mocked(writes.updateVideo).mock.calls[0][3]?.idempotencyKey);
    await screen.findByText('Saved.');
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });

  it('reload drops the local changes for what the server has now', async () => {
    vi.mocked(writes.updateVideo).mockRejectedValueOnce(stale);
    const reload = vi.fn().mockResolvedValue(adminVideo({ version: 5, title: 'Central do Brasil' }));
    const user = userEvent.setup();
    renderWithProviders(<VideoEditor video={adminVideo({ version: 3 })} reload={reload} />);

    fireEvent.change(screen.getByLabelText('Title'), { target: { value: 'Mine' } });
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    await user.click(await screen.findByRole('button', { name: 'Reload (lose your changes)' }));

    await waitFor(() => expect((screen.getByLabelText('Title') as HTMLInputElement).value).toBe('Central do Brasil'));
    expect(reload).toHaveBeenCalledTimes(1);
    expect(writes.updateVideo).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });

  it('changes links one by one and leaves the fields alone when only links changed', async () => {
    vi.mocked(writes.linkVideo).mockResolvedValue({ id: 'v', version: 4, event_ids: ['e'] });
    const user = userEvent.setup();
    renderWithProviders(<VideoEditor video={adminVideo()} reload={vi.fn()} />);

    await user.click(await screen.findByLabelText('Documentaries'));
    await user.click(screen.getByLabelText('Feature films'));
    await user.click(screen.getByRole('button', { name: 'Save changes' }));

    await screen.findByText('Saved.');
    expect(writes.updateVideo).not.toHaveBeenCalled();
    const calls = vi.mocked(writes.linkVideo).mock.calls.map(([, what, other, linked]) => [what, other, linked]);
    expect(calls).toEqual([
      ['categories', 'cat-2', true],
      ['categories', 'cat-1', false],
    ]);
  });
});
