// Plans, retired ones too: create, edit (for new subscriptions), open and retire.

import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { reads, writes, type PlanInput } from '../../shared/api';
import { ErrorAlert } from '../../shared/FieldErrors';
import type { BillingPeriod, Plan } from '../../shared/types';
import { Field, fieldProps } from '../fields';
import { formatMoney, PERIOD_LABEL, toMajor, toMinor } from '../format';
import { useListParams } from '../listParams';
import { useSubmission } from '../submission';
import { Badge, ConfirmButton, LoadError, Loading, Notice, PageHeader, Pager, TableRegion, useFocusOnMount } from '../ui';

export default function PlansPage() {
  const list = useListParams();
  const queryClient = useQueryClient();
  const query = useQuery({
    queryKey: ['admin-plans', list.cursor],
    queryFn: () => reads.admin.plans(list.cursor),
    placeholderData: keepPreviousData,
  });
  const [editing, setEditing] = useState<Plan | 'new'>();
  const [notice, setNotice] = useState<string>();
  const action = useSubmission();

  async function setActive(plan: Plan, active: boolean) {
    setNotice(undefined);
    const written = await action.run({ active, id: plan.id }, (o) => writes.setPlanActive(plan.id, active, o));
    if (written === undefined) return;
    await queryClient.invalidateQueries({ queryKey: ['admin-plans'] });
    setNotice(active ? `“${plan.name}” takes new subscriptions again.` : `Retired “${plan.name}”: existing subscriptions go on.`);
  }

  return (
    <>
      <PageHeader title="Plans">
        <button type="button" className="primary" onClick={() => setEditing('new')}>
          New plan
        </button>
      </PageHeader>
      {notice && <Notice>{notice}</Notice>}
      <ErrorAlert error={action.error} />
      {editing && (
        <PlanForm
          key={editing === 'new' ? 'new' : editing.id}
          plan={editing === 'new' ? undefined : editing}
          onCancel={() => setEditing(undefined)}
          onDone={(message) => {
            setEditing(undefined);
            setNotice(message);
          }}
        />
      )}
      {query.isPending ? (
        <Loading what="plans" />
      ) : query.isError ? (
        <LoadError error={query.error} retry={() => void query.refetch()} />
      ) : (
        <>
          <TableRegion label="Plans">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Price</th>
                  <th scope="col">Period</th>
                  <th scope="col">Trial</th>
                  <th scope="col">State</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {query.data.items.map((plan) => (
                  <tr key={plan.id}>
                    <td>
                      {plan.name}
                      {plan.description && <div className="adm-hint">{plan.description}</div>}
                    </td>
                    <td className="adm-nowrap">{formatMoney(plan.amount_minor, plan.currency)}</td>
                    <td>{PERIOD_LABEL[plan.billing_period] ?? plan.billing_period}</td>
                    <td>{plan.trial_days ? `${plan.trial_days} days` : 'None'}</td>
                    <td>
                      <Badge tone={plan.active ? 'ok' : undefined}>{plan.active ? 'Active' : 'Retired'}</Badge>
                    </td>
                    <td className="adm-row-actions">
                      <button type="button" onClick={() => setEditing(plan)} aria-label={`Edit ${plan.name}`}>
                        Edit
                      </button>
                      {plan.active ? (
                        <ConfirmButton
                          label="Retire"
                          name={`Retire ${plan.name}`}
                          danger={false}
                          question={`Retire “${plan.name}”? No new subscriptions; existing ones go on.`}
                          confirmLabel="Retire"
                          pending={action.pending}
                          onConfirm={() => void setActive(plan, false)}
                        />
                      ) : (
                        <button
                          type="button"
                          aria-label={`Activate ${plan.name}`}
                          disabled={action.pending}
                          onClick={() => void setActive(plan, true)}
                        >
                          Activate
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
                {query.data.items.length === 0 && (
                  <tr>
                    <td colSpan={6} className="cf-muted">
                      No plans yet.
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

function PlanForm({ plan, onCancel, onDone }: { plan?: Plan; onCancel: () => void; onDone: (message: string) => void }) {
  const [name, setName] = useState(plan?.name ?? '');
  const [description, setDescription] = useState(plan?.description ?? '');
  const [currency, setCurrency] = useState(plan?.currency ?? 'BRL');
  const [price, setPrice] = useState(plan ? toMajor(plan.amount_minor, plan.currency) : '');
  const [period, setPeriod] = useState<BillingPeriod>(plan?.billing_period ?? 'MONTHLY');
  const [trial, setTrial] = useState(String(plan?.trial_days ?? 0));
  const submission = useSubmission();
  const queryClient = useQueryClient();
  const first = useFocusOnMount<HTMLInputElement>();
  const error = submission.error;
  const code = currency.trim().toUpperCase();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const input: PlanInput = {
      name,
      description: description.trim() ? description : null,
      // NaN goes as null: the API then says what the price must be.
      amount_minor: toMinor(price, code),
      currency: code,
      billing_period: period,
      trial_days: trial.trim() === '' ? null : Number(trial),
    };
    const written = await submission.run({ id: plan?.id, input }, (options) =>
      plan ? writes.updatePlan(plan.id, input, undefined, options) : writes.createPlan(input, options),
    );
    if (written === undefined) return;
    await queryClient.invalidateQueries({ queryKey: ['admin-plans'] });
    onDone(plan ? `Saved “${name}”. The new price and trial apply to new subscriptions.` : `Created “${name}”.`);
  }

  return (
    <form className="adm-panel" aria-labelledby="plan-form-title" onSubmit={submit} noValidate>
      <h2 id="plan-form-title">{plan ? `Edit “${plan.name}”` : 'New plan'}</h2>
      <ErrorAlert error={error} />
      <Field id="plan-name" label="Name" field="name" error={error}>
        <input id="plan-name" ref={first} value={name} onChange={(e) => setName(e.target.value)} required {...fieldProps(error, 'name')} />
      </Field>
      <Field id="plan-description" label="Description" field="description" error={error} hint="Optional, up to 1000 characters.">
        <textarea
          id="plan-description"
          rows={2}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          {...fieldProps(error, 'description', 'plan-description-hint')}
        />
      </Field>
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
        <Field id="plan-trial" label="Trial (days)" field="trial_days" error={error}>
          <input
            id="plan-trial"
            type="number"
            inputMode="numeric"
            min={0}
            value={trial}
            onChange={(e) => setTrial(e.target.value)}
            {...fieldProps(error, 'trial_days')}
          />
        </Field>
      </div>
      <div className="adm-form-actions">
        <button type="submit" className="primary" disabled={submission.pending}>
          {submission.pending ? 'Saving…' : plan ? 'Save plan' : 'Create plan'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
