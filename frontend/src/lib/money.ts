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

// "¥12.35", "$0.50", "€3.10"; amounts under 1 keep three significant digits, so one request's cost is not "¥0.00"
// ("¥0.00421"); tokens as a plain count ("1,234,567").
export function formatMoney(unit: DisplayUnit, amount: number | null | undefined): string {
  if (amount === null || amount === undefined || !Number.isFinite(amount)) return '-';
  if (unit.currency === 'TOKENS') return formatNumber(amount);
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  const digits = abs > 0 && abs < 1 ? Math.min(8, Math.max(2, 2 - Math.floor(Math.log10(abs)))) : 2;
  return `${sign}${unit.symbol}${abs.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: digits })}`;
}

// The unit's name for column headers: "CNY", "USD", the custom symbol, or "quota" for tokens.
export function unitLabel(unit: DisplayUnit): string {
  if (unit.currency === 'CUSTOM') return unit.symbol;
  if (unit.currency === 'TOKENS') return 'quota';
  return unit.currency;
}
