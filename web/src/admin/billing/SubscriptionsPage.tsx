// Customers' subscriptions, newest first or by when something is due, filtered by status, plan
// and account.

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { reads } from '../../shared/api';
import { formatDateTime, formatMoney } from '../format';
import { useListParams, type ListParams } from '../listParams';
import { may } from '../roles';
import { useRoles } from '../session';
import { Badge, LoadError, Loading, PageHeader, Pager, TableRegion } from '../ui';
import { SUBSCRIPTION_STATUSES, subscriptionLabel, subscriptionTone } from './status';

const FILTERS = ['status', 'plan', 'account', 'sort'] as const;
const SORTS = [
  { value: '-created_at', label: 'Newest first' },
  { value: 'created_at', label: 'Oldest first' },
  { value: 'next_due', label: 'Next due first' },
  { value: '-next_due', label: 'Next due last' },
];

export default function SubscriptionsPage() {
  const list = useListParams();
  const [params] = useSearchParams();
  const filter = {
    status: list.get('status') || undefined,
    plan: list.get('plan') || undefined,
    account: list.get('account').trim() || undefined,
    sort: list.get('sort') || undefined,
    cursor: list.cursor,
    limit: 50,
  };
  const query = useQuery({
    queryKey: ['admin-subscriptions', filter],
    queryFn: () => reads.admin.subscriptions(filter),
    placeholderData: keepPreviousData,
  });
  const formKey = FILTERS.map((name) => params.get(name) ?? '').join('|');

  return (
    <>
      <PageHeader title="Subscriptions" />
      <SubscriptionFilters key={formKey} list={list} />
      {query.isPending ? (
        <Loading what="subscriptions" />
      ) : query.isError ? (
        <LoadError error={query.error} retry={() => void query.refetch()} />
      ) : (
        <>
          <TableRegion label="Subscriptions">
            <table>
              <thead>
                <tr>
                  <th scope="col">Subscription</th>
                  <th scope="col">Account</th>
                  <th scope="col">Plan</th>
                  <th scope="col">Status</th>
                  <th scope="col">Price</th>
                  <th scope="col">Period ends</th>
                  <th scope="col">Next due</th>
                </tr>
              </thead>
              <tbody>
                {query.data.items.map((s) => (
                  <tr key={s.id}>
                    <td>
                      <Link to={`/subscriptions/${encodeURIComponent(s.id)}`} aria-label={`Subscription ${s.id}`}>
                        {s.id.slice(0, 8)}…
                      </Link>
                    </td>
                    <td className="adm-wrap">{s.account_id}</td>
                    <td>{s.plan_name ?? s.plan_id}</td>
                    <td>
                      <Badge tone={subscriptionTone(s.status)}>{subscriptionLabel(s.status)}</Badge>
                    </td>
                    <td className="adm-nowrap">{formatMoney(s.amount_minor, s.currency)}</td>
                    <td className="adm-nowrap">{formatDateTime(s.current_period_end)}</td>
                    <td className="adm-nowrap">{formatDateTime(s.next_due_at)}</td>
                  </tr>
                ))}
                {query.data.items.length === 0 && (
                  <tr>
                    <td colSpan={7} className="cf-muted">
                      No subscriptions match these filters.
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </TableRegion>
          <Pager list={list} nextCursor={query.data.next_cursor} busy={query.isFetching} />
        </>
      )}
    </>
  );
}

function SubscriptionFilters({ list }: { list: ListParams }) {
  const id = useId();
  const roles = useRoles();
  const [values, setValues] = useState(() => Object.fromEntries(FILTERS.map((n) => [n, list.get(n)])) as Record<(typeof FILTERS)[number], string>);
  // Retired plans are only in the billing-plans list; without that role, the public (active) one.
  const plans = useQuery({
    queryKey: may(roles, 'plans') ? ['admin-plans', undefined] : ['plans'],
    queryFn: () => (may(roles, 'plans') ? reads.admin.plans() : reads.plans()),
  });
  const set = (name: (typeof FILTERS)[number]) => (e: { target: { value: string } }) => setValues({ ...values, [name]: e.target.value });

  function apply(event: FormEvent) {
    event.preventDefault();
    list.setFilters({ ...values, account: values.account.trim() });
  }

  return (
    <form className="adm-toolbar" role="search" aria-label="Filter subscriptions" onSubmit={apply}>
      <div className="adm-filter">
        <label htmlFor={`${id}-status`}>Status</label>
        <select id={`${id}-status`} value={values.status} onChange={set('status')}>
          <option value="">Any</option>
          {SUBSCRIPTION_STATUSES.map((s) => (
            <option key={s} value={s}>
              {subscriptionLabel(s)}
            </option>
          ))}
        </select>
      </div>
      <div className="adm-filter">
        <label htmlFor={`${id}-plan`}>Plan</label>
        <select id={`${id}-plan`} value={values.plan} onChange={set('plan')}>
          <option value="">Any</option>
          {(plans.data?.items ?? []).map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
              {p.active ? '' : ' (retired)'}
            </option>
          ))}
        </select>
      </div>
      <div className="adm-filter">
        <label htmlFor={`${id}-account`}>Account (subject)</label>
        <input id={`${id}-account`} value={values.account} onChange={set('account')} />
      </div>
      <div className="adm-filter">
        <label htmlFor={`${id}-sort`}>Sort</label>
        <select id={`${id}-sort`} value={values.sort || '-created_at'} onChange={set('sort')}>
          {SORTS.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </div>
      <div className="adm-toolbar-actions">
        <button type="submit" className="primary">
          Apply filters
        </button>
        <button type="button" onClick={() => list.setFilters(Object.fromEntries(FILTERS.map((n) => [n, undefined])))}>
          Clear filters
        </button>
      </div>
    </form>
  );
}
