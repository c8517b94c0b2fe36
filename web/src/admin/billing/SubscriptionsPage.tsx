// Customers' subscriptions, newest first or by when something is due, filtered by status, plan
// and account.

import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { reads } from '../../shared/api';
import type { Subscription } from '../../shared/types';
import { formatDateTime, formatMoney } from '../format';
import { useListParams, type ListParams } from '../listParams';
import { CREATION_ORDERS, FilterToolbar, PagedTable, SelectFilter, TextFilter, useListPage, type Column } from '../lists';
import { may } from '../roles';
import { useRoles } from '../session';
import { Badge, PageHeader } from '../ui';
import { SUBSCRIPTION_STATUSES, subscriptionLabel, subscriptionTone } from './status';

const FILTERS = ['status', 'plan', 'account', 'sort'] as const;
const SORTS = [
  ...CREATION_ORDERS,
  { value: 'next_due', label: 'Next due first' },
  { value: '-next_due', label: 'Next due last' },
];
const STATUS_CHOICES = SUBSCRIPTION_STATUSES.map((s) => ({ value: s, label: subscriptionLabel(s) }));

const COLUMNS: Column<Subscription>[] = [
  {
    header: 'Subscription',
    cell: (s) => (
      <Link to={`/subscriptions/${encodeURIComponent(s.id)}`} aria-label={`Subscription ${s.id}`}>
        {s.id.slice(0, 8)}…
      </Link>
    ),
  },
  { header: 'Account', className: 'adm-wrap', cell: (s) => s.account_id },
  { header: 'Plan', cell: (s) => s.plan_name ?? s.plan_id },
  { header: 'Status', cell: (s) => <Badge tone={subscriptionTone(s.status)}>{subscriptionLabel(s.status)}</Badge> },
  { header: 'Price', className: 'adm-nowrap', cell: (s) => formatMoney(s.amount_minor, s.currency) },
  { header: 'Period ends', className: 'adm-nowrap', cell: (s) => formatDateTime(s.current_period_end) },
  { header: 'Next due', className: 'adm-nowrap', cell: (s) => formatDateTime(s.next_due_at) },
];

export default function SubscriptionsPage() {
  const list = useListParams();
  const filter = {
    status: list.get('status') || undefined,
    plan: list.get('plan') || undefined,
    account: list.get('account').trim() || undefined,
    sort: list.get('sort') || undefined,
    cursor: list.cursor,
    limit: 50,
  };
  const query = useListPage(['admin-subscriptions', filter], () => reads.admin.subscriptions(filter));

  return (
    <>
      <PageHeader title="Subscriptions" />
      <SubscriptionFilters list={list} />
      <PagedTable query={query} list={list} label="Subscriptions" columns={COLUMNS} empty="No subscriptions match these filters." />
    </>
  );
}

function SubscriptionFilters({ list }: { list: ListParams }) {
  const roles = useRoles();
  // Retired plans are only in the billing-plans list; without that role, the public (active) one.
  const plans = useQuery({
    queryKey: may(roles, 'plans') ? ['admin-plans', undefined] : ['plans'],
    queryFn: () => (may(roles, 'plans') ? reads.admin.plans() : reads.plans()),
  });
  const planChoices = (plans.data?.items ?? []).map((p) => ({ value: p.id, label: `${p.name}${p.active ? '' : ' (retired)'}` }));

  return (
    <FilterToolbar list={list} names={FILTERS} label="Filter subscriptions">
      {(field) => (
        <>
          <SelectFilter label="Status" any options={STATUS_CHOICES} {...field('status')} />
          <SelectFilter label="Plan" any options={planChoices} {...field('plan')} />
          <TextFilter label="Account (subject)" {...field('account')} />
          <SelectFilter label="Sort" options={SORTS} {...field('sort', '-created_at')} />
        </>
      )}
    </FilterToolbar>
  );
}
