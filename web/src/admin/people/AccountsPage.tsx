// Accounts by email (prefix search), and for accounts admins, the roles each holds.

import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { reads, writes } from '../../shared/api';
import { ErrorAlert, FieldErrors, errorId, invalid } from '../../shared/FieldErrors';
import type { Account } from '../../shared/types';
import { FormActions } from '../editing';
import { formatDateTime } from '../format';
import { useListParams } from '../listParams';
import { FilterToolbar, PagedTable, TextFilter, useListPage, type Column } from '../lists';
import { GRANTABLE_ROLES, may } from '../roles';
import { useRoles } from '../session';
import { useListWrite } from '../submission';
import { Badge, Notice, PageHeader, useFocusOnMount } from '../ui';

const ROLE_HELP: Record<string, string> = {
  'catalog-admin': 'the whole catalog, and every other console area',
  'catalog-categories': 'categories',
  'catalog-genres': 'genres',
  'catalog-cast-members': 'cast members',
  'catalog-videos': 'videos and their media',
  'billing-plans': 'plans',
  'billing-subscriptions': 'customers’ subscriptions and the account list',
  'accounts-admin': 'roles and the notification log',
  operations: 'dead letters: look, and send them back (a failed encoding among them)',
  viewer: 'a customer: watch and subscribe',
};

const SEARCH = ['q'] as const;

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
  const query = useListPage(['admin-accounts', q, list.cursor], () => reads.admin.accounts({ q: q || undefined, cursor: list.cursor, limit: 50 }));
  const [editing, setEditing] = useState<Account>();
  const [notice, setNotice] = useState<string>();

  const columns: Column<Account>[] = [
    { header: 'Email', className: 'adm-wrap', cell: (account) => account.email },
    { header: 'Name', cell: (account) => account.display_name },
    {
      header: 'Roles',
      cell: (account) => (
        <ul className="adm-badges">
          {account.roles.map((role) => (
            <li key={role}>
              <Badge tone={role === 'viewer' ? undefined : 'info'}>{role}</Badge>
            </li>
          ))}
          {account.roles.length === 0 && <li className="cf-muted">None</li>}
        </ul>
      ),
    },
    { header: 'Since', className: 'adm-nowrap', cell: (account) => formatDateTime(account.created_at) },
    {
      header: 'Actions',
      className: 'adm-row-actions',
      cell: (account) => (
        <>
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
        </>
      ),
    },
  ];

  return (
    <>
      <FilterToolbar list={list} names={SEARCH} label="Find accounts" applyLabel="Search" clearable={false}>
        {(field) => <TextFilter label="Email starts with" wide type="search" inputMode="email" autoComplete="off" {...field('q')} />}
      </FilterToolbar>
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
      <PagedTable
        query={query}
        list={list}
        label="Accounts"
        columns={columns}
        empty={q ? `No account’s email starts with “${q}”.` : 'No accounts yet.'}
      />
    </>
  );
}

function RolesEditor({ account, onCancel, onDone }: { account: Account; onCancel: () => void; onDone: (message: string) => void }) {
  const [roles, setRoles] = useState<string[]>(account.roles);
  const save = useListWrite('admin-accounts');
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const error = save.error;
  // Roles the provider holds that this console does not know stay as they are.
  const unknown = account.roles.filter((r) => !GRANTABLE_ROLES.includes(r));

  async function submit(event: FormEvent) {
    event.preventDefault();
    const wanted = [...roles.filter((r) => GRANTABLE_ROLES.includes(r)), ...unknown];
    const written = await save.write({ subject: account.subject, wanted }, (options) => writes.setRoles(account.subject, wanted, options));
    if (written) onDone(`Saved the roles of ${account.email}. They take effect at the account’s next sign-in or token refresh.`);
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
      <FormActions label="Save roles" pending={save.pending} onCancel={onCancel} />
    </form>
  );
}
