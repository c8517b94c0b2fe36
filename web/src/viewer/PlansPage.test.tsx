import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { reads, writes } from '../shared/api';
import { currentUser, signIn } from '../shared/auth';
import type { Subscribed } from '../shared/types';
import { plan, subscription } from './fixtures';
import { formatMoney } from './format';
import { PlansPage } from './PlansPage';
import { apiError, fakeUser, renderAt } from './testing';

vi.mock('../shared/api', () => ({
  reads: { plans: vi.fn(), mySubscription: vi.fn() },
  writes: { subscribe: vi.fn(), changePaymentMethod: vi.fn(), pay: vi.fn() },
}));
vi.mock('../shared/auth', () => ({
  currentUser: vi.fn(),
  onUserChange: vi.fn(async () => () => undefined),
  signIn: vi.fn(),
  signUp: vi.fn(),
}));

const premium = plan();
const yearly = plan({ id: 'cccccccc-cccc-4ccc-8ccc-cccccccccccc', name: 'Yearly', amount_minor: 29900, currency: 'USD', billing_period: 'YEARLY', trial_days: 7 });

function started(status: string, payment: Subscribed['payment'] = null): Subscribed {
  return { id: 'sub-1', version: 1, event_ids: [], consistency_token: 't:1:1', status, payment };
}

describe('plans', () => {
  beforeEach(() => {
    vi.mocked(reads.plans).mockResolvedValue({ items: [premium, yearly], next_cursor: null });
    vi.mocked(reads.mySubscription).mockRejectedValue(apiError(404, 'no subscription'));
    vi.mocked(writes.subscribe).mockReset();
    vi.mocked(currentUser).mockResolvedValue(fakeUser());
  });

  it('shows each plan’s price, period and trial', async () => {
    renderAt('/plans', '/plans', <PlansPage />);
    const card = (await screen.findByRole('heading', { name: 'Yearly' })).closest('li')!;
    // In the reader's locale (format.test pins the formatting itself).
    expect(within(card).getByText(text(formatMoney(29900, 'USD')))).toBeTruthy();
    expect(card.textContent).toContain('/ year');
    expect(within(card).getByText('Billed yearly')).toBeTruthy();
    expect(within(card).getByText('7-day free trial')).toBeTruthy();
    const monthly = screen.getByRole('heading', { name: 'Premium' }).closest('li')!;
    expect(within(monthly).getByText(text(formatMoney(2990, 'BRL')))).toBeTruthy();
  });

  it('asks a signed-out viewer to sign in, coming back to the chosen plan', async () => {
    vi.mocked(currentUser).mockResolvedValue(null);
    renderAt('/plans', '/plans', <PlansPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Subscribe to Premium' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Sign in' }));
    expect(signIn).toHaveBeenCalledWith(`/plans?plan=${premium.id}`);
    expect(screen.queryByRole('textbox', { name: 'Card (test token)' })).toBeNull();
  });

  it('subscribes with the test card, approved', async () => {
    vi.mocked(writes.subscribe).mockResolvedValue(started('ACTIVE', { outcome: 'APPROVED', charge_id: 'ch_1' }));
    renderAt(`/plans?plan=${premium.id}`, '/plans', <PlansPage />);
    const card = await screen.findByRole('textbox', { name: 'Card (test token)' });
    expect((card as HTMLInputElement).value).toBe('card_4242424242424242');
    fireEvent.click(screen.getByRole('button', { name: 'Pay and subscribe' }));
    expect((await screen.findByRole('status')).textContent).toContain('You are subscribed to Premium');
    expect(writes.subscribe).toHaveBeenCalledWith(premium.id, 'card_4242424242424242', expect.any(String));
  });

  it('keeps the outcome in view after subscribing, although the subscription read again grants access', async () => {
    vi.mocked(writes.subscribe).mockResolvedValue(started('ACTIVE', { outcome: 'APPROVED', charge_id: 'ch_1' }));
    renderAt(`/plans?plan=${premium.id}`, '/plans', <PlansPage />);
    await screen.findByRole('textbox', { name: 'Card (test token)' });
    // From now on the API has the subscription, and says it grants access.
    vi.mocked(reads.mySubscription).mockReset().mockResolvedValue(subscription());
    fireEvent.click(screen.getByRole('button', { name: 'Pay and subscribe' }));

    const outcome = await screen.findByText('You are subscribed to Premium. Payment approved.');
    await waitFor(() => expect(reads.mySubscription).toHaveBeenCalled());
    // Read again, and still there: not replaced by the "you already have a plan" notice.
    await waitFor(() => expect(screen.getByText('Your plan')).toBeTruthy());
    expect(screen.getByText('You are subscribed to Premium. Payment approved.')).toBe(outcome);
    expect(screen.getAllByText(/You are subscribed to Premium/)).toHaveLength(1);
    expect(screen.getByRole('link', { name: 'Start watching' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Your account' })).toBeTruthy();
    // The form and its button are gone: focus is on the outcome, not lost to the body.
    expect(document.activeElement).not.toBe(document.body);
    expect(document.activeElement?.contains(outcome)).toBe(true);
  });

  it('keeps a started trial in view too', async () => {
    vi.mocked(writes.subscribe).mockResolvedValue(started('TRIALING'));
    renderAt(`/plans?plan=${yearly.id}`, '/plans', <PlansPage />);
    await screen.findByRole('textbox', { name: 'Card (test token)' });
    vi.mocked(reads.mySubscription).mockReset().mockResolvedValue(
      subscription({ plan_id: yearly.id, plan_name: 'Yearly', status: 'TRIALING' }),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Start free trial' }));

    await screen.findByText('Your 7-day free trial of Yearly has started.');
    await waitFor(() => expect(screen.getByText('Your plan')).toBeTruthy());
    expect(screen.getByText('Your 7-day free trial of Yearly has started.')).toBeTruthy();
  });

  it('shows a declined payment’s message, and keeps one idempotency key across a retry', async () => {
    vi.mocked(writes.subscribe)
      .mockRejectedValueOnce(apiError(503, 'The service is not answering properly; try again in a moment.'))
      .mockResolvedValueOnce(started('INCOMPLETE', { outcome: 'DECLINED', decline_code: 'card_declined', message: 'Your card was declined.' }));
    renderAt(`/plans?plan=${premium.id}`, '/plans', <PlansPage />);
    const card = await screen.findByRole('textbox', { name: 'Card (test token)' });
    fireEvent.change(card, { target: { value: 'card_4000000000009995' } });
    fireEvent.click(screen.getByRole('button', { name: 'Pay and subscribe' }));
    expect((await screen.findByRole('alert')).textContent).toContain('try again in a moment');

    fireEvent.click(screen.getByRole('button', { name: 'Pay and subscribe' }));
    const declined = await screen.findByText(/Your payment was declined/);
    expect(declined.textContent).toBe('Your payment was declined: Your card was declined.');

    const calls = vi.mocked(writes.subscribe).mock.calls;
    expect(calls).toHaveLength(2);
    expect(calls[0]).toEqual([premium.id, 'card_4000000000009995', expect.any(String)]);
    expect(calls[1][2]).toBe(calls[0][2]);
    // The subscription exists, waiting for payment: the next step pays it, not a new one.
    expect(screen.getByRole('button', { name: 'Pay with this card' })).toBeTruthy();
  });

  it('starts a new attempt (new key) when the card changes, and shows field errors', async () => {
    vi.mocked(writes.subscribe)
      .mockRejectedValueOnce(apiError(422, 'The request has invalid fields.', [{ field: 'payment_method', rule: 'is not a card this provider knows' }]))
      .mockResolvedValueOnce(started('TRIALING'));
    renderAt(`/plans?plan=${yearly.id}`, '/plans', <PlansPage />);
    const card = await screen.findByRole('textbox', { name: 'Card (test token)' });
    fireEvent.change(card, { target: { value: 'card_nope' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start free trial' }));
    await waitFor(() => expect(card.getAttribute('aria-invalid')).toBe('true'));
    expect(screen.getByText('is not a card this provider knows').id).toBe('error-payment_method');
    expect(card.getAttribute('aria-describedby')).toContain('error-payment_method');
    expect((card as HTMLInputElement).value).toBe('card_nope');

    fireEvent.change(card, { target: { value: 'card_4242424242424242' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start free trial' }));
    expect((await screen.findByRole('status')).textContent).toContain('7-day free trial of Yearly has started');
    const [first, second] = vi.mocked(writes.subscribe).mock.calls;
    expect(second[2]).not.toBe(first[2]);
  });

  it('does not offer a second subscription while one grants access', async () => {
    vi.mocked(reads.mySubscription).mockResolvedValue(subscription());
    renderAt('/plans', '/plans', <PlansPage />);
    expect(await screen.findByText('You are subscribed to Premium.')).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Yearly' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: /Subscribe/ })).toBeNull();
    expect(screen.getByText('Your plan')).toBeTruthy();
  });
});

/** As the DOM queries read text: runs of white space (a currency's no-break space) as one space. */
function text(value: string): string {
  return value.replace(/\s+/g, ' ');
}
