// /api/stats/anomalies and /api/stats/anomalies/detail: the risk rules' findings over a range and one finding with
// its evidence (fetchers and query hooks).
import { useQuery } from '@tanstack/react-query';
import { apiGet } from './client';
import type { LogRow } from './logs';

export type Rule = 'burst' | 'multi_user_token' | 'ip_many_users' | 'big_request';
export const RULES: Rule[] = ['burst', 'multi_user_token', 'ip_many_users', 'big_request'];
export const isRule = (v: unknown): v is Rule => typeof v === 'string' && (RULES as string[]).includes(v);

// The per-request parameters each rule takes (the API answers 400 to the others).
export const RULE_PARAMS: Record<Rule, ('window_sec' | 'threshold' | 'sigma')[]> = {
  burst: ['window_sec', 'threshold'],
  multi_user_token: ['window_sec', 'threshold'],
  ip_many_users: ['window_sec', 'threshold'],
  big_request: ['sigma'],
};

export interface Finding {
  rule: Rule;
  subject_type: string; // token | ip | request
  subject_id: string;
  subject_name: string;
  score: number;
  threshold: number;
  // The subject's baseline when the threshold came from it (adaptive mode: max(floor, factor × baseline)), else null.
  baseline: number | null;
  windows: number;
  window_sec: number;
  first_window_start_ms: number;
  last_window_end_ms: number;
}

export interface RuleOverrides {
  window_sec?: number;
  threshold?: number;
  sigma?: number;
}

export interface AnomalyParams extends RuleOverrides {
  start_ms: number;
  end_ms: number;
  rule: Rule;
}

export interface AnomalyDetail {
  finding: Finding;
  requests: LogRow[];
  ips: { ip: string; reqs: number }[];
  users: { user_id: number; username: string; reqs: number }[];
  models: { model_name: string; reqs: number }[];
  channels: { channel_id: number; channel_name: string; reqs: number }[];
}

export const fetchAnomalies = (p: AnomalyParams, signal?: AbortSignal) =>
  apiGet<Finding[]>('/api/stats/anomalies', { ...p }, signal);

export const fetchAnomalyDetail = (p: AnomalyParams & { subject_id: string }, signal?: AbortSignal) =>
  apiGet<AnomalyDetail>('/api/stats/anomalies/detail', { ...p }, signal);

export function useAnomalies(p: AnomalyParams, enabled = true) {
  return useQuery({ queryKey: ['anomalies', p], queryFn: ({ signal }) => fetchAnomalies(p, signal), enabled });
}

export function useAnomalyDetail(p: AnomalyParams & { subject_id: string }, enabled = true) {
  return useQuery({
    queryKey: ['anomaly-detail', p],
    queryFn: ({ signal }) => fetchAnomalyDetail(p, signal),
    enabled,
  });
}

// What made a finding fire, in numbers: score against threshold over the window.
export function findingExcess(f: Finding): number {
  return f.threshold > 0 ? f.score / f.threshold : 0;
}
