// The payment method field. Codeflix's development payment provider takes Stripe-style test
// card tokens instead of card numbers; the hint says so, so nobody types a real card here.

import { errorId, FieldErrors, invalid } from '../shared/FieldErrors';

export const APPROVED_TEST_CARD = 'card_4242424242424242';
export const DECLINED_TEST_CARD = 'card_4000000000009995';

interface Props {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  error: unknown;
}

export function CardField({ id, label, value, onChange, error }: Props) {
  const hintId = `${id}-hint`;
  const bad = invalid(error, 'payment_method');
  return (
    <div className="cf-field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name="payment_method"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        required
        maxLength={255}
        autoComplete="off"
        spellCheck={false}
        aria-invalid={bad || undefined}
        aria-describedby={bad ? `${hintId} ${errorId('payment_method')}` : hintId}
      />
      <p id={hintId} className="vw-hint">
        This is a test payment provider: enter a test card token, not a real card.{' '}
        <code>{APPROVED_TEST_CARD}</code> is approved; <code>{DECLINED_TEST_CARD}</code> is declined.
      </p>
      <FieldErrors error={error} field="payment_method" />
    </div>
  );
}
