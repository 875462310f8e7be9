// /api/info: what the exporter knows about this gateway (its QuotaPerUnit, the unit it displays money in, new-api's
// address for links, how much traffic each risk rule can see).
import { useQuery } from '@tanstack/react-query';
import { apiGet } from './client';
import type { Rule } from './anomalies';
import { DEFAULT_QUOTA_PER_UNIT } from '../lib/kpi';
import { DEFAULT_UNIT, type DisplayUnit } from '../lib/money';

export interface Info {
  version: string;
  revision: string;
  timezone: string;
  quota_per_unit: number; // options.QuotaPerUnit: quota units per USD
  display: DisplayUnit; // what new-api shows money in (its quota display type)
  newapi_url: string; // NEWAPI_URL, "" when unset (no links)
  rule_coverage: Partial<Record<Rule, number>>; // empty until the exporter has seen traffic
}

export const fetchInfo = (signal?: AbortSignal) => apiGet<Info>('/api/info', {}, signal);

export function useInfo() {
  return useQuery({ queryKey: ['info'], queryFn: ({ signal }) => fetchInfo(signal), staleTime: 60_000 });
}

// The display unit, QuotaPerUnit and NEWAPI_URL of this gateway (new-api's defaults until /api/info answers).
export function useGateway(): { unit: DisplayUnit; quotaPerUnit: number; newapiUrl: string } {
  const info = useInfo();
  return {
    unit: info.data?.display ?? DEFAULT_UNIT,
    quotaPerUnit: info.data?.quota_per_unit || DEFAULT_QUOTA_PER_UNIT,
    newapiUrl: info.data?.newapi_url ?? '',
  };
}
