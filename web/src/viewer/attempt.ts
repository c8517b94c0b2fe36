// One Idempotency-Key per attempt of a payment or subscription write (as SubscribeForm does):
// a click repeated after a failure whose outcome is unknown (no answer, 5xx) resends the same
// key, so the API answers the first request again instead of applying (or charging) twice. The
// attempt ends, and the next click is a new request under a new key, once the API has answered
// it: success, or a refusal such as a declined payment (the API keys the charge by the request's
// key, so resending the same key would only replay the decline). Other input is another request.

import { useRef } from 'react';
import type { CommandOptions } from '../shared/api';
import { isApiError } from '../shared/FieldErrors';

/** Whether a failed write may have been applied, or may go through when sent again as it was:
 *  no answer (network), the service failing (5xx), a timeout (408) or throttling (429). */
export function outcomeUnknown(error: unknown): boolean {
  if (!isApiError(error)) return true;
  return error.status === 0 || error.status >= 500 || error.status === 408 || error.status === 429;
}

export interface Attempt {
  /** Sends `send` under the key of the attempt at `request` (the action and its input). */
  run<T>(request: unknown, send: (options: CommandOptions) => Promise<T>): Promise<T>;
}

export function useAttempt(): Attempt {
  const attempt = useRef<{ key: string; request: string } | null>(null);
  const self = useRef<Attempt>(null);
  self.current ??= {
    async run(request, send) {
      const fingerprint = JSON.stringify(request);
      if (attempt.current?.request !== fingerprint) attempt.current = { key: crypto.randomUUID(), request: fingerprint };
      const current = attempt.current;
      const over = () => {
        if (attempt.current === current) attempt.current = null;
      };
      try {
        const answer = await send({ idempotencyKey: current.key });
        over();
        return answer;
      } catch (error) {
        if (!outcomeUnknown(error)) over();
        throw error;
      }
    },
  };
  return self.current;
}
