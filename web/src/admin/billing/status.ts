import type { Tone } from '../ui';

export const SUBSCRIPTION_STATUSES = ['TRIALING', 'ACTIVE', 'PAST_DUE', 'CANCELED', 'EXPIRED', 'INCOMPLETE'] as const;

const TONE: Record<string, Tone> = {
  ACTIVE: 'ok',
  TRIALING: 'info',
  PAST_DUE: 'warn',
  INCOMPLETE: 'warn',
  CANCELED: undefined,
  EXPIRED: undefined,
};

export function subscriptionTone(status: string): Tone {
  return TONE[status];
}

export function subscriptionLabel(status: string): string {
  return status.charAt(0) + status.slice(1).toLowerCase().replace('_', ' ');
}
