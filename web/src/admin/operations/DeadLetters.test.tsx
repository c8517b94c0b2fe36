import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { operations } from '../../shared/api';
import type { DeadLetter, DeadLetterPage } from '../../shared/types';
import { renderWithProviders } from '../test-utils';
import ConsumerPage from './ConsumerPage';
import DeadLettersPage from './DeadLettersPage';

vi.mock('../../shared/api', () => ({
  operations: { consumers: vi.fn(), deadLetters: vi.fn(), redrive: vi.fn() },
}));

function letter(overrides: Partial<DeadLetter> = {}): DeadLetter {
  return {
    id: '0-4',
    topic: 'codeflix.catalog.video.events',
    partition: 0,
    offset: 41,
    key: 'video-1',
    event_type: 'VideoUploaded',
    event_id: 'e-1',
    occurred_at: '2026-12-06T10:00:00Z',
    dead_lettered_at: '2026-12-06T10:05:00Z',
    reason: 'encoding failed 3 times: ffmpeg crashed',
    redriven: false,
    ...overrides,
  };
}

function page(items: DeadLetter[], overrides: Partial<DeadLetterPage> = {}): DeadLetterPage {
  return {
    consumer: 'encoder',
    description: 'The encoder: uploads whose encoding failed every attempt.',
    items,
    total: items.length,
    waiting: items.filter((l) => !l.redriven).length,
    matching: items.length,
    next_cursor: null,
    ...overrides,
  };
}

const lastParams = () => vi.mocked(operations.deadLetters).mock.calls.at(-1)?.[1];

describe('the dead letters overview', () => {
  beforeEach(() => {
    vi.mocked(operations.consumers).mockReset();
    vi.mocked(operations.redrive).mockReset();
  });

  it('lists every consumer with its counts, and re-drives one after asking', async () => {
    const user = userEvent.setup();
    vi.mocked(operations.consumers)
      .mockResolvedValueOnce({
        items: [
          { name: 'catalog', description: 'The catalog projection.', dead_letters: 0, waiting: 0 },
          { name: 'encoder', description: 'The encoder.', dead_letters: 3, waiting: 2 },
        ],
      })
      .mockResolvedValue({
        items: [
          { name: 'catalog', description: 'The catalog projection.', dead_letters: 0, waiting: 0 },
          { name: 'encoder', description: 'The encoder.', dead_letters: 3, waiting: 0 },
        ],
      });
    vi.mocked(operations.redrive).mockResolvedValue({ consumer: 'encoder', redriven: 2 });
    renderWithProviders(<DeadLettersPage />);

    const table = await screen.findByRole('region', { name: 'Consumers' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((row) => within(row).getAllByRole('cell').slice(0, 4).map((c) => c.textContent))).toEqual([
      ['catalog', 'The catalog projection.', '0', '0'],
      ['encoder', 'The encoder.', '3', '2'],
    ]);
    expect(within(rows[0]).queryByRole('button')).toBeNull();
    expect(within(rows[0]).getByRole('link', { name: 'catalog' }).getAttribute('href')).toBe('/dead-letters/catalog');

    await user.click(within(rows[1]).getByRole('button', { name: 'Re-drive 2 waiting of encoder' }));
    expect(operations.redrive).not.toHaveBeenCalled();
    expect(screen.getByText('Send 2 dead letters back to encoder?')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Re-drive' }));
    expect(operations.redrive).toHaveBeenCalledWith('encoder');
    expect((await screen.findByRole('status')).textContent).toContain('Sent 2 dead letters back to encoder.');
    // The counts are read again: nothing waits any more.
    await waitFor(() => expect(within(rows[1]).getAllByRole('cell')[3].textContent).toBe('0'));
  });

  it('says why the consumers could not be read, with a retry', async () => {
    vi.mocked(operations.consumers).mockRejectedValue(new Error('reading the dead letters of catalog failed'));
    renderWithProviders(<DeadLettersPage />);
    expect((await screen.findByRole('alert')).textContent).toContain('reading the dead letters of catalog failed');
  });
});

describe('a consumer’s dead letters', () => {
  beforeEach(() => {
    vi.mocked(operations.deadLetters).mockReset();
    vi.mocked(operations.redrive).mockReset();
  });

  it('shows each letter’s event, origin, reason and status, filtered from the URL', async () => {
    const user = userEvent.setup();
    vi.mocked(operations.deadLetters).mockResolvedValue(
      page([letter(), letter({ id: '0-5', offset: 42, key: 'video-2', redriven: true })], { next_cursor: '0-5' }),
    );
    renderWithProviders(<ConsumerPage />, { route: '/dead-letters/encoder?status=waiting', path: '/dead-letters/:consumer' });

    const table = await screen.findByRole('region', { name: 'Dead letters' });
    expect(vi.mocked(operations.deadLetters).mock.calls[0][0]).toBe('encoder');
    expect(lastParams()).toEqual({ status: 'waiting', key: undefined, cursor: undefined, limit: 50 });
    const [first, second] = within(table).getAllByRole('row').slice(1);
    expect(first.textContent).toContain('VideoUploaded');
    expect(first.textContent).toContain('key video-1');
    expect(first.textContent).toContain('codeflix.catalog.video.events');
    expect(first.textContent).toContain('partition 0, offset 41');
    expect(first.textContent).toContain('encoding failed 3 times: ffmpeg crashed');
    expect(within(first).getByText('Waiting')).toBeTruthy();
    expect(within(second).getByText('Re-driven')).toBeTruthy();
    expect(screen.getByText(/2 dead letters, 1 waiting to be sent back/)).toBeTruthy();

    await user.type(screen.getByLabelText('Key'), ' video-2 ');
    await user.click(screen.getByRole('button', { name: 'Apply filters' }));
    await waitFor(() => expect(lastParams()).toEqual({ status: 'waiting', key: 'video-2', cursor: undefined, limit: 50 }));

    await user.click(screen.getByRole('button', { name: 'Next page' }));
    await waitFor(() => expect(lastParams()).toMatchObject({ key: 'video-2', cursor: '0-5' }));
  });

  it('tells an empty topic from filters that match nothing', async () => {
    vi.mocked(operations.deadLetters).mockResolvedValueOnce(page([]));
    const { unmount } = renderWithProviders(<ConsumerPage />, { route: '/dead-letters/catalog', path: '/dead-letters/:consumer' });
    expect(await screen.findByText('Nothing was set aside: no dead letters.')).toBeTruthy();
    expect(screen.queryByRole('button', { name: /Re-drive/ })).toBeNull();
    unmount();

    vi.mocked(operations.deadLetters).mockResolvedValueOnce(page([], { total: 4, waiting: 0 }));
    renderWithProviders(<ConsumerPage />, { route: '/dead-letters/catalog?status=waiting', path: '/dead-letters/:consumer' });
    expect(await screen.findByText('No dead letter matches these filters.')).toBeTruthy();
  });

  it('shows the API’s refusal of a redrive', async () => {
    const user = userEvent.setup();
    vi.mocked(operations.deadLetters).mockResolvedValue(page([letter()]));
    vi.mocked(operations.redrive).mockRejectedValue(Object.assign(new Error('Not allowed'), { status: 403 }));
    renderWithProviders(<ConsumerPage />, { route: '/dead-letters/encoder', path: '/dead-letters/:consumer' });
    await user.click(await screen.findByRole('button', { name: 'Re-drive 1 waiting of encoder' }));
    await user.click(screen.getByRole('button', { name: 'Re-drive' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Not allowed');
    expect(screen.queryByRole('status')).toBeNull();
  });
});
