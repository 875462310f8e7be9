// The TanStack Query client: answers stay fresh for 30 s (the API caches for 60 s), no refetch on focus, retries only
// for failures a retry can fix.
import { QueryClient } from '@tanstack/react-query';
import { shouldRetry } from './api/client';

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { staleTime: 30_000, refetchOnWindowFocus: false, retry: shouldRetry },
    },
  });
}
