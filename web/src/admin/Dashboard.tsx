// The console's home: a few counts the APIs give cheaply (the first page of each list, up to
// 100 items: "100+" says there are more) and links to the pages behind them.

import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { operations, reads } from '../shared/api';
import type { AdminVideo, Page } from '../shared/types';
import { countLabel } from './format';
import { may, type Area } from './roles';
import { useRoles } from './session';
import { PageHeader } from './ui';

const FIRST_PAGE = 100;

export function Dashboard() {
  const roles = useRoles();
  const can = (area: Area) => may(roles, area);
  return (
    <>
      <PageHeader title="Dashboard" />
      <p className="cf-muted">
        Counts come from the first page of each list (up to {FIRST_PAGE}); “{FIRST_PAGE}+” means there are more.
      </p>
      <div className="adm-cards">
        {can('videos') && <VideosCard />}
        {can('categories') && (
          <CountCard title="Categories" to="/categories" link="Manage categories" what="active categories"
            queryKey="categories" load={() => reads.categories(undefined, FIRST_PAGE)} />
        )}
        {can('genres') && (
          <CountCard title="Genres" to="/genres" link="Manage genres" what="active genres"
            queryKey="genres" load={() => reads.genres(undefined, FIRST_PAGE)} />
        )}
        {can('cast-members') && (
          <CountCard title="Cast members" to="/cast-members" link="Manage cast members" what="cast members"
            queryKey="cast-members" load={() => reads.castMembers(undefined, FIRST_PAGE)} />
        )}
        {can('plans') && (
          <CountCard title="Plans" to="/plans" link="Manage plans" what="plans, retired ones included"
            queryKey="admin-plans" load={() => reads.admin.plans()} />
        )}
        {can('subscriptions') && (
          <CountCard title="Past-due subscriptions" to="/subscriptions?status=PAST_DUE" link="See past-due subscriptions"
            what="subscriptions waiting for a payment" queryKey="admin-subscriptions-past-due"
            load={() => reads.admin.subscriptions({ status: 'PAST_DUE', limit: FIRST_PAGE })} />
        )}
        {can('notifications') && (
          <CountCard title="Failed notifications" to="/notifications?status=FAILED" link="See failed notifications"
            what="messages that could not be delivered" queryKey="admin-notifications-failed"
            load={() => reads.admin.notifications({ status: 'FAILED', limit: FIRST_PAGE })} />
        )}
        {can('dead-letters') && <DeadLettersCard />}
        {can('accounts') && (
          <Card title="Accounts">
            <p>Find accounts by email{can('account-roles') ? ' and change their roles' : ''}.</p>
            <Link to="/accounts">Find accounts</Link>
          </Card>
        )}
      </div>
    </>
  );
}

function Card({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="adm-card" aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

function CountCard({ title, to, link, what, queryKey, load }: {
  title: string;
  to: string;
  link: string;
  what: string;
  queryKey: string;
  load: () => Promise<Page<unknown>>;
}) {
  const query = useQuery({ queryKey: ['dashboard', queryKey], queryFn: load });
  return (
    <Card title={title}>
      <p className="adm-count">
        {query.data ? countLabel(query.data) : query.isError ? '—' : '…'}
        <span className="cf-muted"> {what}</span>
      </p>
      {query.isError && <p className="cf-muted">Could not be counted: {String((query.error as Error).message)}</p>}
      <Link to={to}>{link}</Link>
    </Card>
  );
}

function DeadLettersCard() {
  const query = useQuery({ queryKey: ['dead-letters'], queryFn: operations.consumers });
  const waiting = query.data?.items.filter((c) => c.waiting > 0) ?? [];
  const total = waiting.reduce((sum, c) => sum + c.waiting, 0);
  return (
    <Card title="Dead letters">
      <p className="adm-count">
        {query.data ? total : query.isError ? '—' : '…'}
        <span className="cf-muted"> waiting to be re-driven</span>
      </p>
      {waiting.length > 0 && (
        <ul className="adm-facts">
          {waiting.map((c) => (
            <li key={c.name}>
              <Link to={`/dead-letters/${encodeURIComponent(c.name)}?status=waiting`}>
                {c.name}: {c.waiting}
              </Link>
            </li>
          ))}
        </ul>
      )}
      {query.isError && <p className="cf-muted">Could not be counted: {String((query.error as Error).message)}</p>}
      <Link to="/dead-letters">See every consumer</Link>
    </Card>
  );
}

function VideosCard() {
  const query = useQuery({
    queryKey: ['dashboard', 'admin-videos'],
    queryFn: () => reads.admin.videos({ limit: FIRST_PAGE, sort: '-created_at' }),
  });
  const failed = useQuery({
    queryKey: ['dashboard', 'admin-videos-failed'],
    queryFn: () => reads.admin.videos({ limit: FIRST_PAGE, media_status: 'ERROR' }),
  });
  const items: AdminVideo[] = query.data?.items ?? [];
  const drafts = items.filter((v) => !v.published).length;
  const encoding = items.filter((v) => v.media_details.some((m) => m.status === 'PENDING' || m.status === 'PROCESSING')).length;
  const scope = query.data?.next_cursor ? ` (of the newest ${FIRST_PAGE})` : '';
  const failedCount = failed.data ? countLabel(failed.data) : failed.isError ? '—' : '…';
  return (
    <Card title="Videos">
      <p className="adm-count">
        {query.data ? countLabel(query.data) : query.isError ? '—' : '…'}
        <span className="cf-muted"> videos, drafts included</span>
      </p>
      {query.data && (
        <ul className="adm-facts">
          <li>{drafts} unpublished{scope}</li>
          <li>{encoding} encoding{scope}</li>
          <li>
            {failed.data && failed.data.items.length > 0 ? (
              <Link to="/videos?media_status=ERROR">{failedCount} with failed encodings</Link>
            ) : (
              `${failedCount} with failed encodings`
            )}
          </li>
        </ul>
      )}
      {query.isError && <p className="cf-muted">Could not be counted: {String((query.error as Error).message)}</p>}
      <Link to="/videos">Manage videos</Link>
    </Card>
  );
}
