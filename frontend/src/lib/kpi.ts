// Dashboard numbers from series rows: totals, error ratio, spend in the display unit, and the change against the
// previous period.
import type { SeriesRow } from '../api/series';
import { DEFAULT_UNIT, quotaIn, type DisplayUnit } from './money';

// new-api's default options.QuotaPerUnit (500 000 quota = 1 USD), until /api/info reports the instance's value.
export const DEFAULT_QUOTA_PER_UNIT = 500_000;

export interface Totals {
  reqs: number;
  tokens: number;
  quota: number;
  errors: number;
  spend: number; // in the display unit
  errorRatio: number; // errors / requests (requests count error rows too)
  peakUsers: number; // most distinct users in one bucket
}

export function totals(
  rows: SeriesRow[] | undefined,
  quotaPerUnit = DEFAULT_QUOTA_PER_UNIT,
  unit: DisplayUnit = DEFAULT_UNIT,
): Totals {
  const t = { reqs: 0, tokens: 0, quota: 0, errors: 0, peakUsers: 0 };
  for (const r of rows ?? []) {
    t.reqs += r.reqs;
    t.tokens += r.tokens;
    t.quota += r.quota;
    t.errors += r.errors;
    t.peakUsers = Math.max(t.peakUsers, r.users);
  }
  return { ...t, spend: quotaIn(unit, t.quota, quotaPerUnit), errorRatio: t.reqs > 0 ? t.errors / t.reqs : 0 };
}

// Relative change from `previous` to `current`; null when there is nothing to compare with.
export function change(current: number, previous: number | undefined): number | null {
  if (previous === undefined || !Number.isFinite(previous) || previous === 0) return null;
  return (current - previous) / previous;
}
