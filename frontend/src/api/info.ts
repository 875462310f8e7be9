// /api/info: what the exporter knows about this gateway (its QuotaPerUnit, the unit it displays money in, new-api's
// address for links, how much traffic each risk rule can see) and about the caller (name and role).
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
  identity?: { name: string; role: Role; via: string }; // who the API takes the caller for
  undo?: boolean; // whether an admin's undo reaches the aggregator (AGGREGATOR_URL and RELAY_TOKEN set)
}

// The API's roles (README "Roles"), each allowed everything the one before it is.
export type Role = 'none' | 'viewer' | 'analyst' | 'admin';
const RANK: Record<Role, number> = { none: 0, viewer: 1, analyst: 2, admin: 3 };
export const roleAtLeast = (role: Role | undefined, needed: Role) => RANK[role ?? 'none'] >= RANK[needed];

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

// The caller's name and role; until /api/info answers, the least role (nothing is shown that might be refused).
export function useRole(): { name: string; role: Role; atLeast: (needed: Role) => boolean; undo: boolean } {
  const info = useInfo();
  const role = info.data?.identity?.role ?? 'none';
  return {
    name: info.data?.identity?.name ?? '',
    role,
    atLeast: (needed: Role) => roleAtLeast(role, needed),
    undo: info.data?.undo ?? false,
  };
}
