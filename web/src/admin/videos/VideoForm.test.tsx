import { fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { reads, writes } from '../../shared/api';
import { ApiError } from '../../shared/problem';
import { renderWithProviders } from '../test-utils';
import NewVideoPage from './NewVideoPage';

vi.mock('../../shared/api', () => ({
  reads: { categories: vi.fn(), genres: vi.fn(), castMembers: vi.fn() },
  writes: { createVideo: vi.fn() },
}));

const invalid = new ApiError({
  type: 'urn:codeflix:problem:validation',
  title: 'Invalid request',
  status: 422,
  detail: 'The video breaks 3 rules.',
  errors: [
    { field: 'title', rule: 'must not be blank' },
    { field: 'duration', rule: 'must be between 1 and 6000' },
    { field: 'categories[0]', rule: 'must be an active category' },
  ],
});

/** The text of the elements an input's aria-describedby points at. */
function description(element: HTMLElement): string {
  return (element.getAttribute('aria-describedby') ?? '')
    .split(' ')
    .map((id) => document.getElementById(id)?.textContent ?? '')
    .join(' ');
}

describe('the new video form', () => {
  beforeEach(() => {
    vi.mocked(reads.categories).mockResolvedValue({ items: [{ id: 'cat-1', name: 'Feature films' }], next_cursor: null });
    vi.mocked(reads.genres).mockResolvedValue({ items: [], next_cursor: null });
    vi.mocked(reads.castMembers).mockResolvedValue({ items: [{ id: 'cm-1', name: 'Fernanda Montenegro', kind: 'ACTOR' }] });
    vi.mocked(writes.createVideo).mockReset();
  });

  it('shows the API’s field errors next to the fields and the detail at the top, keeping what was typed', async () => {
    vi.mocked(writes.createVideo).mockRejectedValue(invalid);
    const user = userEvent.setup();
    renderWithProviders(<NewVideoPage />);

    await user.type(screen.getByLabelText('Description'), 'A retired teacher and a boy cross Brazil.');
    await user.type(screen.getByLabelText('Launch year'), '1998');
    await user.click(await screen.findByLabelText('Feature films'));
    await user.click(screen.getByRole('button', { name: 'Create video' }));

    const alerts = await screen.findAllByRole('alert');
    expect(alerts.map((a) => a.textContent)).toContain('The video breaks 3 rules.');

    const title = screen.getByLabelText('Title');
    expect(title.getAttribute('aria-invalid')).toBe('true');
    expect(description(title)).toContain('must not be blank');

    const duration = screen.getByLabelText('Duration (minutes)');
    expect(duration.getAttribute('aria-invalid')).toBe('true');
    expect(description(duration)).toContain('must be between 1 and 6000');

    const categories = screen.getByRole('group', { name: /Categories/ });
    expect(description(categories)).toContain('must be an active category');

    // A field the API did not refuse is not marked.
    expect(screen.getByLabelText('Launch year').getAttribute('aria-invalid')).toBeNull();
    expect((screen.getByLabelText('Description') as HTMLTextAreaElement).value).toBe('A retired teacher and a boy cross Brazil.');

    const sent = vi.mocked(writes.createVideo).mock.calls[0][0];
    expect(sent).toMatchObject({ launch_year: 1998, categories: ['cat-1'], opened: false });
    // Empty numbers go as null so the API names them.
    expect(JSON.parse(JSON.stringify(sent)).duration).toBeNull();
  });

  it('resends the same Idempotency-Key for the same submission, and a new one once the form changes', async () => {
    vi.mocked(writes.createVideo).mockRejectedValue(invalid);
    const user = userEvent.setup();
    renderWithProviders(<NewVideoPage />);
    const submit = screen.getByRole('button', { name: 'Create video' });

    await user.click(submit);
    await screen.findByText('must not be blank');
    await user.click(screen.getByRole('button', { name: 'Create video' }));
    await waitFor(() => expect(writes.createVideo).toHaveBeenCalledTimes(2));
    fireEvent.change(screen.getByLabelText('Title'), { target: { value: 'Central Station' } });
    await user.click(screen.getByRole('button', { name: 'Create video' }));
    await waitFor(() => expect(writes.createVideo).toHaveBeenCalledTimes(3));

    const keys = vi.mocked(writes.createVideo).mock.calls.map((call) => call[1]?.idempotencyKey);
    expect(keys[0]).toMatch(/.+/);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
  });
});
