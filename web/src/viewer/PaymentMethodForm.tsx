// Changing a subscription's payment method, and (for a subscription that owes a payment)
// paying with the new one straight away. Each write keeps its Idempotency-Key across retries of
// the same attempt (attempt.ts): a retried payment is never a second charge.

import { useId, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { writes } from '../shared/api';
import { ErrorAlert, isApiError } from '../shared/FieldErrors';
import { useAttempt } from './attempt';
import { APPROVED_TEST_CARD, CardField } from './CardField';
import { MY_SUBSCRIPTION } from './subscription';

interface Props {
  subscriptionId: string;
  /** Pay what is due once the method is changed. */
  payAfter: boolean;
  /** The method on file, to skip changing it when it is kept. */
  current?: string | null;
  onDone?: (message: string) => void;
}

export function PaymentMethodForm({ subscriptionId, payAfter, current, onDone }: Props) {
  const id = useId();
  const queryClient = useQueryClient();
  const [method, setMethod] = useState(APPROVED_TEST_CARD);
  const [done, setDone] = useState<string>();
  const change = useAttempt();
  const payment = useAttempt();
  const mutation = useMutation({
    mutationFn: async (paymentMethod: string) => {
      if (paymentMethod !== current) {
        await change.run({ subscriptionId, paymentMethod }, (o) => writes.changePaymentMethod(subscriptionId, paymentMethod, o));
      }
      // The card is part of the payment: another card is another attempt.
      if (payAfter) await payment.run({ pay: subscriptionId, paymentMethod }, (o) => writes.pay(subscriptionId, o));
    },
    onSuccess: () => {
      const message = payAfter ? 'Payment approved: your subscription is active.' : 'Payment method changed.';
      setDone(message);
      onDone?.(message);
    },
    // The method may have changed even when the payment then failed: read it again either way.
    onSettled: () => queryClient.invalidateQueries({ queryKey: MY_SUBSCRIPTION }),
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setDone(undefined);
    mutation.mutate(method.trim());
  };
  return (
    <form onSubmit={submit} noValidate aria-label={payAfter ? 'Pay with another card' : 'Change payment method'}>
      {mutation.isError && <PaymentError error={mutation.error} />}
      <CardField id={`${id}-card`} label="Card (test token)" value={method} onChange={setMethod} error={mutation.error} />
      <button type="submit" className="primary" disabled={mutation.isPending}>
        {mutation.isPending ? 'Working…' : payAfter ? 'Pay with this card' : 'Change payment method'}
      </button>
      {done && !onDone && <p className="cf-alert ok" role="status">{done}</p>}
    </form>
  );
}

/** A payment refusal (402) reads as a decline; other errors as they are. */
export function PaymentError({ error }: { error: unknown }) {
  if (isApiError(error) && error.status === 402) {
    return <div className="cf-alert" role="alert">The payment was declined: {error.message}</div>;
  }
  return <ErrorAlert error={error} />;
}
