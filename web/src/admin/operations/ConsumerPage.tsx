// One consumer's dead letters: a page at a time, oldest first, with where each event came from,
// why it failed and whether it was sent back; filtered to those waiting, or to one key (a
// video's id for the encoder).

import { Link, useParams } from 'react-router';
import { operations } from '../../shared/api';
import type { DeadLetter } from '../../shared/types';
import { formatDateTime } from '../format';
import { useListParams } from '../listParams';
import { FilterToolbar, PagedTable, SelectFilter, TextFilter, useListPage, type Column } from '../lists';
import { Badge, PageHeader } from '../ui';
import { plural, RedriveButton } from './Redrive';

const FILTERS = ['status', 'key'] as const;
const STATUSES = [
  { value: 'all', label: 'All' },
  { value: 'waiting', label: 'Waiting' },
];

const COLUMNS: Column<DeadLetter>[] = [
  { header: 'Set aside', className: 'adm-nowrap', cell: (l) => formatDateTime(l.dead_lettered_at) },
  {
    header: 'Event',
    className: 'adm-wrap',
    cell: (l) => (
      <>
        {l.event_type ?? <span className="cf-muted">unknown type</span>}
        {l.key && <div className="adm-hint">key {l.key}</div>}
      </>
    ),
  },
  {
    header: 'From',
    className: 'adm-wrap',
    cell: (l) => (
      <>
        <code>{l.topic}</code>
        <div className="adm-hint">
          partition {l.partition}, offset {l.offset}
        </div>
      </>
    ),
  },
  { header: 'Reason', className: 'adm-wrap', cell: (l) => l.reason },
  {
    header: 'Status',
    cell: (l) => <Badge tone={l.redriven ? 'ok' : 'warn'}>{l.redriven ? 'Re-driven' : 'Waiting'}</Badge>,
  },
];

export default function ConsumerPage() {
  const { consumer = '' } = useParams();
  const list = useListParams();
  const filter = {
    status: list.get('status') || undefined,
    key: list.get('key') || undefined,
    cursor: list.cursor,
    limit: 50,
  };
  const query = useListPage(['dead-letters', consumer, filter], () => operations.deadLetters(consumer, filter));
  const page = query.data;
  return (
    <>
      <p className="adm-breadcrumb">
        <Link to="/dead-letters">Dead letters</Link> / {consumer}
      </p>
      <PageHeader title={`Dead letters of ${consumer}`}>
        {page && <RedriveButton consumer={consumer} waiting={page.waiting} />}
      </PageHeader>
      {page && (
        <p className="cf-muted">
          {page.description} {plural(page.total, 'dead letter', 'dead letters')}, {page.waiting} waiting to be sent back.
        </p>
      )}
      <FilterToolbar list={list} names={FILTERS} label="Filter dead letters">
        {(field) => (
          <>
            <SelectFilter label="Status" narrow options={STATUSES} {...field('status', 'all')} />
            <TextFilter label="Key" placeholder="a video's id" {...field('key')} />
          </>
        )}
      </FilterToolbar>
      <PagedTable
        query={query}
        list={list}
        label="Dead letters"
        columns={COLUMNS}
        empty={page && page.total > 0 ? 'No dead letter matches these filters.' : 'Nothing was set aside: no dead letters.'}
      />
    </>
  );
}
