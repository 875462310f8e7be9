// /api/stats/active: the distinct users and tokens of a whole range, under the series' filters (fetcher and query hook).
import { useQuery } from '@tanstack/react-query';
import { apiGet } from './client';
import type { UsageFilters } from './series';

export interface ActiveCounts {
  start_ms: number;
  end_ms: number;
  users: number;
  tokens_cnt: number;
}

export interface ActiveParams extends UsageFilters {
  start_ms: number;
  end_ms: number;
}

export const fetchActive = (p: ActiveParams, signal?: AbortSignal) =>
  apiGet<ActiveCounts>('/api/stats/active', { ...p }, signal);

export function useActive(p: ActiveParams, enabled = true) {
  return useQuery({ queryKey: ['active', p], queryFn: ({ signal }) => fetchActive(p, signal), enabled });
}
