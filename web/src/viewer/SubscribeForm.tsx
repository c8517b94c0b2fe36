// Subscribing to a plan: a payment method, one click, and the outcome. One Idempotency-Key per
// attempt: a click repeated after a failure (timeout, 503) sends the same key, so the API
// answers the first request again instead of charging twice; changing the card starts a new
// attempt (the API refuses a key reused with another body).

import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { writes } from '../shared/api';
import { ErrorAlert } from '../shared/FieldErrors';
import type { Plan, Subscribed } from '../shared/types';
import { APPROVED_TEST_CARD, CardField } from './CardField';
import { formatPrice } from './format';
import { PaymentMethodForm } from './PaymentMethodForm';
import { MY_SUBSCRIPTION } from './subscription';

/** `onSubscribed`: the API answered the subscription (before the subscription is read again),
 *  so that the page keeps this form, and its outcome, in view. */
export function SubscribeForm({ plan, onSubscribed }: { plan: Plan; onSubscribed?: () => void }) {
  const queryClient = useQueryClient();
  const [method, setMethod] = useState(APPROVED_TEST_CARD);
  const attempt = useRef<{ key: string; body: string } | null>(null);
  const mutation = useMutation({
    mutationFn: (paymentMethod: string) => {
      const body = `${plan.id}\n${paymentMethod}`;
      if (attempt.current?.body !== body) attempt.current = { key: crypto.randomUUID(), body };
      return writes.subscribe(plan.id, paymentMethod, attempt.current.key);
    },
    onSuccess: () => {
      // Answered: this attempt is over; another would be a new subscription.
      attempt.current = null;
      onSubscribed?.();
      return queryClient.invalidateQueries({ queryKey: MY_SUBSCRIPTION });
    },
  });

  if (mutation.isSuccess) return <Outcome plan={plan} result={mutation.data} />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    mutation.mutate(method.trim());
  };
  const trial = plan.trial_days > 0;
  return (
    <form onSubmit={submit} noValidate aria-label={`Subscribe to ${plan.name}`}>
      <ErrorAlert error={mutation.error} />
      <p>
        {formatPrice(plan.amount_minor, plan.currency, plan.billing_period)}
        {trial
          ? `, after a ${plan.trial_days}-day free trial: the card is charged when the trial ends.`
          : ', charged now.'}
      </p>
      <CardField id="subscribe-card" label="Card (test token)" value={method} onChange={setMethod} error={mutation.error} />
      <button type="submit" className="primary" disabled={mutation.isPending}>
        {mutation.isPending ? 'Subscribing…' : trial ? 'Start free trial' : 'Pay and subscribe'}
      </button>
    </form>
  );
}

function Outcome({ plan, result }: { plan: Plan; result: Subscribed }) {
  // The form (and its focused button) is gone: the reader, and the keyboard, go to what came of it.
  const outcome = useRef<HTMLDivElement>(null);
  useEffect(() => {
    outcome.current?.focus();
  }, []);
  return (
    <div ref={outcome} tabIndex={-1} className="vw-outcome">
      <OutcomeText plan={plan} result={result} />
    </div>
  );
}

function OutcomeText({ plan, result }: { plan: Plan; result: Subscribed }) {
  switch (result.status) {
    case 'ACTIVE':
    case 'TRIALING':
      return (
        <div className="cf-alert ok" role="status">
          <p>
            {result.status === 'TRIALING'
              ? `Your ${plan.trial_days}-day free trial of ${plan.name} has started.`
              : `You are subscribed to ${plan.name}. Payment approved.`}
          </p>
          <div className="vw-actions">
            <Link className="cf-button primary" to="/">Start watching</Link>
            <Link className="cf-button" to="/account">Your account</Link>
          </div>
        </div>
      );
    case 'INCOMPLETE':
      return (
        <div>
          <div className="cf-alert" role="alert">
            <p>
              Your payment was declined{result.payment?.message ? `: ${result.payment.message}` : '.'}
            </p>
            <p>Your subscription is waiting for payment. Try another card:</p>
          </div>
          <PaymentMethodForm subscriptionId={result.id} payAfter />
        </div>
      );
    default:
      // Accepted but not confirmed yet (202): the account page shows it once it is.
      return (
        <div className="cf-alert info" role="status">
          <p>Your subscription request was received and is being processed.</p>
          <Link className="cf-button" to="/account">See your account</Link>
        </div>
      );
  }
}
