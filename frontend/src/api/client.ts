// The one API client: same-origin GETs (and an admin's POSTs) under /api with the Bearer token kept in local storage; JSON errors
// ({error, code, param}) become ApiError, and a 401 asks the app for a token.
export const TOKEN_KEY = 'newapi-observer.api-token';

export type Params = Record<string, string | number | boolean | undefined | null>;

export class ApiError extends Error {
  readonly status: number; // HTTP status; 0 when the API could not be reached
  readonly code: number;
  readonly param?: string;
  constructor(status: number, message: string, code?: number, param?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code ?? status;
    this.param = param;
  }
}

export function getToken(): string {
  try {
    return window.localStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

export function setToken(token: string): void {
  if (token) window.localStorage.setItem(TOKEN_KEY, token);
  else window.localStorage.removeItem(TOKEN_KEY);
}

// Who wants to know that the API asked for a token (the token dialog); `hadToken` tells a wrong token from none.
type AuthListener = (e: { hadToken: boolean; message: string }) => void;
const authListeners = new Set<AuthListener>();
export function onAuthRequired(listener: AuthListener): () => void {
  authListeners.add(listener);
  return () => authListeners.delete(listener);
}

// path + params as a same-origin URL; absent parameters are left out, the rest sorted so one query has one URL.
export function buildUrl(path: string, params: Params = {}): string {
  const search = new URLSearchParams();
  for (const key of Object.keys(params).sort()) {
    const value = params[key];
    if (value === undefined || value === null || value === '') continue;
    search.set(key, String(value));
  }
  const query = search.toString();
  return query ? `${path}?${query}` : path;
}

export function apiGet<T>(path: string, params: Params = {}, signal?: AbortSignal): Promise<T> {
  return apiRequest<T>('GET', path, params, signal);
}

// An admin's change (an undo): a POST with no body, sent as JSON so that no web page of another site could send it.
export function apiPost<T>(path: string): Promise<T> {
  return apiRequest<T>('POST', path);
}

async function apiRequest<T>(
  method: 'GET' | 'POST',
  path: string,
  params: Params = {},
  signal?: AbortSignal,
): Promise<T> {
  const token = getToken();
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (method === 'POST') headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(buildUrl(path, params), { method, headers, signal, body: method === 'POST' ? '{}' : undefined });
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e;
    throw new ApiError(0, `cannot reach the API (${(e as Error)?.message ?? 'network error'})`);
  }
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const b = (body ?? {}) as { error?: string; code?: number; param?: string };
    const message = b.error || text.slice(0, 200) || res.statusText || `HTTP ${res.status}`;
    const error = new ApiError(res.status, message, b.code, b.param);
    if (res.status === 401) authListeners.forEach((l) => l({ hadToken: token !== '', message }));
    throw error;
  }
  if (body === undefined) throw new ApiError(res.status, 'the API answered without JSON');
  return body as T;
}

// Fewer retries for answers that will not change by retrying (bad parameters, no token, nothing found).
export function shouldRetry(failures: number, error: unknown): boolean {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 429) return false;
  return failures < 2;
}
