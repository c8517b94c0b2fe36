import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { reads } from '../../shared/api';
import { renderWithProviders } from '../test-utils';
import NotificationsPage from './NotificationsPage';

vi.mock('../../shared/api', () => ({ reads: { admin: { notifications: vi.fn() } } }));

const lastFilter = () => vi.mocked(reads.admin.notifications).mock.calls.at(-1)?.[0];

describe('the notification log’s filters', () => {
  beforeEach(() => {
    vi.mocked(reads.admin.notifications).mockReset().mockResolvedValue({ items: [], next_cursor: null });
  });

  it('start from the URL, apply trimmed on the first page, and clear', async () => {
    const user = userEvent.setup();
    renderWithProviders(<NotificationsPage />, { route: '/notifications?status=FAILED&cursor=c2&back=c1', path: '/notifications' });
    await screen.findByText('No notifications match these filters.');
    expect(lastFilter()).toMatchObject({ status: 'FAILED', cursor: 'c2' });
    expect((screen.getByLabelText('Status') as HTMLSelectElement).value).toBe('FAILED');

    await user.selectOptions(screen.getByLabelText('Channel'), 'SMS');
    await user.type(screen.getByLabelText('Message kind'), '  video-ready ');
    expect(lastFilter()).toMatchObject({ channel: undefined });
    await user.click(screen.getByRole('button', { name: 'Apply filters' }));
    await waitFor(() =>
      expect(lastFilter()).toEqual({
        status: 'FAILED', channel: 'SMS', kind: 'video-ready', account: undefined, sort: undefined, cursor: undefined, limit: 50,
      }),
    );
    expect((screen.getByLabelText('Message kind') as HTMLInputElement).value).toBe('video-ready');

    await user.click(screen.getByRole('button', { name: 'Clear filters' }));
    await waitFor(() => expect(lastFilter()).toMatchObject({ status: undefined, channel: undefined, kind: undefined }));
    expect((screen.getByLabelText('Channel') as HTMLSelectElement).value).toBe('');
  });
});
