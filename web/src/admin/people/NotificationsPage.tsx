// The notification delivery log: every message, newest first, by status, channel, kind and
// account, with why the last attempt failed.

import { reads } from '../../shared/api';
import type { NotificationView } from '../../shared/types';
import { formatDateTime } from '../format';
import { useListParams } from '../listParams';
import { CREATION_ORDERS, FilterToolbar, PagedTable, SelectFilter, TextFilter, useListPage, type Column } from '../lists';
import { Badge, PageHeader, type Tone } from '../ui';

const STATUSES = ['REQUESTED', 'ATTEMPTING', 'SENT', 'FAILED'];
const CHANNELS = ['EMAIL', 'SMS'];
const FILTERS = ['status', 'channel', 'kind', 'account', 'sort'] as const;
const TONE: Record<string, Tone> = { SENT: 'ok', FAILED: 'danger', ATTEMPTING: 'warn', REQUESTED: 'info' };

const COLUMNS: Column<NotificationView>[] = [
  { header: 'Requested', className: 'adm-nowrap', cell: (n) => formatDateTime(n.requested_at) },
  { header: 'Message', cell: (n) => n.kind },
  { header: 'Channel', cell: (n) => n.channel },
  { header: 'Recipient', className: 'adm-wrap', cell: (n) => n.recipient },
  {
    header: 'Status',
    cell: (n) => (
      <>
        <Badge tone={TONE[n.status]}>{n.status}</Badge>
        {n.status === 'FAILED' && n.retryable != null && <div className="adm-hint">{n.retryable ? 'will be retried' : 'no more attempts'}</div>}
      </>
    ),
  },
  { header: 'Attempts', cell: (n) => n.attempts },
  { header: 'Last error', className: 'adm-wrap', cell: (n) => n.last_error ?? <span className="cf-muted">—</span> },
  { header: 'Sent', className: 'adm-nowrap', cell: (n) => formatDateTime(n.sent_at) },
];

export default function NotificationsPage() {
  const list = useListParams();
  const filter = {
    status: list.get('status') || undefined,
    channel: list.get('channel') || undefined,
    kind: list.get('kind') || undefined,
    account: list.get('account') || undefined,
    sort: list.get('sort') || undefined,
    cursor: list.cursor,
    limit: 50,
  };
  const query = useListPage(['admin-notifications', filter], () => reads.admin.notifications(filter));

  return (
    <>
      <PageHeader title="Notifications" />
      <p className="cf-muted">The delivery log of email and SMS messages.</p>
      <FilterToolbar list={list} names={FILTERS} label="Filter notifications">
        {(field) => (
          <>
            <SelectFilter label="Status" narrow any options={STATUSES} {...field('status')} />
            <SelectFilter label="Channel" narrow any options={CHANNELS} {...field('channel')} />
            <TextFilter label="Message kind" placeholder="video-ready" {...field('kind')} />
            <TextFilter label="Account (subject)" {...field('account')} />
            <SelectFilter label="Order" narrow options={CREATION_ORDERS} {...field('sort', '-created_at')} />
          </>
        )}
      </FilterToolbar>
      <PagedTable query={query} list={list} label="Notifications" columns={COLUMNS} empty="No notifications match these filters." />
    </>
  );
}
