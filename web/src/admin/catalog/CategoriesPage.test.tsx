import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { reads, writes } from '../../shared/api';
import { ApiError } from '../../shared/problem';
import { renderWithProviders } from '../test-utils';
import CategoriesPage from './CategoriesPage';

vi.mock('../../shared/api', () => ({
  reads: { admin: { categories: vi.fn() } },
  writes: { updateCategory: vi.fn(), deleteCategory: vi.fn(), setCategoryActive: vi.fn(), createCategory: vi.fn() },
}));

type Item = { id: string; name: string; version?: number; active?: boolean; description?: string };
const PAGES: Record<string, { items: Item[]; next_cursor: string | null }> = {
  first: {
    items: [{ id: 'a', name: 'Animation', version: 3, active: true }, { id: 'b', name: 'Biography', version: 1, active: true }],
    next_cursor: 'cursor-2',
  },
  'cursor-2': { items: [{ id: 'c', name: 'Comedy', active: true }, { id: 'd', name: 'Documentary', active: false }], next_cursor: 'cursor-3' },
  'cursor-3': { items: [{ id: 'e', name: 'Drama', active: true }], next_cursor: null },
};
const read = () => vi.mocked(reads.admin.categories);

function names(): string[] {
  const table = screen.getByRole('table');
  return within(table)
    .getAllByRole('row')
    .slice(1)
    .map((row) => within(row).getAllByRole('cell')[0].textContent ?? '');
}

/** Opens the list, edits Animation into "Animated films" and saves. */
async function renameAnimation(user: ReturnType<typeof userEvent.setup>) {
  renderWithProviders(<CategoriesPage />, { route: '/categories', path: '/categories' });
  await user.click(await screen.findByRole('button', { name: 'Edit Animation' }));
  const name = screen.getByLabelText('Name');
  await user.clear(name);
  await user.type(name, 'Animated films');
  await user.click(screen.getByRole('button', { name: 'Save category' }));
}

describe('the categories list', () => {
  beforeEach(() => {
    read().mockReset().mockImplementation(async (params = {}) => PAGES[params.cursor ?? 'first']);
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
    const cursors = read().mock.calls.map((call) => call[0]?.cursor);
    expect(cursors.slice(0, 3)).toEqual([undefined, 'cursor-2', 'cursor-3']);
    expect(cursors.at(-1)).toBeUndefined();
  });

  it('finds by the start of the name and orders through the API', async () => {
    const user = userEvent.setup();
    renderWithProviders(<CategoriesPage />, { route: '/categories', path: '/categories' });
    await screen.findByText('Animation');
    expect(names()).toEqual(['Animation', 'Biography']);

    read().mockResolvedValue({ items: [{ id: 'b', name: 'Biography', active: true }], next_cursor: null });
    await user.type(screen.getByLabelText('Name starts with'), ' bio ');
    await user.click(screen.getByRole('button', { name: 'Find' }));
    await waitFor(() => expect(names()).toEqual(['Biography']));
    expect(read().mock.calls.at(-1)?.[0]).toEqual({ q: 'bio', sort: undefined, cursor: undefined, limit: 50 });
    expect(screen.getByText('Names starting with “bio”, A–Z.')).toBeTruthy();

    read().mockResolvedValue({ items: [], next_cursor: null });
    await user.clear(screen.getByLabelText('Name starts with'));
    await user.type(screen.getByLabelText('Name starts with'), 'x');
    await user.selectOptions(screen.getByLabelText('Order'), 'Name Z–A');
    await user.click(screen.getByRole('button', { name: 'Find' }));
    await screen.findByText('No category name starts with “x”.');
    expect(read().mock.calls.at(-1)?.[0]).toMatchObject({ q: 'x', sort: '-name' });
  });

  it('shows inactive categories, with Activate instead of Deactivate', async () => {
    const user = userEvent.setup();
    renderWithProviders(<CategoriesPage />, { route: '/categories?cursor=cursor-2', path: '/categories' });
    const row = (await screen.findByText('Documentary')).closest('tr')!;
    expect(within(row).getByText('Inactive')).toBeTruthy();
    expect(within(row).queryByRole('button', { name: 'Deactivate Documentary' })).toBeNull();
    vi.mocked(writes.setCategoryActive).mockReset().mockResolvedValue({ id: 'd', version: 2, event_ids: [] });
    await user.click(within(row).getByRole('button', { name: 'Activate Documentary' }));
    await screen.findByText('Activated “Documentary”.');
    expect(vi.mocked(writes.setCategoryActive).mock.calls[0].slice(0, 2)).toEqual(['d', true]);
  });

  it('edits with If-Match from the version the list carries, under one key per submission', async () => {
    await renameAnimation(userEvent.setup());

    await screen.findByText('Saved “Animated films”.');
    const [id, input, version, options] = vi.mocked(writes.updateCategory).mock.calls[0];
    expect([id, input, version]).toEqual(['a', { name: 'Animated films', description: null }, 3]);
    expect(options?.idempotencyKey).toMatch(/.+/);
    await waitFor(() => expect(read()).toHaveBeenCalledTimes(2));
  });

  it('deactivates a category after asking; the list read again shows it inactive', async () => {
    vi.mocked(writes.setCategoryActive).mockReset().mockResolvedValue({ id: 'a', version: 4, event_ids: [] });
    const user = userEvent.setup();
    renderWithProviders(<CategoriesPage />, { route: '/categories', path: '/categories' });
    await user.click(await screen.findByRole('button', { name: 'Deactivate Animation' }));
    read().mockResolvedValue({ items: [{ ...PAGES.first.items[0], active: false, version: 4 }, PAGES.first.items[1]], next_cursor: null });
    await user.click(screen.getByRole('button', { name: 'Deactivate' }));

    await screen.findByText('Deactivated “Animation”.');
    expect(vi.mocked(writes.setCategoryActive).mock.calls[0].slice(0, 2)).toEqual(['a', false]);
    const row = screen.getByText('Animation').closest('tr')!;
    await waitFor(() => expect(within(row).getByText('Inactive')).toBeTruthy());
    expect(within(row).getByRole('button', { name: 'Activate Animation' })).toBeTruthy();
  });

  describe('when someone else saved first (409)', () => {
    const conflict = () =>
      new ApiError({
        type: 'version-conflict',
        title: 'The resource changed since you read it',
        status: 409,
        detail: 'If-Match expected version 3 but it is at version 5; re-read it and decide again',
        current_version: 5,
      });

    async function editAnimation(user: ReturnType<typeof userEvent.setup>) {
      await renameAnimation(user);
      return screen.findByRole('alertdialog', { name: 'Someone else changed this category' });
    }

    it('offers to overwrite: resends over the version the conflict reported, under a new key', async () => {
      vi.mocked(writes.updateCategory).mockReset().mockRejectedValueOnce(conflict()).mockResolvedValueOnce({ id: 'a', version: 6, event_ids: [] });
      const user = userEvent.setup();
      const dialog = await editAnimation(user);
      expect(document.activeElement).toBe(dialog);
      expect(screen.getByLabelText('Name')).toHaveProperty('value', 'Animated films');

      await user.click(within(dialog).getByRole('button', { name: 'Overwrite (save yours over theirs)' }));
      await screen.findByText('Saved “Animated films”.');
      const [first, second] = vi.mocked(writes.updateCategory).mock.calls;
      expect(first.slice(0, 3)).toEqual(['a', { name: 'Animated films', description: null }, 3]);
      expect(second.slice(0, 3)).toEqual(['a', { name: 'Animated films', description: null }, 5]);
      // Another If-Match is another request: the API refuses a key reused with other headers.
      expect(second[3]?.idempotencyKey).not.toBe(first[3]?.idempotencyKey);
    });

    it('offers to reload: reads the list again and opens the form on what is saved now', async () => {
      let fresh = false;
      read().mockImplementation(async (params = {}) =>
        fresh && !params.cursor
          ? { items: [{ id: 'a', name: 'Animation (theirs)', description: 'Their text', version: 5, active: true }, PAGES.first.items[1]], next_cursor: 'cursor-2' }
          : PAGES[params.cursor ?? 'first'],
      );
      vi.mocked(writes.updateCategory).mockReset().mockRejectedValueOnce(conflict()).mockResolvedValueOnce({ id: 'a', version: 6, event_ids: [] });
      const user = userEvent.setup();
      const dialog = await editAnimation(user);

      fresh = true;
      await user.click(within(dialog).getByRole('button', { name: 'Reload (lose your changes)' }));
      await screen.findByRole('heading', { name: 'Edit “Animation (theirs)”' });
      expect(screen.queryByRole('alertdialog')).toBeNull();
      expect(screen.getByLabelText('Name')).toHaveProperty('value', 'Animation (theirs)');
      expect(screen.getByLabelText('Description')).toHaveProperty('value', 'Their text');
      expect(screen.getByText(/Reloaded: the form shows the latest saved version/)).toBeTruthy();

      // A save now is based on their version.
      await user.click(screen.getByRole('button', { name: 'Save category' }));
      await screen.findByText('Saved “Animation (theirs)”.');
      expect(vi.mocked(writes.updateCategory).mock.calls[1].slice(0, 3)).toEqual([
        'a',
        { name: 'Animation (theirs)', description: 'Their text' },
        5,
      ]);
    });

    it('closes the form when the list does not show their version yet', async () => {
      vi.mocked(writes.updateCategory).mockReset().mockRejectedValueOnce(conflict());
      const user = userEvent.setup();
      const dialog = await editAnimation(user);
      await user.click(within(dialog).getByRole('button', { name: 'Reload (lose your changes)' }));

      await screen.findByText(/Your changes were not saved\. The list was read again/);
      expect(screen.queryByRole('heading', { name: 'Edit “Animation”' })).toBeNull();
      await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Categories', level: 1 })));
    });
  });
});
