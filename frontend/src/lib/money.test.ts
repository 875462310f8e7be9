// Tests of money in new-api's display unit: conversion from quota, formatting and column labels.
import { describe, expect, it } from 'vitest';
import { totals } from './kpi';
import { DEFAULT_UNIT, formatMoney, quotaIn, unitLabel, type DisplayUnit } from './money';

const cny: DisplayUnit = { currency: 'CNY', symbol: '¥', per_usd: 7.3 };
const tokens: DisplayUnit = { currency: 'TOKENS', symbol: '', per_usd: 500_000 };
const euro: DisplayUnit = { currency: 'CUSTOM', symbol: '€', per_usd: 0.92 };

describe('money', () => {
  it('converts quota to the display unit through USD', () => {
    expect(quotaIn(DEFAULT_UNIT, 1_000_000, 500_000)).toBe(2);
    expect(quotaIn(cny, 1_000_000, 500_000)).toBeCloseTo(14.6);
    expect(quotaIn(euro, 500_000, 250_000)).toBeCloseTo(1.84);
    // Tokens: new-api shows the raw quota.
    expect(quotaIn(tokens, 1_234_567, 500_000)).toBe(1_234_567);
  });
  it('formats with the symbol and two decimals, tokens as a count', () => {
    expect(formatMoney(cny, 14.6)).toBe('¥14.60');
    expect(formatMoney(DEFAULT_UNIT, 0.5)).toBe('$0.50');
    expect(formatMoney(euro, -3.1)).toBe('-€3.10');
    // One request's cost keeps three significant digits instead of rounding to nothing.
    expect(formatMoney(cny, 0.00421)).toBe('¥0.00421');
    expect(formatMoney(cny, 0.0123)).toBe('¥0.0123');
    expect(formatMoney(tokens, 1234567)).toBe(formatMoney(tokens, 1234567.2));
    expect(formatMoney(tokens, 1234567)).not.toContain('.');
    expect(formatMoney(cny, undefined)).toBe('-');
  });
  it('labels columns with the unit', () => {
    expect(unitLabel(cny)).toBe('CNY');
    expect(unitLabel(euro)).toBe('€');
    expect(unitLabel(tokens)).toBe('quota');
  });
  it('gives the KPI spend in the display unit', () => {
    const row = { bucket: '', bucket_ms: 0, reqs: 1, tokens: 1, users: 1, tokens_cnt: 1, quota: 1_000_000, errors: 0 };
    expect(totals([row], 500_000, cny).spend).toBeCloseTo(14.6);
    expect(totals([row], 500_000, tokens).spend).toBe(1_000_000);
  });
});
