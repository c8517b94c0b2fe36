// Why a video does not play for this viewer, and the way to change that: sign in, subscribe, or
// settle a payment. Shown in the player's place.

import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { signIn, signUp } from '../shared/auth';
import { formatDate } from './format';

export type Denial =
  /** Not signed in, and the video is for subscribers. */
  | { kind: 'signed-out' }
  /** Signed in, but the API no longer takes the token. */
  | { kind: 'session-ended' }
  /** Signed in, never subscribed. */
  | { kind: 'no-subscription' }
  /** Signed in; the current subscription grants nothing now. */
  | { kind: 'inactive'; status: string; endedAt?: string | null }
  /** The stream refused although the subscription reads as granting access (the playback side
   *  may not have seen a fresh subscription yet), or the subscription could not be read. */
  | { kind: 'refused' };

interface Props {
  denial: Denial;
  /** Where to come back after signing in. */
  returnTo: string;
  /** Try playing again (for refusals that may pass shortly). */
  onRetry?: () => void;
}

export function Gate({ denial, returnTo, onRetry }: Props) {
  const { heading, text, actions } = explain(denial, returnTo, onRetry);
  return (
    <section className="vw-gate" aria-labelledby="gate-heading">
      <div className="vw-gate-inner">
        <h2 id="gate-heading">{heading}</h2>
        <p>{text}</p>
        <div className="vw-actions">{actions}</div>
      </div>
    </section>
  );
}

function explain(denial: Denial, returnTo: string, onRetry?: () => void) {
  const signInButtons = (
    <>
      <button type="button" className="primary" onClick={() => void signIn(returnTo)}>Sign in</button>
      <button type="button" onClick={() => void signUp(returnTo)}>Sign up</button>
    </>
  );
  const plans = <Link className="cf-button primary" to="/plans">See plans</Link>;
  const account = (label: string) => <Link className="cf-button primary" to="/account">{label}</Link>;
  switch (denial.kind) {
    case 'signed-out':
      return {
        heading: 'This video is for subscribers',
        text: 'Sign in to watch it. New here? Sign up, then choose a plan.',
        actions: signInButtons,
      };
    case 'session-ended':
      return {
        heading: 'Your session has ended',
        text: 'Sign in again to keep watching.',
        actions: signInButtons,
      };
    case 'no-subscription':
      return {
        heading: 'Subscribe to watch',
        text: 'This video is for subscribers. Choose a plan to start watching.',
        actions: plans,
      };
    case 'inactive':
      return inactive(denial.status, denial.endedAt, plans, account);
    case 'refused':
      return {
        heading: 'This video cannot play right now',
        text: 'Codeflix could not confirm that your subscription covers this video. If you have just subscribed or paid, try again in a moment.',
        actions: (
          <>
            {onRetry && <button type="button" className="primary" onClick={onRetry}>Try again</button>}
            {account('Your account')}
          </>
        ),
      };
  }
}

function inactive(
  status: string,
  endedAt: string | null | undefined,
  plans: ReactNode,
  account: (label: string) => ReactNode,
) {
  switch (status) {
    case 'INCOMPLETE':
      return {
        heading: 'Your payment did not go through',
        text: 'This video is for subscribers. Your first payment was declined, so your subscription has not started: change your payment method and pay to start watching.',
        actions: account('Fix payment in your account'),
      };
    case 'PAST_DUE':
      return {
        heading: 'Your payment is overdue',
        text: 'This video is for subscribers, and your subscription has a payment due. Pay now to keep watching.',
        actions: account('Pay now in your account'),
      };
    default:
      return {
        heading: 'Your subscription has ended',
        text: endedAt
          ? `This video is for subscribers; your subscription ended on ${formatDate(endedAt)}. Subscribe again to watch.`
          : 'This video is for subscribers. Subscribe again to watch.',
        actions: plans,
      };
  }
}
