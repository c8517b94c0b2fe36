// One subscription: what it is now, its payments (receipts and declines) and its timeline.

import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { reads } from '../../shared/api';
import { isApiError } from '../../shared/FieldErrors';
import type { Subscription } from '../../shared/types';
import { formatDateTime, formatMoney, PERIOD_LABEL } from '../format';
import { Badge, LoadError, Loading, PageHeader, TableRegion } from '../ui';
import { subscriptionLabel, subscriptionTone } from './status';

export default function SubscriptionPage() {
  const { id = '' } = useParams();
  const query = useQuery({ queryKey: ['admin-subscription', id], queryFn: () => reads.admin.subscription(id) });
  const missing = query.isError && isApiError(query.error) && query.error.status === 404;
  return (
    <>
      <p className="adm-breadcrumb">
        <Link to="/subscriptions">Subscriptions</Link> / {id.slice(0, 8)}…
      </p>
      <PageHeader title={missing ? 'No such subscription' : 'Subscription'} />
      {query.isPending ? (
        <Loading what="the subscription" />
      ) : missing ? (
        <p>There is no subscription {id}.</p>
      ) : query.isError ? (
        <LoadError error={query.error} retry={() => void query.refetch()} />
      ) : (
        <SubscriptionDetail subscription={query.data} />
      )}
    </>
  );
}

function SubscriptionDetail({ subscription: s }: { subscription: Subscription }) {
  const facts: [string, ReactNode][] = [
    ['Status', <Badge tone={subscriptionTone(s.status)}>{subscriptionLabel(s.status)}</Badge>],
    ['Account', s.account_id],
    ['Plan', s.plan_name ?? s.plan_id],
    ['Price', `${formatMoney(s.amount_minor, s.currency)} · ${PERIOD_LABEL[s.billing_period] ?? s.billing_period}`],
    ['Started', formatDateTime(s.started_at)],
    ['Current period ends', formatDateTime(s.current_period_end)],
    ['Trial ends', formatDateTime(s.trial_ends_at)],
    ['Next due', formatDateTime(s.next_due_at)],
    ['Canceled', s.canceled_at ? `${formatDateTime(s.canceled_at)}${s.cancel_reason ? ` (${s.cancel_reason})` : ''}` : '—'],
    ['Access ends', formatDateTime(s.access_ends_at ?? s.ends_at)],
    ['Payment method', s.payment_method ?? '—'],
    ['Renewals', String(s.renewals)],
    ['Failed attempts', String(s.attempts)],
    ['Id', s.id],
  ];
  const history = s.history ?? [];
  return (
    <>
      <dl className="adm-facts-grid">
        {facts.map(([term, value]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <p>
        <Link to={`/subscriptions?account=${encodeURIComponent(s.account_id)}`}>Other subscriptions of this account</Link>
      </p>

      <section className="adm-section" aria-labelledby="payments-title">
        <h2 id="payments-title">Payments</h2>
        {s.payments.length === 0 ? (
          <p className="cf-muted">No payments yet.</p>
        ) : (
          <TableRegion label="Payments">
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Amount</th>
                  <th scope="col">Period</th>
                  <th scope="col">Charge / reason</th>
                </tr>
              </thead>
              <tbody>
                {s.payments.map((p, i) => (
                  <tr key={`${p.at}-${i}`}>
                    <td className="adm-nowrap">{formatDateTime(p.at)}</td>
                    <td>
                      <Badge tone={p.outcome === 'APPROVED' ? 'ok' : 'danger'}>{p.outcome}</Badge>
                    </td>
                    <td className="adm-nowrap">{formatMoney(p.amount_minor, p.currency)}</td>
                    <td className="adm-nowrap">
                      {p.period_start ? `${formatDateTime(p.period_start)} – ${formatDateTime(p.period_end)}` : '—'}
                    </td>
                    <td className="adm-wrap">{p.reason ?? p.charge_id ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        )}
      </section>

      <section className="adm-section" aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        {history.length === 0 ? (
          <p className="cf-muted">No events recorded.</p>
        ) : (
          <ol className="adm-timeline">
            {history.map((entry) => (
              <li key={entry.version}>
                <strong>{entry.event}</strong> · {formatDateTime(entry.at)} · by {entry.actor}
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}
