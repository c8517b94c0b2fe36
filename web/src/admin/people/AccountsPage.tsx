// Accounts by email (prefix search), and for accounts admins, the roles each holds.

import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { reads, writes } from '../../shared/api';
import { ErrorAlert, FieldErrors, errorId, invalid } from '../../shared/FieldErrors';
import type { Account } from '../../shared/types';
import { formatDateTime } from '../format';
import { useListParams, type ListParams } from '../listParams';
import { GRANTABLE_ROLES, may } from '../roles';
import { useRoles } from '../session';
import { useSubmission } from '../submission';
import { Badge, LoadError, Loading, Notice, PageHeader, Pager, TableRegion, useFocusOnMount } from '../ui';

const ROLE_HELP: Record<string, string> = {
  'catalog-admin': 'the whole catalog, and every other console area',
  'catalog-categories': 'categories',
  'catalog-genres': 'genres',
  'catalog-cast-members': 'cast members',
  'catalog-videos': 'videos and their media',
  'billing-plans': 'plans',
  'billing-subscriptions': 'customers’ subscriptions and the account list',
  'accounts-admin': 'roles and the notification log',
  viewer: 'a customer: watch and subscribe',
};

export default function AccountsPage() {
  const roles = useRoles();
  return (
    <>
      <PageHeader title="Accounts" />
      {may(roles, 'accounts') ? (
        <AccountList editRoles={may(roles, 'account-roles')} seeSubscriptions={may(roles, 'subscriptions')} seeNotifications={may(roles, 'notifications')} />
      ) : (
        <div className="cf-alert info">
          Listing accounts needs the <strong>billing-subscriptions</strong> role as well: the query API serves the
          account list to billing. Ask for it to find accounts and change their roles here.
        </div>
      )}
    </>
  );
}

function AccountList({ editRoles, seeSubscriptions, seeNotifications }: { editRoles: boolean; seeSubscriptions: boolean; seeNotifications: boolean }) {
  const list = useListParams();
  const q = list.get('q');
  const query = useQuery({
    queryKey: ['admin-accounts', q, list.cursor],
    queryFn: () => reads.admin.accounts({ q: q || undefined, cursor: list.cursor, limit: 50 }),
    placeholderData: keepPreviousData,
  });
  const [editing, setEditing] = useState<Account>();
  const [notice, setNotice] = useState<string>();

  return (
    <>
      <AccountSearch key={q} list={list} />
      {notice && <Notice>{notice}</Notice>}
      {editing && (
        <RolesEditor
          key={editing.subject}
          account={editing}
          onCancel={() => setEditing(undefined)}
          onDone={(message) => {
            setEditing(undefined);
            setNotice(message);
          }}
        />
      )}
      {query.isPending ? (
        <Loading what="accounts" />
      ) : query.isError ? (
        <LoadError error={query.error} retry={() => void query.refetch()} />
      ) : (
        <>
          <TableRegion label="Accounts">
            <table>
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Name</th>
                  <th scope="col">Roles</th>
                  <th scope="col">Since</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {query.data.items.map((account) => (
                  <tr key={account.id}>
                    <td className="adm-wrap">{account.email}</td>
                    <td>{account.display_name}</td>
                    <td>
                      <ul className="adm-badges">
                        {account.roles.map((role) => (
                          <li key={role}>
                            <Badge tone={role === 'viewer' ? undefined : 'info'}>{role}</Badge>
                          </li>
                        ))}
                        {account.roles.length === 0 && <li className="cf-muted">None</li>}
                      </ul>
                    </td>
                    <td className="adm-nowrap">{formatDateTime(account.created_at)}</td>
                    <td className="adm-row-actions">
                      {editRoles && (
                        <button type="button" onClick={() => setEditing(account)} aria-label={`Edit roles of ${account.email}`}>
                          Edit roles
                        </button>
                      )}
                      {seeSubscriptions && (
                        <Link to={`/subscriptions?account=${encodeURIComponent(account.subject)}`} aria-label={`Subscriptions of ${account.email}`}>
                          Subscriptions
                        </Link>
                      )}
                      {seeNotifications && (
                        <Link to={`/notifications?account=${encodeURIComponent(account.subject)}`} aria-label={`Notifications of ${account.email}`}>
                          Notifications
                        </Link>
                      )}
                    </td>
                  </tr>
                ))}
                {query.data.items.length === 0 && (
                  <tr>
                    <td colSpan={5} className="cf-muted">
                      {q ? `No account’s email starts with “${q}”.` : 'No accounts yet.'}
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

function AccountSearch({ list }: { list: ListParams }) {
  const id = useId();
  const [q, setQ] = useState(list.get('q'));
  function submit(event: FormEvent) {
    event.preventDefault();
    list.setFilters({ q: q.trim() });
  }
  return (
    <form className="adm-toolbar" role="search" aria-label="Find accounts" onSubmit={submit}>
      <div className="adm-filter adm-filter-wide">
        <label htmlFor={id}>Email starts with</label>
        <input id={id} type="search" inputMode="email" autoComplete="off" value={q} onChange={(e) => setQ(e.target.value)} />
      </div>
      <div className="adm-toolbar-actions">
        <button type="submit" className="primary">
          Search
        </button>
      </div>
    </form>
  );
}

function RolesEditor({ account, onCancel, onDone }: { account: Account; onCancel: () => void; onDone: (message: string) => void }) {
  const [roles, setRoles] = useState<string[]>(account.roles);
  const submission = useSubmission();
  const queryClient = useQueryClient();
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const error = submission.error;
  // Roles the provider holds that this console does not know stay as they are.
  const unknown = account.roles.filter((r) => !GRANTABLE_ROLES.includes(r));

  async function submit(event: FormEvent) {
    event.preventDefault();
    const wanted = [...roles.filter((r) => GRANTABLE_ROLES.includes(r)), ...unknown];
    const written = await submission.run({ subject: account.subject, wanted }, (options) => writes.setRoles(account.subject, wanted, options));
    if (written === undefined) return;
    await queryClient.invalidateQueries({ queryKey: ['admin-accounts'] });
    onDone(`Saved the roles of ${account.email}. They take effect at the account’s next sign-in or token refresh.`);
  }

  return (
    <form className="adm-panel" aria-labelledby="roles-title" onSubmit={submit} noValidate>
      <h2 id="roles-title" ref={heading} tabIndex={-1}>
        Roles of {account.email}
      </h2>
      <ErrorAlert error={error} />
      <fieldset className="cf-field adm-checks" aria-describedby={invalid(error, 'roles') ? errorId('roles') : undefined}>
        <legend>Roles</legend>
        <ul className="adm-check-list">
          {GRANTABLE_ROLES.map((role) => (
            <li key={role}>
              <label>
                <input
                  type="checkbox"
                  checked={roles.includes(role)}
                  onChange={(e) => setRoles(e.target.checked ? [...roles, role] : roles.filter((r) => r !== role))}
                />
                <span>
                  {role} <span className="cf-muted">· {ROLE_HELP[role]}</span>
                </span>
              </label>
            </li>
          ))}
        </ul>
        <FieldErrors error={error} field="roles" />
      </fieldset>
      <div className="adm-form-actions">
        <button type="submit" className="primary" disabled={submission.pending}>
          {submission.pending ? 'Saving…' : 'Save roles'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
