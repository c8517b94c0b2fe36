// The signed-in viewer's current subscription, and what it means for watching.

import { useQuery } from '@tanstack/react-query';
import { reads } from '../shared/api';
import { isApiError } from '../shared/FieldErrors';
import type { Subscription } from '../shared/types';
import { useSession } from './session';

/** Query key of the current subscription; invalidate it after a subscription write. */
export const MY_SUBSCRIPTION = ['me', 'subscription'] as const;

/** The current subscription (`null`: none yet), only asked for when signed in. */
export function useMySubscription() {
  const { user } = useSession();
  return useQuery({
    queryKey: [...MY_SUBSCRIPTION, user?.profile.sub],
    enabled: !!user,
    queryFn: async (): Promise<Subscription | null> => {
      try {
        return await reads.mySubscription();
      } catch (error) {
        // 404 is the API's way to say "no subscription yet".
        if (isApiError(error) && error.status === 404) return null;
        throw error;
      }
    },
  });
}

/** Statuses a cancellation applies to. */
export const CANCELABLE = ['TRIALING', 'ACTIVE', 'PAST_DUE', 'INCOMPLETE'];
/** Statuses that owe a payment now. */
export const PAYABLE = ['PAST_DUE', 'INCOMPLETE'];

export function statusLabel(status: string): string {
  switch (status) {
    case 'TRIALING': return 'Free trial';
    case 'ACTIVE': return 'Active';
    case 'PAST_DUE': return 'Payment overdue';
    case 'CANCELED': return 'Canceled';
    case 'EXPIRED': return 'Ended';
    case 'INCOMPLETE': return 'Waiting for payment';
    default: return status;
  }
}

export function statusTone(status: string): 'ok' | 'warn' | 'danger' | '' {
  if (status === 'ACTIVE' || status === 'TRIALING') return 'ok';
  if (status === 'PAST_DUE' || status === 'INCOMPLETE' || status === 'CANCELED') return 'warn';
  if (status === 'EXPIRED') return 'danger';
  return '';
}
