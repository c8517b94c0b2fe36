// The signed-in viewer's account: who they are, their subscription and its payments, and what
// they can do with it (cancel, take a cancellation back, change the card, pay what is due).

import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { writes } from '../shared/api';
import { signIn, signUp } from '../shared/auth';
import { ErrorAlert } from '../shared/FieldErrors';
import type { PaymentView, Subscription } from '../shared/types';
import { useAttempt } from './attempt';
import { formatDate, formatDateTime, formatMoney, formatPrice } from './format';
import { usePageTitle } from './page';
import { PaymentError, PaymentMethodForm } from './PaymentMethodForm';
import { displayName, useSession } from './session';
import { CANCELABLE, MY_SUBSCRIPTION, PAYABLE, statusLabel, statusTone, useMySubscription } from './subscription';

export function AccountPage() {
  usePageTitle('Your account');
  const { user, loading } = useSession();
  if (loading) return <p aria-live="polite">Loading…</p>;
  if (!user) {
    return (
      <>
        <h1>Your account</h1>
        <p>Sign in to see your subscription and payments.</p>
        <div className="vw-actions">
          <button type="button" className="primary" onClick={() => void signIn('/account')}>Sign in</button>
          <button type="button" onClick={() => void signUp('/account')}>Sign up</button>
        </div>
      </>
    );
  }
  return (
    <>
      <h1>Your account</h1>
      <section className="vw-panel" aria-labelledby="profile-heading">
        <h2 id="profile-heading">Profile</h2>
        <dl className="vw-facts">
          <div><dt>Name</dt><dd>{displayName(user)}</dd></div>
          {user.profile.email && <div><dt>Email</dt><dd>{user.profile.email}</dd></div>}
        </dl>
      </section>
      <SubscriptionSection />
    </>
  );
}

function SubscriptionSection() {
  const subscription = useMySubscription();
  return (
    <section className="vw-panel" aria-labelledby="subscription-heading">
      <h2 id="subscription-heading">Subscription</h2>
      {subscription.isPending && <p aria-live="polite">Loading your subscription…</p>}
      {subscription.isError && (
        <div>
          <ErrorAlert error={subscription.error} />
          <button type="button" onClick={() => void subscription.refetch()}>Try again</button>
        </div>
      )}
      {subscription.data === null && (
        <>
          <p>You have no subscription yet.</p>
          <Link className="cf-button primary" to="/plans">See plans</Link>
        </>
      )}
      {subscription.data && <SubscriptionDetails subscription={subscription.data} />}
    </section>
  );
}

function SubscriptionDetails({ subscription: s }: { subscription: Subscription }) {
  const [notice, setNotice] = useState<string>();
  const queryClient = useQueryClient();
  const after = (message: string) => {
    setNotice(message);
    return queryClient.invalidateQueries({ queryKey: MY_SUBSCRIPTION });
  };
  const until = s.access?.until;
  return (
    <>
      {notice && <p className="cf-alert ok" role="status">{notice}</p>}
      <StatusNotice subscription={s} />
      <dl className="vw-facts vw-facts-grid">
        <div><dt>Plan</dt><dd>{s.plan_name ?? 'Plan'}</dd></div>
        <div><dt>Status</dt><dd><span className={`cf-badge ${statusTone(s.status)}`}>{statusLabel(s.status)}</span></dd></div>
        <div><dt>Price</dt><dd>{formatPrice(s.amount_minor, s.currency, s.billing_period)}</dd></div>
        <div><dt>Started</dt><dd>{formatDate(s.started_at)}</dd></div>
        {s.trial_ends_at && s.status === 'TRIALING' && <div><dt>Trial ends</dt><dd>{formatDate(s.trial_ends_at)}</dd></div>}
        {(s.status === 'ACTIVE' || s.status === 'TRIALING') && (
          <div><dt>{s.status === 'TRIALING' ? 'First charge' : 'Renews'}</dt><dd>{formatDate(s.next_due_at ?? s.current_period_end)}</dd></div>
        )}
        {s.access?.granted && until && <div><dt>Access until</dt><dd>{formatDate(until)}</dd></div>}
        {s.ends_at && <div><dt>{s.status === 'EXPIRED' ? 'Ended' : 'Ends'}</dt><dd>{formatDate(s.ends_at)}</dd></div>}
        {s.payment_method && <div><dt>Payment method</dt><dd><code>{s.payment_method}</code></dd></div>}
      </dl>

      {PAYABLE.includes(s.status) && (
        <PayNow id={s.id} method={s.payment_method} onPaid={() => after('Payment approved: your subscription is active.')} />
      )}
      {s.status === 'CANCELED' && s.access?.granted && (
        <Uncancel id={s.id} onDone={() => after('Cancellation taken back: your subscription continues.')} />
      )}
      {CANCELABLE.includes(s.status) && (
        <section className="vw-subpanel" aria-labelledby="card-heading">
          <h3 id="card-heading">{PAYABLE.includes(s.status) ? 'Pay with another card' : 'Payment method'}</h3>
          <PaymentMethodForm
            subscriptionId={s.id}
            payAfter={PAYABLE.includes(s.status)}
            current={s.payment_method}
            onDone={(message) => void after(message)}
          />
        </section>
      )}
      {CANCELABLE.includes(s.status) && <Cancel subscription={s} onDone={() => after('Your subscription is canceled.')} />}
      {(s.status === 'CANCELED' || s.status === 'EXPIRED') && !s.access?.granted && (
        <p><Link className="cf-button primary" to="/plans">Subscribe again</Link></p>
      )}
      <Payments payments={s.payments} />
    </>
  );
}

function StatusNotice({ subscription: s }: { subscription: Subscription }) {
  switch (s.status) {
    case 'PAST_DUE':
      return (
        <div className="cf-alert" role="alert">
          Your last payment failed. {s.access?.granted && s.access.until ? `You can watch until ${formatDate(s.access.until)}; pay` : 'Pay'} now to keep watching.
        </div>
      );
    case 'INCOMPLETE':
      return <div className="cf-alert" role="alert">Your first payment was declined, so your subscription has not started. Pay with another card to start watching.</div>;
    case 'CANCELED':
      return s.access?.granted ? (
        <div className="cf-alert info">You canceled this subscription. You can still watch until {formatDate(s.access.until ?? s.ends_at)}.</div>
      ) : null;
    default:
      return null;
  }
}

function PayNow({ id, method, onPaid }: { id: string; method?: string | null; onPaid: () => void }) {
  // One key per attempt: a retry after no answer or a 5xx is the same payment, never a second;
  // with another card on file it is another attempt.
  const attempt = useAttempt();
  const pay = useMutation({
    mutationFn: () => attempt.run({ pay: id, paymentMethod: method }, (o) => writes.pay(id, o)),
    onSuccess: onPaid,
  });
  return (
    <div className="vw-subpanel">
      {pay.isError && <PaymentError error={pay.error} />}
      <button type="button" className="primary" onClick={() => pay.mutate()} disabled={pay.isPending}>
        {pay.isPending ? 'Paying…' : 'Pay now'}
      </button>
    </div>
  );
}

function Uncancel({ id, onDone }: { id: string; onDone: () => void }) {
  const attempt = useAttempt();
  const uncancel = useMutation({ mutationFn: () => attempt.run({ uncancel: id }, (o) => writes.uncancel(id, o)), onSuccess: onDone });
  return (
    <div className="vw-subpanel">
      <ErrorAlert error={uncancel.error} />
      <button type="button" className="primary" onClick={() => uncancel.mutate()} disabled={uncancel.isPending}>
        {uncancel.isPending ? 'Working…' : 'Take back cancellation'}
      </button>
    </div>
  );
}

function Cancel({ subscription: s, onDone }: { subscription: Subscription; onDone: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const attempt = useAttempt();
  const cancel = useMutation({
    mutationFn: () => attempt.run({ cancel: s.id }, (o) => writes.cancel(s.id, o)),
    onSuccess: () => {
      setConfirming(false);
      onDone();
    },
  });
  // What canceling does depends on the status: a paid period is kept, an unpaid one is not.
  const consequence = PAYABLE.includes(s.status)
    ? 'Your subscription ends now.'
    : `You keep watching until ${formatDate(s.status === 'TRIALING' ? s.trial_ends_at ?? s.current_period_end : s.current_period_end)}, and you are not charged again.`;
  return (
    <section className="vw-subpanel" aria-labelledby="cancel-heading">
      <h3 id="cancel-heading">Cancel subscription</h3>
      <ErrorAlert error={cancel.error} />
      {confirming ? (
        <div role="group" aria-labelledby="cancel-question">
          <p id="cancel-question"><strong>Cancel your subscription?</strong> {consequence}</p>
          <div className="vw-actions">
            <button type="button" className="danger" onClick={() => cancel.mutate()} disabled={cancel.isPending}>
              {cancel.isPending ? 'Canceling…' : 'Yes, cancel'}
            </button>
            <button type="button" onClick={() => setConfirming(false)} autoFocus>Keep subscription</button>
          </div>
        </div>
      ) : (
        <button type="button" className="danger" onClick={() => setConfirming(true)}>Cancel subscription</button>
      )}
    </section>
  );
}

function Payments({ payments }: { payments: PaymentView[] }) {
  return (
    <section className="vw-subpanel" aria-labelledby="payments-heading">
      <h3 id="payments-heading">Payments</h3>
      {payments.length === 0 ? (
        <p className="cf-muted">No payments yet.</p>
      ) : (
        <div className="vw-table-wrap">
          <table>
            <thead>
              <tr><th scope="col">Date</th><th scope="col">Amount</th><th scope="col">Result</th><th scope="col">Details</th></tr>
            </thead>
            <tbody>
              {newestFirst(payments).map((p, i) => (
                <tr key={p.charge_id ?? `${p.at}-${i}`}>
                  <td>{formatDateTime(p.at)}</td>
                  <td>{formatMoney(p.amount_minor, p.currency)}</td>
                  <td>
                    <span className={`cf-badge ${p.outcome === 'APPROVED' ? 'ok' : 'danger'}`}>
                      {p.outcome === 'APPROVED' ? 'Paid' : p.outcome === 'DECLINED' ? 'Declined' : p.outcome}
                    </span>
                  </td>
                  <td>
                    {p.reason ?? (p.period_start && p.period_end ? `${formatDate(p.period_start)} – ${formatDate(p.period_end)}` : '')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function newestFirst(payments: PaymentView[]): PaymentView[] {
  return [...payments].sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
}
