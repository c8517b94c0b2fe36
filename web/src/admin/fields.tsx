// Form fields that show the API's rules next to themselves (problem+json `errors[]`), tied to the
// input with aria-describedby so a screen reader reads them with the field.

import { useId, useState, type ReactNode } from 'react';
import { FieldErrors, errorId, invalid } from '../shared/FieldErrors';

/** aria-invalid and aria-describedby for an input named `field` in the API's errors. */
export function fieldProps(error: unknown, field: string, hintId?: string) {
  const bad = invalid(error, field);
  const describedBy = [bad ? errorId(field) : undefined, hintId].filter(Boolean).join(' ');
  return { 'aria-invalid': bad || undefined, 'aria-describedby': describedBy || undefined };
}

export function Field({
  id,
  label,
  field,
  error,
  hint,
  children,
}: {
  id: string;
  label: string;
  field: string;
  error: unknown;
  hint?: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className="cf-field">
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && (
        <p className="adm-hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <FieldErrors error={error} field={field} />
    </div>
  );
}

/** A whole number the API checks (it answers the rule for a bad one). */
export function NumberField({ id, label, field, value, onChange, error, min, max, required }: {
  id: string;
  label: string;
  /** The API's field name, for its errors. */
  field: string;
  value: string;
  onChange: (value: string) => void;
  error: unknown;
  min: number;
  max?: number;
  required?: boolean;
}) {
  return (
    <Field id={id} label={label} field={field} error={error}>
      <input
        id={id}
        type="number"
        inputMode="numeric"
        min={min}
        max={max}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        required={required}
        {...fieldProps(error, field)}
      />
    </Field>
  );
}

export interface Option {
  id: string;
  name: string;
  /** Said after the name (a cast member's type, "inactive"). */
  hint?: string;
}

/** A multi-select as checkboxes, with a filter box once the list is long. */
export function CheckboxGroup({
  legend,
  field,
  options,
  selected,
  onChange,
  error,
  loading,
}: {
  legend: string;
  field: string;
  options: Option[];
  selected: string[];
  onChange: (ids: string[]) => void;
  error: unknown;
  loading?: boolean;
}) {
  const filterId = useId();
  const [filter, setFilter] = useState('');
  const needle = filter.trim().toLowerCase();
  const shown = needle ? options.filter((o) => o.name.toLowerCase().includes(needle)) : options;
  const toggle = (id: string, on: boolean) =>
    onChange(on ? [...selected, id] : selected.filter((other) => other !== id));
  return (
    <fieldset className="cf-field adm-checks" aria-describedby={invalid(error, field) ? errorId(field) : undefined}>
      <legend>
        {legend} <span className="cf-muted">({selected.length} selected)</span>
      </legend>
      {options.length > 8 && (
        <div className="adm-check-filter">
          <label htmlFor={filterId}>Filter {legend.toLowerCase()}</label>
          <input id={filterId} type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
        </div>
      )}
      {loading ? (
        <p className="cf-muted" role="status">
          Loading {legend.toLowerCase()}…
        </p>
      ) : options.length === 0 ? (
        <p className="cf-muted">There are none yet.</p>
      ) : (
        <ul className="adm-check-list">
          {shown.map((option) => (
            <li key={option.id}>
              <label>
                <input
                  type="checkbox"
                  checked={selected.includes(option.id)}
                  onChange={(e) => toggle(option.id, e.target.checked)}
                />
                <span>
                  {option.name}
                  {option.hint && <span className="cf-muted"> · {option.hint}</span>}
                </span>
              </label>
            </li>
          ))}
          {shown.length === 0 && <li className="cf-muted">Nothing matches “{filter}”.</li>}
        </ul>
      )}
      <FieldErrors error={error} field={field} />
    </fieldset>
  );
}
