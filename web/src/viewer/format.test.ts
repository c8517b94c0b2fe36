import { describe, expect, it } from 'vitest';
import { billedEvery, formatDuration, formatMoney, formatPrice } from './format';

describe('plan prices', () => {
  it('turns minor units into the currency’s major units', () => {
    expect(formatMoney(2990, 'BRL', 'en-US')).toBe('R$29.90');
    expect(formatMoney(999, 'USD', 'en-US')).toBe('$9.99');
    expect(formatMoney(1999, 'EUR', 'de-DE')).toBe('19,99\u00a0€');
  });

  it('knows currencies without minor units or with three digits of them', () => {
    expect(formatMoney(1200, 'JPY', 'en-US')).toBe('¥1,200');
    expect(formatMoney(1500, 'BHD', 'en-US')).toBe('BHD\u00a01.500');
  });

  it('says per what a price is', () => {
    expect(formatPrice(2990, 'BRL', 'MONTHLY', 'en-US')).toBe('R$29.90 / month');
    expect(formatPrice(29900, 'USD', 'YEARLY', 'en-US')).toBe('$299.00 / year');
    expect(billedEvery('YEARLY')).toBe('Billed yearly');
  });

  it('writes durations in hours and minutes', () => {
    expect(formatDuration(92)).toBe('1 h 32 min');
    expect(formatDuration(45)).toBe('45 min');
    expect(formatDuration(120)).toBe('2 h');
  });
});
