// /api/logs: a user's, token's or IP's log rows, newest first, allow-listed columns (fetcher, query hook and the
// per-minute timeline built from them).
import { useQuery } from '@tanstack/react-query';
import { apiGet } from './client';

export interface LogRow {
  id: number;
  created_at: number;
  created_at_ms: number;
  type: number; // 2 consume, 5 error, 7 login, ...
  user_id: number;
  username: string;
  token_id: number;
  token_name: string;
  model_name: string;
  channel_id: number;
  channel_name: string; // "" when new-api no longer has the channel
  group: string;
  is_stream: boolean;
  prompt_tokens: number;
  completion_tokens: number;
  quota: number;
  use_time: number;
  ip: string;
  request_id: string;
  cache_tokens: number;
  frt_ms: number | null;
}

export type LogSubject = { user_id: number } | { token_id: number } | { ip: string };

export interface LogsParams {
  start_ms: number;
  end_ms: number;
  limit?: number;
}

export const fetchLogs = (p: LogsParams & LogSubject, signal?: AbortSignal) =>
  apiGet<LogRow[]>('/api/logs', { ...p }, signal);

export function useLogs(p: (LogsParams & LogSubject) | null) {
  return useQuery({
    queryKey: ['logs', p],
    queryFn: ({ signal }) => fetchLogs(p!, signal),
    enabled: p !== null,
  });
}

// The /api/logs subject of an anomaly finding's subject: a token, an IP, or (big_request) the request's user.
export function logSubjectOf(subjectType: string, subjectId: string, requestUserId?: number): LogSubject | null {
  if (subjectType === 'token' && /^\d+$/.test(subjectId)) return { token_id: Number(subjectId) };
  if (subjectType === 'ip' && subjectId) return { ip: subjectId };
  if (subjectType === 'request' && requestUserId) return { user_id: requestUserId };
  return null;
}

// Requests per minute over [start, end): [minute_ms, consume count, error count] for every minute, zeros included.
export function perMinute(rows: LogRow[], start: number, end: number): [number, number, number][] {
  const first = Math.floor(start / 60_000) * 60_000;
  const n = Math.max(0, Math.ceil((end - first) / 60_000));
  const out: [number, number, number][] = Array.from({ length: n }, (_, i) => [first + i * 60_000, 0, 0]);
  for (const r of rows) {
    const i = Math.floor((r.created_at_ms - first) / 60_000);
    if (i < 0 || i >= n) continue;
    if (r.type === 5) out[i][2] += 1;
    else out[i][1] += 1;
  }
  return out;
}
