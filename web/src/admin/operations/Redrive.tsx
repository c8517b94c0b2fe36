// Sending a consumer's dead letters back: every letter not re-driven yet, in the order they were
// set aside (the API cannot send one alone). The question says how many go, and after it the
// answer says how many went; what still fails comes back as a new dead letter.

import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { operations } from '../../shared/api';
import { ErrorAlert } from '../../shared/FieldErrors';
import { useSubmission } from '../submission';
import { ConfirmButton, Notice } from '../ui';

export function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function RedriveButton({ consumer, waiting, label, question, onDone }: {
  consumer: string;
  waiting: number;
  /** The button's text (default: "Re-drive N waiting"). */
  label?: string;
  /** The confirming question (default: how many letters go back to whom). */
  question?: string;
  onDone?: (redriven: number) => void;
}) {
  const submission = useSubmission();
  const queryClient = useQueryClient();
  const [sent, setSent] = useState<number>();

  async function redrive() {
    setSent(undefined);
    const answer = await submission.run({ redrive: consumer }, () => operations.redrive(consumer));
    if (answer === undefined) return;
    setSent(answer.redriven);
    await queryClient.invalidateQueries({ queryKey: ['dead-letters'] });
    onDone?.(answer.redriven);
  }

  return (
    <div className="adm-redrive">
      {waiting > 0 && (
        <ConfirmButton
          label={label ?? `Re-drive ${waiting} waiting`}
          // The visible text first, as the accessible name must contain it.
          name={label ? undefined : `Re-drive ${waiting} waiting of ${consumer}`}
          question={question ?? `Send ${plural(waiting, 'dead letter', 'dead letters')} back to ${consumer}?`}
          confirmLabel="Re-drive"
          danger={false}
          pending={submission.pending}
          onConfirm={() => void redrive()}
        />
      )}
      {sent !== undefined && (
        <Notice>
          Sent {plural(sent, 'dead letter', 'dead letters')} back to {consumer}. What fails again is set aside again.
        </Notice>
      )}
      <ErrorAlert error={submission.error} />
    </div>
  );
}
