// /api/info: what the exporter knows about this gateway (its QuotaPerUnit, how much traffic each risk rule can see).
import { useQuery } from '@tanstack/react-query';
import { apiGet } from './client';
import type { Rule } from './anomalies';

export interface Info {
  version: string;
  revision: string;
  timezone: string;
  quota_per_unit: number; // options.QuotaPerUnit: quota units per USD
  rule_coverage: Partial<Record<Rule, number>>; // empty until the exporter has seen traffic
}

export const fetchInfo = (signal?: AbortSignal) => apiGet<Info>('/api/info', {}, signal);

export function useInfo() {
  return useQuery({ queryKey: ['info'], queryFn: ({ signal }) => fetchInfo(signal), staleTime: 60_000 });
}
