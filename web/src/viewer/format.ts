// How the viewer app writes money, periods, durations and dates. Locale-aware through Intl so the
// same build reads naturally in any language the browser prefers.

import type { BillingPeriod } from '../shared/types';

/** The digits after the decimal point a currency uses (JPY 0, USD 2, BHD 3). */
function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** An amount kept in minor units (cents) as money: `formatMoney(2990, 'BRL', 'en-US')` → "R$29.90". */
export function formatMoney(amountMinor: number, currency: string, locale?: string): string {
  const digits = minorDigits(currency);
  const amount = amountMinor / 10 ** digits;
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(amount);
  } catch {
    // A currency code Intl does not know still reads as an amount.
    return `${amount.toFixed(digits)} ${currency}`;
  }
}

const PERIODS: Record<BillingPeriod, { every: string; unit: string }> = {
  MONTHLY: { every: 'Billed monthly', unit: 'month' },
  YEARLY: { every: 'Billed yearly', unit: 'year' },
};

/** "R$29.90 / month". */
export function formatPrice(amountMinor: number, currency: string, period: BillingPeriod, locale?: string): string {
  const unit = PERIODS[period]?.unit ?? period.toLowerCase();
  return `${formatMoney(amountMinor, currency, locale)} / ${unit}`;
}

/** "Billed monthly". */
export function billedEvery(period: BillingPeriod): string {
  return PERIODS[period]?.every ?? `Billed ${period.toLowerCase()}`;
}

/** "1 h 32 min", "45 min". */
export function formatDuration(minutes: number): string {
  if (minutes <= 0) return '';
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${rest} min`;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** A date (RFC 3339) as the reader's locale writes it, or an empty string. */
export function formatDate(value: string | null | undefined, locale?: string): string {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(date);
}

/** A date and time, for payments. */
export function formatDateTime(value: string | null | undefined, locale?: string): string {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}
