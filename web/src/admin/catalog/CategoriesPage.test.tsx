import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { reads, writes } from '../../shared/api';
import { ApiError } from '../../shared/problem';
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
    await renameAnimation(userEvent.setup());

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
      vi.mocked(reads.categories).mockImplementation(async (cursor?: string) =>
        fresh && !cursor
          ? { items: [{ id: 'a', name: 'Animation (theirs)', description: 'Their text', version: 5 }, PAGES.first.items[1]], next_cursor: 'cursor-2' }
          : PAGES[cursor ?? 'first'],
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
