// The plans, and subscribing to one. `/plans?plan=<id>` opens the subscribe form of that plan,
// which is where signing in from here comes back to.

import { useEffect, useRef, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { reads } from '../shared/api';
import { signIn, signUp } from '../shared/auth';
import { ErrorAlert } from '../shared/FieldErrors';
import type { Plan } from '../shared/types';
import { billedEvery, formatDate, formatMoney } from './format';
import { usePageTitle } from './page';
import { useSession } from './session';
import { SubscribeForm } from './SubscribeForm';
import { useMySubscription } from './subscription';

export function PlansPage() {
  usePageTitle('Plans');
  const [params, setParams] = useSearchParams();
  const plans = useQuery({ queryKey: ['plans'], queryFn: reads.plans });
  const { user, loading } = useSession();
  const subscription = useMySubscription();
  const current = subscription.data;
  // Subscribing again while a subscription grants access would pay twice for the same thing.
  const covered = !!current?.access?.granted;
  const chosen = plans.data?.items.find((p) => p.id === params.get('plan'));
  // The plan just subscribed to here: its outcome stays on the page, although the subscription
  // read again right after already grants access (which would otherwise close the form).
  const [subscribedTo, setSubscribedTo] = useState<string>();
  const showOutcome = !!chosen && subscribedTo === chosen.id;

  return (
    <>
      <h1>Choose your plan</h1>
      <p className="cf-muted">Watch every video in the catalogue. Cancel at any time.</p>
      {covered && current && !showOutcome && (
        <div className="cf-alert info">
          <p>
            {current.status === 'CANCELED'
              ? `Your ${current.plan_name ?? ''} subscription is canceled; you can watch until ${formatDate(current.access?.until ?? current.ends_at)}. You can take the cancellation back in your account.`
              : `You are subscribed to ${current.plan_name ?? 'a plan'}.`}
          </p>
          <Link className="cf-button" to="/account">Manage your subscription</Link>
        </div>
      )}
      {plans.isPending && <p aria-live="polite">Loading plans…</p>}
      {plans.isError && (
        <div>
          <ErrorAlert error={plans.error} />
          <button type="button" onClick={() => void plans.refetch()}>Try again</button>
        </div>
      )}
      {plans.isSuccess && plans.data.items.length === 0 && <p className="vw-empty">No plans are on offer right now.</p>}
      {plans.isSuccess && plans.data.items.length > 0 && (
        <ul className="vw-plans">
          {plans.data.items.map((plan) => (
            <PlanCard
              key={plan.id}
              plan={plan}
              current={current?.plan_id === plan.id && covered}
              canSubscribe={!covered && !(user && subscription.isPending)}
              chosen={chosen?.id === plan.id}
              onChoose={() => setParams({ plan: plan.id })}
            />
          ))}
        </ul>
      )}
      {chosen && (showOutcome || (!covered && !loading)) && (
        <Subscribe
          key={chosen.id}
          plan={chosen}
          signedIn={!!user}
          onSubscribed={() => setSubscribedTo(chosen.id)}
          onClose={() => {
            setSubscribedTo(undefined);
            setParams({});
          }}
        />
      )}
    </>
  );
}

interface CardProps {
  plan: Plan;
  current: boolean;
  canSubscribe: boolean;
  chosen: boolean;
  onChoose: () => void;
}

function PlanCard({ plan, current, canSubscribe, chosen, onChoose }: CardProps) {
  const unit = plan.billing_period === 'YEARLY' ? 'year' : 'month';
  return (
    <li className={chosen ? 'vw-plan chosen' : 'vw-plan'}>
      <h2>{plan.name}</h2>
      <p className="vw-price">
        <span className="vw-amount">{formatMoney(plan.amount_minor, plan.currency)}</span> / {unit}
      </p>
      <p className="cf-muted">{billedEvery(plan.billing_period)}</p>
      {plan.trial_days > 0 && <p className="vw-trial">{plan.trial_days}-day free trial</p>}
      {plan.description && <p>{plan.description}</p>}
      {current && <p><span className="cf-badge ok">Your plan</span></p>}
      {canSubscribe && (
        <button type="button" className="primary" onClick={onChoose} aria-pressed={chosen}>
          Subscribe{' '}<span className="cf-visually-hidden">to {plan.name}</span>
        </button>
      )}
    </li>
  );
}

function Subscribe({ plan, signedIn, onSubscribed, onClose }: {
  plan: Plan;
  signedIn: boolean;
  onSubscribed: () => void;
  onClose: () => void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  // The form opens below the plans: take the reader (and the keyboard) there.
  useEffect(() => {
    heading.current?.focus();
    heading.current?.scrollIntoView?.({ block: 'start', behavior: 'smooth' });
  }, []);
  const returnTo = `/plans?plan=${encodeURIComponent(plan.id)}`;
  return (
    <section className="vw-subscribe" aria-labelledby="subscribe-heading">
      <h2 id="subscribe-heading" ref={heading} tabIndex={-1}>Subscribe to {plan.name}</h2>
      {signedIn ? (
        <SubscribeForm plan={plan} onSubscribed={onSubscribed} />
      ) : (
        <>
          <p>Sign in to subscribe. New to Codeflix? Sign up first; you come back here after.</p>
          <div className="vw-actions">
            <button type="button" className="primary" onClick={() => void signIn(returnTo)}>Sign in</button>
            <button type="button" onClick={() => void signUp(returnTo)}>Sign up</button>
          </div>
        </>
      )}
      <button type="button" className="vw-link-button" onClick={onClose}>Choose another plan</button>
    </section>
  );
}
