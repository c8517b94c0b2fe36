// Cast members by name: create, edit, delete.

import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { reads, writes } from '../../shared/api';
import { ErrorAlert } from '../../shared/FieldErrors';
import type { CastMember, CastMemberKind } from '../../shared/types';
import { Field, fieldProps } from '../fields';
import { KIND_LABEL } from '../format';
import { useListParams } from '../listParams';
import { useSubmission } from '../submission';
import { ConfirmButton, LoadError, Loading, Notice, PageHeader, Pager, TableRegion, useFocusOnMount } from '../ui';
import { LocalToolbar, useLocalView } from './LocalView';

const PAGE_SIZE = 50;

export default function CastMembersPage() {
  const list = useListParams();
  const queryClient = useQueryClient();
  const typeId = useId();
  const query = useQuery({
    queryKey: ['cast-members', 'page', list.cursor],
    queryFn: () => reads.castMembers(list.cursor, PAGE_SIZE),
    placeholderData: keepPreviousData,
  });
  const kind = list.get('type');
  const rows = useLocalView(query.data?.items ?? [], list, (m) => m.name, (m) => !kind || m.kind === kind);
  const [editing, setEditing] = useState<CastMember | 'new'>();
  const [notice, setNotice] = useState<string>();
  const action = useSubmission();

  async function remove(member: CastMember) {
    setNotice(undefined);
    const written = await action.run({ what: 'delete', id: member.id }, (o) => writes.deleteCastMember(member.id, o));
    if (written === undefined) return;
    await queryClient.invalidateQueries({ queryKey: ['cast-members'] });
    setNotice(`Deleted “${member.name}”.`);
  }

  return (
    <>
      <PageHeader title="Cast members">
        <button type="button" className="primary" onClick={() => setEditing('new')}>
          New cast member
        </button>
      </PageHeader>
      {notice && <Notice>{notice}</Notice>}
      <ErrorAlert error={action.error} />
      {editing && (
        <CastMemberForm
          key={editing === 'new' ? 'new' : editing.id}
          member={editing === 'new' ? undefined : editing}
          onCancel={() => setEditing(undefined)}
          onDone={(message) => {
            setEditing(undefined);
            setNotice(message);
          }}
        />
      )}
      <LocalToolbar list={list} noun="cast members">
        <div className="adm-filter">
          <label htmlFor={typeId}>Type</label>
          <select id={typeId} value={kind} onChange={(e) => list.setLocal('type', e.target.value)}>
            <option value="">Any</option>
            <option value="ACTOR">Actors</option>
            <option value="DIRECTOR">Directors</option>
          </select>
        </div>
      </LocalToolbar>
      {query.isPending ? (
        <Loading what="cast members" />
      ) : query.isError ? (
        <LoadError error={query.error} retry={() => void query.refetch()} />
      ) : (
        <>
          <TableRegion label="Cast members">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Type</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((member) => (
                  <tr key={member.id}>
                    <td>{member.name}</td>
                    <td>{KIND_LABEL[member.kind] ?? member.kind}</td>
                    <td className="adm-row-actions">
                      <button type="button" onClick={() => setEditing(member)} aria-label={`Edit ${member.name}`}>
                        Edit
                      </button>
                      <ConfirmButton
                        label="Delete"
                        name={`Delete ${member.name}`}
                        question={`Delete “${member.name}”?`}
                        confirmLabel="Delete"
                        pending={action.pending}
                        onConfirm={() => void remove(member)}
                      />
                    </td>
                  </tr>
                ))}
                {rows.length === 0 && (
                  <tr>
                    <td colSpan={3} className="cf-muted">
                      {query.data.items.length === 0 ? 'No cast members yet.' : 'No cast member on this page matches the filter.'}
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

function CastMemberForm({ member, onCancel, onDone }: {
  member?: CastMember;
  onCancel: () => void;
  onDone: (message: string) => void;
}) {
  const [name, setName] = useState(member?.name ?? '');
  const [type, setType] = useState<CastMemberKind>(member?.kind ?? 'ACTOR');
  const submission = useSubmission();
  const queryClient = useQueryClient();
  const first = useFocusOnMount<HTMLInputElement>();
  const error = submission.error;

  async function submit(event: FormEvent) {
    event.preventDefault();
    const input = { name, type };
    const written = await submission.run({ id: member?.id, input }, (options) =>
      member ? writes.updateCastMember(member.id, input, member.version, options) : writes.createCastMember(input, options),
    );
    if (written === undefined) return;
    await queryClient.invalidateQueries({ queryKey: ['cast-members'] });
    onDone(member ? `Saved “${name}”.` : `Created “${name}”.`);
  }

  return (
    <form className="adm-panel" aria-labelledby="cast-form-title" onSubmit={submit} noValidate>
      <h2 id="cast-form-title">{member ? `Edit “${member.name}”` : 'New cast member'}</h2>
      <ErrorAlert error={error} />
      <Field id="cast-name" label="Name" field="name" error={error}>
        <input id="cast-name" ref={first} value={name} onChange={(e) => setName(e.target.value)} required {...fieldProps(error, 'name')} />
      </Field>
      <Field id="cast-type" label="Type" field="type" error={error}>
        <select id="cast-type" value={type} onChange={(e) => setType(e.target.value as CastMemberKind)} {...fieldProps(error, 'type')}>
          <option value="ACTOR">Actor</option>
          <option value="DIRECTOR">Director</option>
        </select>
      </Field>
      <div className="adm-form-actions">
        <button type="submit" className="primary" disabled={submission.pending}>
          {submission.pending ? 'Saving…' : member ? 'Save cast member' : 'Create cast member'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
