// /api/stats/series: traffic per time bucket (fetcher and query hook).
import { useQuery } from '@tanstack/react-query';
import { apiGet } from './client';

export interface SeriesRow {
  bucket: string; // local ISO time of the bucket's start
  bucket_ms: number;
  reqs: number;
  tokens: number;
  users: number;
  tokens_cnt: number;
  quota: number;
  errors: number;
}

export interface UsageFilters {
  model?: string;
  channel?: number;
  group?: string;
  user?: number; // user id
  token?: number; // token id
}

export interface SeriesParams extends UsageFilters {
  start_ms: number;
  end_ms: number;
  slot_sec: number;
  tz?: string;
}

export const fetchSeries = (p: SeriesParams, signal?: AbortSignal) =>
  apiGet<SeriesRow[]>('/api/stats/series', { ...p }, signal);

export function useSeries(p: SeriesParams, enabled = true) {
  return useQuery({ queryKey: ['series', p], queryFn: ({ signal }) => fetchSeries(p, signal), enabled });
}
