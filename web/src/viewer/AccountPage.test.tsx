import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
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
    await waitFor(() => expect(writes.cancel).toHaveBeenCalledWith(subscription().id, { idempotencyKey: expect.any(String) }));
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

  it('retries a payment that got no answer under the same key: one payment, never two', async () => {
    vi.mocked(reads.mySubscription).mockResolvedValue(subscription({ status: 'PAST_DUE', access: { granted: true, until: '2026-02-05T00:00:00Z' } }));
    vi.mocked(writes.pay)
      .mockRejectedValueOnce(apiError(0, 'Codeflix cannot be reached; check the connection and try again.'))
      .mockRejectedValueOnce(apiError(503, 'The service is not answering properly; try again in a moment.'))
      .mockResolvedValueOnce({ ...written, status: 'ACTIVE', payment: { outcome: 'APPROVED', charge_id: 'ch_2' } });
    renderAt('/account', '/account', <AccountPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Pay now' }));
    await screen.findByText('Codeflix cannot be reached; check the connection and try again.');
    fireEvent.click(screen.getByRole('button', { name: 'Pay now' }));
    await screen.findByText('The service is not answering properly; try again in a moment.');
    fireEvent.click(screen.getByRole('button', { name: 'Pay now' }));
    await screen.findByText('Payment approved: your subscription is active.');

    const keys = vi.mocked(writes.pay).mock.calls.map(([id, options]) => {
      expect(id).toBe(subscription().id);
      return options?.idempotencyKey;
    });
    expect(keys).toHaveLength(3);
    expect(keys[0]).toMatch(/.+/);
    expect(new Set(keys).size).toBe(1);
  });

  it('pays under a new key once the last payment was answered (declined, or approved)', async () => {
    vi.mocked(reads.mySubscription).mockResolvedValue(subscription({ status: 'PAST_DUE', access: { granted: true, until: '2026-02-05T00:00:00Z' } }));
    vi.mocked(writes.pay)
      .mockRejectedValueOnce(apiError(402, 'Your card has insufficient funds.'))
      .mockResolvedValueOnce({ ...written, status: 'ACTIVE', payment: { outcome: 'APPROVED', charge_id: 'ch_2' } })
      .mockResolvedValueOnce({ ...written, status: 'ACTIVE', payment: { outcome: 'APPROVED', charge_id: 'ch_3' } });
    renderAt('/account', '/account', <AccountPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Pay now' }));
    await screen.findByText('The payment was declined: Your card has insufficient funds.');
    // The API keys the charge by the request's key: the same key would only replay the decline.
    fireEvent.click(screen.getByRole('button', { name: 'Pay now' }));
    await screen.findByText('Payment approved: your subscription is active.');
    fireEvent.click(screen.getByRole('button', { name: 'Pay now' }));
    await waitFor(() => expect(writes.pay).toHaveBeenCalledTimes(3));

    const keys = vi.mocked(writes.pay).mock.calls.map(([, options]) => options?.idempotencyKey);
    expect(new Set(keys).size).toBe(3);
  });

  it('changes the card and pays with it, retrying the payment under its key, and a new card under new ones', async () => {
    vi.mocked(reads.mySubscription).mockResolvedValue(subscription({ status: 'INCOMPLETE', access: { granted: false }, payment_method: 'card_4000000000009995' }));
    vi.mocked(writes.changePaymentMethod).mockResolvedValue(written);
    vi.mocked(writes.pay)
      .mockRejectedValueOnce(apiError(503, 'The service is not answering properly; try again in a moment.'))
      .mockRejectedValueOnce(apiError(503, 'The service is not answering properly; try again in a moment.'))
      .mockResolvedValueOnce({ ...written, status: 'ACTIVE', payment: { outcome: 'APPROVED', charge_id: 'ch_2' } });
    renderAt('/account', '/account', <AccountPage />);
    const form = await screen.findByRole('form', { name: 'Pay with another card' });
    const pay = within(form).getByRole('button', { name: 'Pay with this card' });
    fireEvent.click(pay);
    await within(form).findByText('The service is not answering properly; try again in a moment.');
    fireEvent.click(pay);
    await waitFor(() => expect(writes.pay).toHaveBeenCalledTimes(2));
    await within(form).findByText('The service is not answering properly; try again in a moment.');
    fireEvent.change(within(form).getByRole('textbox', { name: 'Card (test token)' }), { target: { value: 'card_5555555555554444' } });
    fireEvent.click(pay);
    await screen.findByText('Payment approved: your subscription is active.');

    const changes = vi.mocked(writes.changePaymentMethod).mock.calls;
    expect(changes.map(([, method]) => method)).toEqual(['card_4242424242424242', 'card_4242424242424242', 'card_5555555555554444']);
    const pays = vi.mocked(writes.pay).mock.calls.map(([, options]) => options?.idempotencyKey);
    expect(pays[1]).toBe(pays[0]);
    expect(pays[2]).not.toBe(pays[0]);
    // The change was answered each time: every change is its own request.
    expect(new Set(changes.map(([, , options]) => options?.idempotencyKey)).size).toBe(3);
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
