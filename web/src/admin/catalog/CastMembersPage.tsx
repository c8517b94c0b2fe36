// Cast members by name: create, edit, delete.

import { useState } from 'react';
import { reads, writes } from '../../shared/api';
import type { CastMember, CastMemberKind } from '../../shared/types';
import { EditorForm, NameField, useItemSave, type EditorProps } from '../editing';
import { Field, fieldProps } from '../fields';
import { KIND_LABEL } from '../format';
import { SelectFilter } from '../lists';
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
      read={reads.admin.castMembers}
      remove={writes.deleteCastMember}
      columns={[{ header: 'Type', cell: (m) => KIND_LABEL[m.kind] ?? m.kind }]}
      form={CastMemberForm}
      filters={(list) => (
        <div className="adm-check-filter">
          <SelectFilter label="Type (this page)" narrow any options={TYPES} value={list.get('type')} onChange={(e) => list.setLocal('type', e.target.value)} />
        </div>
      )}
      matches={(member, list) => !list.get('type') || member.kind === list.get('type')}
    />
  );
}

function CastMemberForm({ item: member, onCancel, onDone, onReload }: EditorProps<CastMember>) {
  const [name, setName] = useState(member?.name ?? '');
  const [type, setType] = useState<CastMemberKind>(member?.kind ?? 'ACTOR');
  const save = useItemSave('cast-members', member, { create: writes.createCastMember, update: writes.updateCastMember }, onDone);
  const error = save.error;

  return (
    <EditorForm
      titleId="cast-form-title"
      noun="cast member"
      name={member?.name}
      save={save}
      submit={(ifMatch) => save.submit({ name, type }, name, ifMatch)}
      onReload={onReload}
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
