// Plans, retired ones too: create, edit (for new subscriptions), open and retire.

import { useState } from 'react';
import { reads, writes, type PlanInput } from '../../shared/api';
import type { BillingPeriod, Plan } from '../../shared/types';
import { DescriptionField, EditButton, EditableListPage, EditorForm, NameField, useEditableList, type EditorProps } from '../editing';
import { Field, fieldProps, NumberField } from '../fields';
import { formatMoney, PERIOD_LABEL, toMajor, toMinor } from '../format';
import { useListParams } from '../listParams';
import { PagedTable, useListPage, type Column } from '../lists';
import { useListWrite } from '../submission';
import { Badge, ConfirmButton } from '../ui';

export default function PlansPage() {
  const list = useListParams();
  const query = useListPage(['admin-plans', list.cursor], () => reads.admin.plans(list.cursor));
  const page = useEditableList<Plan>('admin-plans');

  function setActive(plan: Plan, active: boolean) {
    const done = active ? `“${plan.name}” takes new subscriptions again.` : `Retired “${plan.name}”: existing subscriptions go on.`;
    void page.act({ active, id: plan.id }, (o) => writes.setPlanActive(plan.id, active, o), done);
  }

  const columns: Column<Plan>[] = [
    {
      header: 'Name',
      cell: (plan) => (
        <>
          {plan.name}
          {plan.description && <div className="adm-hint">{plan.description}</div>}
        </>
      ),
    },
    { header: 'Price', className: 'adm-nowrap', cell: (plan) => formatMoney(plan.amount_minor, plan.currency) },
    { header: 'Period', cell: (plan) => PERIOD_LABEL[plan.billing_period] ?? plan.billing_period },
    { header: 'Trial', cell: (plan) => (plan.trial_days ? `${plan.trial_days} days` : 'None') },
    { header: 'State', cell: (plan) => <Badge tone={plan.active ? 'ok' : undefined}>{plan.active ? 'Active' : 'Retired'}</Badge> },
    {
      header: 'Actions',
      className: 'adm-row-actions',
      cell: (plan) => (
        <>
          <EditButton name={plan.name} onClick={() => page.open(plan)} />
          {plan.active ? (
            <ConfirmButton
              label="Retire"
              name={`Retire ${plan.name}`}
              danger={false}
              question={`Retire “${plan.name}”? No new subscriptions; existing ones go on.`}
              confirmLabel="Retire"
              pending={page.pending}
              onConfirm={() => setActive(plan, false)}
            />
          ) : (
            <button type="button" aria-label={`Activate ${plan.name}`} disabled={page.pending} onClick={() => setActive(plan, true)}>
              Activate
            </button>
          )}
        </>
      ),
    },
  ];

  return (
    <EditableListPage title="Plans" noun="plan" page={page} form={PlanForm}>
      <PagedTable query={query} list={list} label="Plans" columns={columns} empty="No plans yet." />
    </EditableListPage>
  );
}

function PlanForm({ item: plan, onCancel, onDone }: EditorProps<Plan>) {
  const [name, setName] = useState(plan?.name ?? '');
  const [description, setDescription] = useState(plan?.description ?? '');
  const [currency, setCurrency] = useState(plan?.currency ?? 'BRL');
  const [price, setPrice] = useState(plan ? toMajor(plan.amount_minor, plan.currency) : '');
  const [period, setPeriod] = useState<BillingPeriod>(plan?.billing_period ?? 'MONTHLY');
  const [trial, setTrial] = useState(String(plan?.trial_days ?? 0));
  const save = useListWrite('admin-plans');
  const error = save.error;
  const code = currency.trim().toUpperCase();

  async function submit() {
    const input: PlanInput = {
      name,
      description: description.trim() ? description : null,
      // NaN goes as null: the API then says what the price must be.
      amount_minor: toMinor(price, code),
      currency: code,
      billing_period: period,
      trial_days: trial.trim() === '' ? null : Number(trial),
    };
    const written = await save.write({ id: plan?.id, input }, (options) =>
      plan ? writes.updatePlan(plan.id, input, undefined, options) : writes.createPlan(input, options),
    );
    if (written) onDone(plan ? `Saved “${name}”. The new price and trial apply to new subscriptions.` : `Created “${name}”.`);
  }

  return (
    <EditorForm
      titleId="plan-form-title"
      noun="plan"
      name={plan?.name}
      save={save}
      submit={submit}
      onCancel={onCancel}
    >
      <NameField id="plan-name" value={name} onChange={setName} error={error} />
      <DescriptionField id="plan-description" value={description} onChange={setDescription} error={error} rows={2} hint="Optional, up to 1000 characters." />
      <div className="adm-grid">
        <Field id="plan-price" label="Price per period" field="amount_minor" error={error} hint={`In ${code || 'the currency'}, e.g. 29.90`}>
          <input
            id="plan-price"
            inputMode="decimal"
            value={price}
            onChange={(e) => setPrice(e.target.value)}
            required
            {...fieldProps(error, 'amount_minor', 'plan-price-hint')}
          />
        </Field>
        <Field id="plan-currency" label="Currency" field="currency" error={error} hint="ISO 4217 code, e.g. BRL">
          <input
            id="plan-currency"
            value={currency}
            maxLength={3}
            autoCapitalize="characters"
            onChange={(e) => setCurrency(e.target.value)}
            required
            {...fieldProps(error, 'currency', 'plan-currency-hint')}
          />
        </Field>
        <Field
          id="plan-period"
          label="Billing period"
          field="billing_period"
          error={error}
          hint={plan ? 'A plan’s period cannot change.' : undefined}
        >
          <select
            id="plan-period"
            value={period}
            disabled={!!plan}
            onChange={(e) => setPeriod(e.target.value as BillingPeriod)}
            {...fieldProps(error, 'billing_period', plan ? 'plan-period-hint' : undefined)}
          >
            <option value="MONTHLY">Monthly</option>
            <option value="YEARLY">Yearly</option>
          </select>
        </Field>
        <NumberField id="plan-trial" label="Trial (days)" field="trial_days" value={trial} onChange={setTrial} error={error} min={0} />
      </div>
    </EditorForm>
  );
}
