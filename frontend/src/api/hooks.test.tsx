// Tests of the query hooks: the right endpoint and parameters, one request for repeated views of the same aligned
// range, errors surfaced, disabled hooks fetch nothing.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { resolveRange } from '../lib/range';
import { useAnomalies, useAnomalyDetail } from './anomalies';
import { useHeatmap } from './heatmap';
import { useLogs } from './logs';
import { useSeries } from './series';
import { useTop } from './top';
import { ApiError, shouldRetry } from './client';

function setup(answer: (url: string) => { status: number; body: unknown }) {
  const fetch = vi.fn(async (url: string) => {
    const { status, body } = answer(url);
    return new Response(JSON.stringify(body), { status });
  });
  vi.stubGlobal('fetch', fetch);
  const client = new QueryClient({
    defaultOptions: { queries: { retry: shouldRetry, retryDelay: 0, staleTime: 30_000 } },
  });
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={client}>{children}</QueryClientProvider>
  );
  return { fetch, wrapper };
}

describe('query hooks', () => {
  it('useSeries calls /api/stats/series with the aligned range once for repeated views', async () => {
    const { fetch, wrapper } = setup(() => ({ status: 200, body: [{ bucket_ms: 0, reqs: 5 }] }));
    const now = Date.UTC(2025, 0, 1, 12, 0, 10);
    const r1 = resolveRange({ quick: '24h' }, now, 300_000);
    const r2 = resolveRange({ quick: '24h' }, now + 40_000, 300_000);
    const a = renderHook(() => useSeries({ start_ms: r1.start, end_ms: r1.end, slot_sec: 300, tz: 'UTC' }), {
      wrapper,
    });
    await waitFor(() => expect(a.result.current.isSuccess).toBe(true));
    const b = renderHook(() => useSeries({ start_ms: r2.start, end_ms: r2.end, slot_sec: 300, tz: 'UTC' }), {
      wrapper,
    });
    await waitFor(() => expect(b.result.current.isSuccess).toBe(true));
    expect(fetch).toHaveBeenCalledTimes(1);
    const url = new URL(fetch.mock.calls[0][0], 'http://x');
    expect(url.pathname).toBe('/api/stats/series');
    expect(url.searchParams.get('start_ms')).toBe(String(r1.start));
    expect(url.searchParams.get('end_ms')).toBe(String(r1.end));
    expect(url.searchParams.get('slot_sec')).toBe('300');
    expect(b.result.current.data?.[0].reqs).toBe(5);
  });

  it('useTop, useHeatmap, useAnomalies, useAnomalyDetail and useLogs call their endpoints', async () => {
    const { fetch, wrapper } = setup(() => ({ status: 200, body: [] }));
    const hooks: (() => { isSuccess: boolean })[] = [
      () => useTop({ start_ms: 0, end_ms: 60_000, by: 'token', metric: 'quota_sum', limit: 5, model: 'm' }),
      () => useHeatmap({ start_ms: 0, end_ms: 3_600_000, metric: 'tokens', tz: 'UTC' }),
      () => useAnomalies({ start_ms: 0, end_ms: 60_000, rule: 'burst', threshold: 50 }),
      () => useAnomalyDetail({ start_ms: 0, end_ms: 60_000, rule: 'ip_many_users', subject_id: '10.0.0.1' }),
      () => useLogs({ start_ms: 0, end_ms: 60_000, token_id: 7, limit: 10 }),
    ];
    for (const h of hooks) {
      const { result } = renderHook(h, { wrapper });
      await waitFor(() => expect(result.current.isSuccess).toBe(true));
    }
    const urls = fetch.mock.calls.map((c) => c[0]);
    expect(urls).toEqual([
      '/api/stats/top?by=token&end_ms=60000&limit=5&metric=quota_sum&model=m&start_ms=0',
      '/api/stats/heatmap?end_ms=3600000&metric=tokens&start_ms=0&tz=UTC',
      '/api/stats/anomalies?end_ms=60000&rule=burst&start_ms=0&threshold=50',
      '/api/stats/anomalies/detail?end_ms=60000&rule=ip_many_users&start_ms=0&subject_id=10.0.0.1',
      '/api/logs?end_ms=60000&limit=10&start_ms=0&token_id=7',
    ]);
  });

  it('surfaces the API error and does not retry a 400', async () => {
    const { fetch, wrapper } = setup(() => ({
      status: 400,
      body: { error: 'rule: expected one of burst|...', param: 'rule', code: 400 },
    }));
    const { result } = renderHook(() => useAnomalies({ start_ms: 0, end_ms: 60_000, rule: 'burst' }), { wrapper });
    await waitFor(() => expect(result.current.isError).toBe(true));
    expect(result.current.error).toBeInstanceOf(ApiError);
    expect((result.current.error as ApiError).param).toBe('rule');
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('a disabled hook fetches nothing', async () => {
    const { fetch, wrapper } = setup(() => ({ status: 200, body: [] }));
    const { result } = renderHook(() => useLogs(null), { wrapper });
    await new Promise((r) => setTimeout(r, 20));
    expect(result.current.fetchStatus).toBe('idle');
    expect(fetch).not.toHaveBeenCalled();
  });
});
