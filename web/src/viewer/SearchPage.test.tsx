import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { reads } from '../shared/api';
import { searchPage } from './fixtures';
import { SearchPage } from './SearchPage';
import { renderAt } from './testing';

vi.mock('../shared/api', () => ({ reads: { search: vi.fn() } }));
vi.mock('../shared/auth', () => ({
  currentUser: vi.fn(async () => null),
  onUserChange: vi.fn(async () => () => undefined),
}));

const search = vi.mocked(reads.search);

describe('search results', () => {
  beforeEach(() => {
    search.mockReset();
    search.mockResolvedValue(searchPage());
  });

  it('passes the words as typed (the API tolerates the typo) and shows the total', async () => {
    renderAt('/search?q=brazl', '/search', <SearchPage />);
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('2 videos found'));
    expect(search).toHaveBeenCalledWith(expect.objectContaining({ q: 'brazl', limit: 20 }));
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Results for “brazl”');
  });

  it('marks the matched words and keeps everything else text', async () => {
    const { container } = renderAt('/search?q=brazl', '/search', <SearchPage />);
    const title = await screen.findByRole('link', { name: 'Brasil em Foco' });
    expect(title.querySelector('mark')?.textContent).toBe('Brasil');
    // Escaped markup in a description stays visible text, never an element.
    expect(container.querySelector('img')).toBeNull();
    expect(container.textContent).toContain('A journey through Brasil & <img src=x onerror=alert(1)> friends.');
    expect([...container.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['Brasil', 'Brasil', 'Brasil']);
  });

  it('lists the facets with their counts', async () => {
    renderAt('/search?q=brazl', '/search', <SearchPage />);
    const filters = await screen.findByRole('complementary', { name: 'Filters' });
    const genres = within(filters).getByRole('region', { name: 'Genres' });
    expect(within(genres).getAllByRole('link').map((l) => l.textContent)).toEqual(['Travel (1)', 'Music (1)']);
    expect(within(filters).getByRole('link', { name: 'Rita Lee (1)' })).toBeTruthy();
    expect(within(filters).getByRole('link', { name: '2021 (2)' })).toBeTruthy();
    expect(within(filters).getByRole('link', { name: 'Rated 12 (2)' })).toBeTruthy();
  });

  it('narrows the search when a facet is clicked, and widens it again from the chosen filter', async () => {
    const view = renderAt('/search?q=brazl', '/search', <SearchPage />);
    fireEvent.click(await screen.findByRole('link', { name: 'Music (1)' }));
    await waitFor(() => expect(search).toHaveBeenLastCalledWith(expect.objectContaining({ q: 'brazl', genre: 'g2' })));
    expect(view.location()).toBe('/search?q=brazl&genre=g2');

    // The chosen value reads as chosen, and a chip removes it.
    const chosen = await screen.findByRole('link', { name: /Music \(1\), selected/ });
    expect(chosen.getAttribute('aria-current')).toBe('true');
    fireEvent.click(within(screen.getByRole('list', { name: 'Chosen filters' })).getByRole('link', { name: 'Remove filter Music' }));
    await waitFor(() => expect(view.location()).toBe('/search?q=brazl'));
    expect(search).toHaveBeenLastCalledWith(expect.objectContaining({ genre: undefined }));
  });

  it('says when nothing matches', async () => {
    search.mockResolvedValue({ total: 0, items: [], facets: { categories: [], genres: [], cast_members: [], launch_years: [], ratings: [] } });
    renderAt('/search?q=zzzz', '/search', <SearchPage />);
    expect((await screen.findByText(/No videos match “zzzz”/)).textContent).toContain('Check the spelling');
    expect(screen.getByRole('status').textContent).toBe('0 videos found');
    expect(screen.queryByRole('complementary', { name: 'Filters' })).toBeNull();
  });
});
