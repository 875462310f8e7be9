// /api/actions: the response actions' audit (admins only) and the undo of one action, through the aggregator.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiGet, apiPost } from './client';

export interface AuditRow {
  id: number;
  at_ms: number;
  actor: string; // rule:<rule> or undo:<who>
  action: string; // disable_user, enable_user, block_token or unblock_token
  rule: string;
  subject_type: string;
  subject_id: string;
  user_id: number;
  evidence: string;
  result: string; // done, dry_run, failed, allow_listed, over_hourly_cap, no_user
  detail: string;
  undo_of: number;
  undone_by: number;
}

export function useActions(enabled: boolean) {
  return useQuery({
    queryKey: ['actions'],
    queryFn: ({ signal }) => apiGet<AuditRow[]>('/api/actions', { limit: 500 }, signal),
    enabled,
  });
}

// A done disable or block that nothing has undone yet.
export const canUndo = (row: AuditRow) =>
  (row.action === 'disable_user' || row.action === 'block_token') && row.result === 'done' && row.undone_by === 0;

export function useUndo() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => apiPost<{ result: string; message: string }>(`/api/actions/${id}/undo`),
    onSettled: () => client.invalidateQueries({ queryKey: ['actions'] }),
  });
}
