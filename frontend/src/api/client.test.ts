// Tests of the API client: URLs, the Bearer token, JSON errors, the 401 signal and retry policy.
import { describe, expect, it, vi } from 'vitest';
import { ApiError, apiGet, buildUrl, onAuthRequired, setToken, shouldRetry, TOKEN_KEY } from './client';

function mockFetch(status: number, body: unknown, raw = false) {
  const fn = vi.fn(
    async (_url: string, _init?: RequestInit) =>
      new Response(raw ? (body as string) : JSON.stringify(body), {
        status,
        headers: { 'Content-Type': 'application/json' },
      }),
  );
  vi.stubGlobal('fetch', fn);
  return fn;
}

describe('buildUrl', () => {
  it('sorts parameters and leaves out empty ones', () => {
    expect(buildUrl('/api/stats/top', { metric: 'reqs', by: 'user', model: undefined, group: '', channel: 0 })).toBe(
      '/api/stats/top?by=user&channel=0&metric=reqs',
    );
    expect(buildUrl('/api/health')).toBe('/api/health');
  });
  it('encodes values', () => {
    expect(buildUrl('/api/stats/series', { tz: '+08:00', model: 'gpt 4o/mini' })).toBe(
      '/api/stats/series?model=gpt+4o%2Fmini&tz=%2B08%3A00',
    );
  });
});

describe('apiGet', () => {
  it('sends no Authorization without a token and returns the JSON body', async () => {
    const fetch = mockFetch(200, [{ bucket: 'x', reqs: 3 }]);
    const rows = await apiGet<{ reqs: number }[]>('/api/stats/series', { start_ms: 1, end_ms: 2 });
    expect(rows[0].reqs).toBe(3);
    expect(fetch).toHaveBeenCalledTimes(1);
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe('/api/stats/series?end_ms=2&start_ms=1');
    expect((init!.headers as Record<string, string>).Authorization).toBeUndefined();
  });

  it('sends the stored token as a Bearer token', async () => {
    setToken('s3cret');
    expect(window.localStorage.getItem(TOKEN_KEY)).toBe('s3cret');
    const fetch = mockFetch(200, {});
    await apiGet('/api/stats/top');
    expect((fetch.mock.calls[0][1]!.headers as Record<string, string>).Authorization).toBe('Bearer s3cret');
  });

  it('turns a JSON error into an ApiError with status, code, message and parameter', async () => {
    mockFetch(400, { error: 'end_ms: must be after start_ms', param: 'end_ms', code: 400 });
    const e = (await apiGet('/api/stats/top').catch((x: unknown) => x)) as ApiError;
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(400);
    expect(e.code).toBe(400);
    expect(e.param).toBe('end_ms');
    expect(e.message).toBe('end_ms: must be after start_ms');
  });

  it('keeps the text of a non-JSON error', async () => {
    mockFetch(502, 'Bad Gateway from the proxy', true);
    const e = (await apiGet('/api/stats/top').catch((x: unknown) => x)) as ApiError;
    expect(e.status).toBe(502);
    expect(e.message).toContain('Bad Gateway');
  });

  it('tells listeners about a 401, saying whether a token had been sent', async () => {
    const seen: { hadToken: boolean; message: string }[] = [];
    const off = onAuthRequired((e) => seen.push(e));
    mockFetch(401, { error: 'missing or wrong bearer token', code: 401 });
    await expect(apiGet('/api/stats/top')).rejects.toMatchObject({ status: 401 });
    setToken('wrong');
    await expect(apiGet('/api/stats/top')).rejects.toMatchObject({ status: 401 });
    off();
    await expect(apiGet('/api/stats/top')).rejects.toMatchObject({ status: 401 });
    expect(seen).toEqual([
      { hadToken: false, message: 'missing or wrong bearer token' },
      { hadToken: true, message: 'missing or wrong bearer token' },
    ]);
  });

  it('reports an unreachable API as status 0', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))),
    );
    const e = (await apiGet('/api/stats/top').catch((x: unknown) => x)) as ApiError;
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(0);
    expect(e.message).toMatch(/cannot reach the API/);
  });
});

describe('shouldRetry', () => {
  it('does not retry answers a retry cannot change', () => {
    expect(shouldRetry(0, new ApiError(400, 'bad'))).toBe(false);
    expect(shouldRetry(0, new ApiError(401, 'token'))).toBe(false);
    expect(shouldRetry(0, new ApiError(404, 'none'))).toBe(false);
  });
  it('retries overload, timeouts and network failures twice', () => {
    expect(shouldRetry(0, new ApiError(429, 'busy'))).toBe(true);
    expect(shouldRetry(1, new ApiError(504, 'timeout'))).toBe(true);
    expect(shouldRetry(2, new ApiError(0, 'down'))).toBe(false);
  });
});
