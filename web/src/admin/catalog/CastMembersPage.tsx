// Cast members by name: create, edit, delete.

import { useState } from 'react';
import { reads, writes } from '../../shared/api';
import type { CastMember, CastMemberKind } from '../../shared/types';
import { EditorForm, NameField, type EditorProps } from '../editing';
import { Field, fieldProps } from '../fields';
import { KIND_LABEL } from '../format';
import { SelectFilter } from '../lists';
import { useListWrite } from '../submission';
import { CatalogPage } from './CatalogPage';

const TYPES = [
  { value: 'ACTOR', label: 'Actors' },
  { value: 'DIRECTOR', label: 'Directors' },
];

export default function CastMembersPage() {
  return (
    <CatalogPage<CastMember>
      title="Cast members"
      noun="cast member"
      queryKey="cast-members"
      read={reads.castMembers}
      remove={writes.deleteCastMember}
      columns={[{ header: 'Type', cell: (m) => KIND_LABEL[m.kind] ?? m.kind }]}
      form={CastMemberForm}
      filters={(list) => (
        <SelectFilter label="Type" any options={TYPES} value={list.get('type')} onChange={(e) => list.setLocal('type', e.target.value)} />
      )}
      matches={(member, list) => !list.get('type') || member.kind === list.get('type')}
    />
  );
}

function CastMemberForm({ item: member, onCancel, onDone }: EditorProps<CastMember>) {
  const [name, setName] = useState(member?.name ?? '');
  const [type, setType] = useState<CastMemberKind>(member?.kind ?? 'ACTOR');
  const save = useListWrite('cast-members');
  const error = save.error;

  async function submit() {
    const input = { name, type };
    const written = await save.write({ id: member?.id, input }, (options) =>
      member ? writes.updateCastMember(member.id, input, member.version, options) : writes.createCastMember(input, options),
    );
    if (written) onDone(member ? `Saved “${name}”.` : `Created “${name}”.`);
  }

  return (
    <EditorForm
      titleId="cast-form-title"
      noun="cast member"
      name={member?.name}
      save={save}
      onSubmit={() => void submit()}
      onCancel={onCancel}
    >
      <NameField id="cast-name" value={name} onChange={setName} error={error} />
      <Field id="cast-type" label="Type" field="type" error={error}>
        <select id="cast-type" value={type} onChange={(e) => setType(e.target.value as CastMemberKind)} {...fieldProps(error, 'type')}>
          <option value="ACTOR">Actor</option>
          <option value="DIRECTOR">Director</option>
        </select>
      </Field>
    </EditorForm>
  );
}
