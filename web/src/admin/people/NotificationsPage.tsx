// The notification delivery log: every message, newest first, by status, channel, kind and
// account, with why the last attempt failed.

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { reads } from '../../shared/api';
import { formatDateTime } from '../format';
import { useListParams, type ListParams } from '../listParams';
import { Badge, LoadError, Loading, PageHeader, Pager, TableRegion, type Tone } from '../ui';

const STATUSES = ['REQUESTED', 'ATTEMPTING', 'SENT', 'FAILED'];
const CHANNELS = ['EMAIL', 'SMS'];
const FILTERS = ['status', 'channel', 'kind', 'account', 'sort'] as const;
const TONE: Record<string, Tone> = { SENT: 'ok', FAILED: 'danger', ATTEMPTING: 'warn', REQUESTED: 'info' };

export default function NotificationsPage() {
  const list = useListParams();
  const [params] = useSearchParams();
  const filter = {
    status: list.get('status') || undefined,
    channel: list.get('channel') || undefined,
    kind: list.get('kind') || undefined,
    account: list.get('account') || undefined,
    sort: list.get('sort') || undefined,
    cursor: list.cursor,
    limit: 50,
  };
  const query = useQuery({
    queryKey: ['admin-notifications', filter],
    queryFn: () => reads.admin.notifications(filter),
    placeholderData: keepPreviousData,
  });
  const formKey = FILTERS.map((name) => params.get(name) ?? '').join('|');

  return (
    <>
      <PageHeader title="Notifications" />
      <p className="cf-muted">The delivery log of email and SMS messages.</p>
      <NotificationFilters key={formKey} list={list} />
      {query.isPending ? (
        <Loading what="notifications" />
      ) : query.isError ? (
        <LoadError error={query.error} retry={() => void query.refetch()} />
      ) : (
        <>
          <TableRegion label="Notifications">
            <table>
              <thead>
                <tr>
                  <th scope="col">Requested</th>
                  <th scope="col">Message</th>
                  <th scope="col">Channel</th>
                  <th scope="col">Recipient</th>
                  <th scope="col">Status</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Last error</th>
                  <th scope="col">Sent</th>
                </tr>
              </thead>
              <tbody>
                {query.data.items.map((n) => (
                  <tr key={n.id}>
                    <td className="adm-nowrap">{formatDateTime(n.requested_at)}</td>
                    <td>{n.kind}</td>
                    <td>{n.channel}</td>
                    <td className="adm-wrap">{n.recipient}</td>
                    <td>
                      <Badge tone={TONE[n.status]}>{n.status}</Badge>
                      {n.status === 'FAILED' && n.retryable != null && (
                        <div className="adm-hint">{n.retryable ? 'will be retried' : 'no more attempts'}</div>
                      )}
                    </td>
                    <td>{n.attempts}</td>
                    <td className="adm-wrap">{n.last_error ?? <span className="cf-muted">—</span>}</td>
                    <td className="adm-nowrap">{formatDateTime(n.sent_at)}</td>
                  </tr>
                ))}
                {query.data.items.length === 0 && (
                  <tr>
                    <td colSpan={8} className="cf-muted">
                      No notifications match these filters.
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

function NotificationFilters({ list }: { list: ListParams }) {
  const id = useId();
  const [values, setValues] = useState(() => Object.fromEntries(FILTERS.map((n) => [n, list.get(n)])) as Record<(typeof FILTERS)[number], string>);
  const set = (name: (typeof FILTERS)[number]) => (e: { target: { value: string } }) => setValues({ ...values, [name]: e.target.value });
  function apply(event: FormEvent) {
    event.preventDefault();
    list.setFilters({ ...values, kind: values.kind.trim(), account: values.account.trim() });
  }
  return (
    <form className="adm-toolbar" role="search" aria-label="Filter notifications" onSubmit={apply}>
      <div className="adm-filter adm-filter-narrow">
        <label htmlFor={`${id}-status`}>Status</label>
        <select id={`${id}-status`} value={values.status} onChange={set('status')}>
          <option value="">Any</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <div className="adm-filter adm-filter-narrow">
        <label htmlFor={`${id}-channel`}>Channel</label>
        <select id={`${id}-channel`} value={values.channel} onChange={set('channel')}>
          <option value="">Any</option>
          {CHANNELS.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </div>
      <div className="adm-filter">
        <label htmlFor={`${id}-kind`}>Message kind</label>
        <input id={`${id}-kind`} value={values.kind} placeholder="video-ready" onChange={set('kind')} />
      </div>
      <div className="adm-filter">
        <label htmlFor={`${id}-account`}>Account (subject)</label>
        <input id={`${id}-account`} value={values.account} onChange={set('account')} />
      </div>
      <div className="adm-filter adm-filter-narrow">
        <label htmlFor={`${id}-sort`}>Order</label>
        <select id={`${id}-sort`} value={values.sort || '-created_at'} onChange={set('sort')}>
          <option value="-created_at">Newest first</option>
          <option value="created_at">Oldest first</option>
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
