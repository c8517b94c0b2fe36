// One Idempotency-Key per submission attempt: a double click, or a retry after a network error,
// resends the same key and is applied once. The command API refuses a key reused with another
// body, so the key follows the request: change the form (or its If-Match) and it is a new one.

import { useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import type { CommandOptions } from '../shared/api';

export function useIdempotencyKey() {
  const current = useRef<{ fingerprint: string; key: string } | undefined>(undefined);
  return {
    keyFor(request: unknown): string {
      const fingerprint = JSON.stringify(request);
      if (current.current?.fingerprint !== fingerprint) {
        current.current = { fingerprint, key: crypto.randomUUID() };
      }
      return current.current.key;
    },
    /** After success: the next submission is a new request, even with the same content. */
    done(): void {
      current.current = undefined;
    },
  };
}

export interface Submission {
  pending: boolean;
  error: unknown;
  clearError: () => void;
  /** Sends `send` with the key for `request`; resolves to its answer, or undefined on failure
   *  (the failure is in `error`) or while another send of this form is in flight. */
  run: <T>(request: unknown, send: (options: CommandOptions) => Promise<T>) => Promise<T | undefined>;
}

export function useSubmission(): Submission {
  const keys = useIdempotencyKey();
  const inFlight = useRef(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>();

  async function run<T>(request: unknown, send: (options: CommandOptions) => Promise<T>): Promise<T | undefined> {
    if (inFlight.current) return undefined;
    inFlight.current = true;
    setPending(true);
    setError(undefined);
    try {
      const answer = await send({ idempotencyKey: keys.keyFor(request) });
      keys.done();
      return answer;
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      inFlight.current = false;
      setPending(false);
    }
  }

  return { pending, error, clearError: () => setError(undefined), run };
}

/** A submission that changes the items of a list: once written, the list's queries (under
 *  `queryKey`) are read again before it resolves, so that what the page says next matches what
 *  the list shows. Resolves to whether it was written. */
export function useListWrite(queryKey: string) {
  const submission = useSubmission();
  const queryClient = useQueryClient();

  async function write(request: unknown, send: (options: CommandOptions) => Promise<unknown>): Promise<boolean> {
    const written = await submission.run(request, send);
    if (written === undefined) return false;
    await queryClient.invalidateQueries({ queryKey: [queryKey] });
    return true;
  }

  return { pending: submission.pending, error: submission.error, write };
}
