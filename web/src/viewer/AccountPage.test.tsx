import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { reads, writes } from '../shared/api';
import { currentUser } from '../shared/auth';
import { AccountPage } from './AccountPage';
import { subscription } from './fixtures';
import { formatMoney } from './format';
import { apiError, fakeUser, renderAt } from './testing';

vi.mock('../shared/api', () => ({
  reads: { mySubscription: vi.fn() },
  writes: { cancel: vi.fn(), uncancel: vi.fn(), pay: vi.fn(), changePaymentMethod: vi.fn() },
}));
vi.mock('../shared/auth', () => ({
  currentUser: vi.fn(),
  onUserChange: vi.fn(async () => () => undefined),
  signIn: vi.fn(),
  signUp: vi.fn(),
}));

const written = { id: subscription().id, version: 2, event_ids: [], consistency_token: 't:1:2' };

describe('the account page', () => {
  beforeEach(() => {
    vi.clearAllMocks();
    vi.mocked(currentUser).mockResolvedValue(fakeUser('Ana'));
  });

  it('shows the subscription, and cancels it only once confirmed', async () => {
    vi.mocked(reads.mySubscription)
      .mockResolvedValueOnce(subscription())
      .mockResolvedValue(subscription({ status: 'CANCELED', ends_at: '2026-02-01T00:00:00Z', canceled_at: '2026-01-10T00:00:00Z' }));
    vi.mocked(writes.cancel).mockResolvedValue(written);
    renderAt('/account', '/account', <AccountPage />);
    expect(await screen.findByText('Active')).toBeTruthy();
    expect(screen.getByText('Ana')).toBeTruthy();
    expect(screen.getByText(text(`${formatMoney(2990, 'BRL')} / month`))).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Cancel subscription' }));
    expect(writes.cancel).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole('button', { name: 'Yes, cancel' }));
    await waitFor(() => expect(writes.cancel).toHaveBeenCalledWith(subscription().id));
    // Read again after the write: the new state shows, with the way back.
    expect(await screen.findByRole('button', { name: 'Take back cancellation' })).toBeTruthy();
    expect(screen.getByText('Canceled')).toBeTruthy();
    expect(reads.mySubscription).toHaveBeenCalledTimes(2);
  });

  it('offers paying now when past due, and shows a decline', async () => {
    vi.mocked(reads.mySubscription).mockResolvedValue(subscription({ status: 'PAST_DUE', access: { granted: true, until: '2026-02-05T00:00:00Z' } }));
    vi.mocked(writes.pay).mockRejectedValue(apiError(402, 'Your card has insufficient funds.'));
    renderAt('/account', '/account', <AccountPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Pay now' }));
    await waitFor(() => expect(screen.getByText('The payment was declined: Your card has insufficient funds.')).toBeTruthy());
  });

  it('says when there is no subscription yet', async () => {
    vi.mocked(reads.mySubscription).mockRejectedValue(apiError(404, 'no subscription'));
    renderAt('/account', '/account', <AccountPage />);
    expect(await screen.findByText('You have no subscription yet.')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'See plans' })).toBeTruthy();
  });

  it('asks a signed-out visitor to sign in', async () => {
    vi.mocked(currentUser).mockResolvedValue(null);
    renderAt('/account', '/account', <AccountPage />);
    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeTruthy();
    expect(reads.mySubscription).not.toHaveBeenCalled();
  });
});

/** As the DOM queries read text: runs of white space (a currency's no-break space) as one space. */
function text(value: string): string {
  return value.replace(/\s+/g, ' ');
}
