import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { reads, writes } from '../../shared/api';
import { renderWithProviders } from '../test-utils';
import CategoriesPage from './CategoriesPage';

vi.mock('../../shared/api', () => ({
  reads: { categories: vi.fn() },
  writes: { updateCategory: vi.fn(), deleteCategory: vi.fn(), setCategoryActive: vi.fn(), createCategory: vi.fn() },
}));

const PAGES: Record<string, { items: { id: string; name: string; version?: number }[]; next_cursor: string | null }> = {
  first: { items: [{ id: 'a', name: 'Animation', version: 3 }, { id: 'b', name: 'Biography', version: 1 }], next_cursor: 'cursor-2' },
  'cursor-2': { items: [{ id: 'c', name: 'Comedy' }, { id: 'd', name: 'Documentary' }], next_cursor: 'cursor-3' },
  'cursor-3': { items: [{ id: 'e', name: 'Drama' }], next_cursor: null },
};

function names(): string[] {
  const table = screen.getByRole('table');
  return within(table)
    .getAllByRole('row')
    .slice(1)
    .map((row) => within(row).getAllByRole('cell')[0].textContent ?? '');
}

describe('the categories list', () => {
  beforeEach(() => {
    vi.mocked(reads.categories).mockReset().mockImplementation(async (cursor?: string) => PAGES[cursor ?? 'first']);
    vi.mocked(writes.updateCategory).mockReset().mockResolvedValue({ id: 'a', version: 2, event_ids: [] });
  });

  it('pages forward with next_cursor and back with the cursors it kept', async () => {
    const user = userEvent.setup();
    renderWithProviders(<CategoriesPage />, { route: '/categories', path: '/categories' });
    await screen.findByText('Animation');

    await user.click(screen.getByRole('button', { name: 'Next page' }));
    await screen.findByText('Comedy');
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    await screen.findByText('Drama');
    expect(screen.getByText('Page 3')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Next page' }) as HTMLButtonElement).disabled).toBe(true);

    await user.click(screen.getByRole('button', { name: 'Previous page' }));
    await screen.findByText('Comedy');
    await user.click(screen.getByRole('button', { name: 'Previous page' }));
    await screen.findByText('Animation');
    expect((screen.getByRole('button', { name: 'Previous page' }) as HTMLButtonElement).disabled).toBe(true);
    const cursors = vi.mocked(reads.categories).mock.calls.map((call) => call[0]);
    expect(cursors.slice(0, 3)).toEqual([undefined, 'cursor-2', 'cursor-3']);
    expect(cursors.at(-1)).toBeUndefined();
  });

  it('filters and orders the page shown, and says so', async () => {
    const user = userEvent.setup();
    renderWithProviders(<CategoriesPage />, { route: '/categories', path: '/categories' });
    await screen.findByText('Animation');
    expect(screen.getByText(/apply to the page shown only/)).toBeTruthy();

    await user.selectOptions(screen.getByLabelText('Order'), 'Name Z–A');
    expect(names()).toEqual(['Biography', 'Animation']);
    await user.type(screen.getByLabelText('Filter this page'), 'bio');
    expect(names()).toEqual(['Biography']);
  });

  it('edits with If-Match from the version the list carries, under one key per submission', async () => {
    const user = userEvent.setup();
    renderWithProviders(<CategoriesPage />, { route: '/categories', path: '/categories' });
    await user.click(await screen.findByRole('button', { name: 'Edit Animation' }));
    const name = screen.getByLabelText('Name');
    await user.clear(name);
    await user.type(name, 'Animated films');
    await user.click(screen.getByRole('button', { name: 'Save category' }));

    await screen.findByText('Saved “Animated films”.');
    const [id, input, version, options] = vi.mocked(writes.updateCategory).mock.calls[0];
    expect([id, input, version]).toEqual(['a', { name: 'Animated films', description: null }, 3]);
    expect(options?.idempotencyKey).toMatch(/.+/);
    await waitFor(() => expect(reads.categories).toHaveBeenCalledTimes(2));
  });

  it('deactivates a category, and activates it again from the page', async () => {
    vi.mocked(writes.setCategoryActive).mockReset().mockResolvedValue({ id: 'a', version: 4, event_ids: [] });
    const user = userEvent.setup();
    renderWithProviders(<CategoriesPage />, { route: '/categories', path: '/categories' });
    await user.click(await screen.findByRole('button', { name: 'Deactivate Animation' }));
    await user.click(screen.getByRole('button', { name: 'Deactivate' }));

    await screen.findByText('Deactivated “Animation”.');
    expect(vi.mocked(writes.setCategoryActive).mock.calls[0].slice(0, 2)).toEqual(['a', false]);
    expect(screen.getByText('Deactivated here (the list shows active categories only):')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Activate “Animation” again' }));

    await screen.findByText('Activated “Animation”.');
    expect(vi.mocked(writes.setCategoryActive).mock.calls[1].slice(0, 2)).toEqual(['a', true]);
    expect(screen.queryByRole('button', { name: 'Activate “Animation” again' })).toBeNull();
  });
});
