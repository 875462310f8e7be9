// /api/stats/top: the largest users, tokens, models or channels of a range (fetcher and query hook).
import { useQuery } from '@tanstack/react-query';
import { apiGet } from './client';
import type { UsageFilters } from './series';

export type TopBy = 'user' | 'token' | 'model' | 'channel';
export type TopMetric = 'tokens' | 'reqs' | 'quota_sum';
export const TOP_BYS: TopBy[] = ['user', 'token', 'model', 'channel'];
export const TOP_METRICS: TopMetric[] = ['tokens', 'reqs', 'quota_sum'];

export interface TopRow {
  user_id?: number;
  username?: string;
  token_id?: number;
  token_name?: string;
  model_name?: string;
  channel_id?: number;
  channel_name?: string;
  reqs: number;
  tokens: number;
  quota_sum: number;
  errors: number;
}

export interface TopParams extends UsageFilters {
  start_ms: number;
  end_ms: number;
  by: TopBy;
  metric: TopMetric;
  limit?: number;
}

export const fetchTop = (p: TopParams, signal?: AbortSignal) => apiGet<TopRow[]>('/api/stats/top', { ...p }, signal);

export function useTop(p: TopParams, enabled = true) {
  return useQuery({ queryKey: ['top', p], queryFn: ({ signal }) => fetchTop(p, signal), enabled });
}

// The row's subject as an id and a display name (names may be empty or missing: the id stands in).
export function topSubject(by: TopBy, row: TopRow): { id: string; name: string } {
  switch (by) {
    case 'user':
      return { id: String(row.user_id ?? ''), name: row.username || `#${row.user_id}` };
    case 'token':
      return { id: String(row.token_id ?? ''), name: row.token_name || `#${row.token_id}` };
    case 'model':
      return { id: row.model_name ?? '', name: row.model_name || '(none)' };
    case 'channel':
      return { id: String(row.channel_id ?? ''), name: row.channel_name || `#${row.channel_id}` };
  }
}
