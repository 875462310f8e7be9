// Page state in the query string (range, filters, selection), so every view is a shareable link.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import type { UsageFilters } from '../api/series';
import {
  MINUTE,
  parseRangeSpec,
  rangeSpecParams,
  resolveRange,
  type QuickRange,
  type RangeSpec,
  type TimeRange,
} from './range';

export type Patch = Record<string, string | number | undefined | null>;

// Reads and patches the query string; a value of undefined/null/'' removes the parameter.
export function useUrlState() {
  const [params, setParams] = useSearchParams();
  const patch = useCallback(
    (p: Patch) =>
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          for (const [k, v] of Object.entries(p)) {
            if (v === undefined || v === null || v === '') next.delete(k);
            else next.set(k, String(v));
          }
          return next;
        },
        { replace: false },
      ),
    [setParams],
  );
  return { params, patch };
}

// Usage filters from the query string (model, channel id, group).
// withSubjects false (a viewer: README "Roles"): the user and token filters are left out.
export function parseFilters(params: URLSearchParams, withSubjects = true): UsageFilters {
  const id = (name: string) => {
    const n = Number(params.get(name));
    return params.get(name) && Number.isInteger(n) && n >= 0 ? n : undefined;
  };
  return {
    model: params.get('model') || undefined,
    channel: id('channel'),
    group: params.get('group') || undefined,
    user: withSubjects ? id('user') : undefined,
    token: withSubjects ? id('token') : undefined,
  };
}

// A clock that ticks once a minute, so quick ranges move on by themselves but stay the same query within a minute.
export function useMinuteClock(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = window.setInterval(() => setNow(Date.now()), MINUTE);
    return () => window.clearInterval(id);
  }, []);
  return now;
}

// The page's range: its spec from the URL, resolved and aligned to `alignMs`, and a setter writing the URL.
// `allowed` limits the quick ranges a page offers (the anomaly API reads at most 7 days); others become the fallback.
export function useRange(fallback: QuickRange = '24h', alignMs = MINUTE, allowed?: QuickRange[]) {
  const { params, patch } = useUrlState();
  const now = useMinuteClock();
  const spec = useMemo(() => {
    const s = parseRangeSpec(params, fallback);
    return 'quick' in s && allowed && !allowed.includes(s.quick) ? { quick: fallback } : s;
  }, [params, fallback, allowed]);
  const range: TimeRange = useMemo(() => resolveRange(spec, now, alignMs), [spec, now, alignMs]);
  const setSpec = useCallback((s: RangeSpec) => patch(rangeSpecParams(s)), [patch]);
  return { spec, range, setSpec, now };
}
