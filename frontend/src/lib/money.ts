// Money in the unit new-api displays (USD, CNY, a custom currency or raw quota "tokens"), from quota or USD amounts.
import { formatNumber } from './format';

export interface DisplayUnit {
  currency: 'USD' | 'CNY' | 'CUSTOM' | 'TOKENS';
  symbol: string; // '' for TOKENS
  per_usd: number; // display units per USD (QuotaPerUnit for TOKENS)
}

export const DEFAULT_UNIT: DisplayUnit = { currency: 'USD', symbol: '$', per_usd: 1 };

// A quota amount in the display unit: quota / QuotaPerUnit is USD, times the unit's rate.
export function quotaIn(unit: DisplayUnit, quota: number, quotaPerUnit: number): number {
  if (unit.currency === 'TOKENS') return quota;
  return (quota / quotaPerUnit) * unit.per_usd;
}

// "¥12.35", "$0.50", "€3.10"; tokens as a plain count ("1,234,567").
export function formatMoney(unit: DisplayUnit, amount: number | null | undefined): string {
  if (amount === null || amount === undefined || !Number.isFinite(amount)) return '-';
  if (unit.currency === 'TOKENS') return formatNumber(amount);
  const sign = amount < 0 ? '-' : '';
  return `${sign}${unit.symbol}${Math.abs(amount).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

// The unit's name for column headers: "CNY", "USD", the custom symbol, or "quota" for tokens.
export function unitLabel(unit: DisplayUnit): string {
  if (unit.currency === 'CUSTOM') return unit.symbol;
  if (unit.currency === 'TOKENS') return 'quota';
  return unit.currency;
}
