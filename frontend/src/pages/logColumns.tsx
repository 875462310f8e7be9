// The columns of a log row table (the API's column allow-list), shared by the Top drawer and the anomaly detail.
import type { LogRow } from '../api/logs';
import type { Column } from '../components/DataTable';
import type { MessageKey } from '../i18n';
import { formatNumber, formatTime } from '../lib/format';

type T = (key: MessageKey) => string;
type Tx = (prefix: string, value: string | number) => string;

export function logColumns(t: T, tx: Tx): Column<LogRow>[] {
  const num = (id: keyof LogRow, header: string): Column<LogRow> => ({
    id,
    accessorKey: id,
    header,
    cell: (c) => formatNumber(c.getValue() as number),
    meta: { numeric: true },
  });
  return [
    { id: 'id', accessorKey: 'id', header: t('colId') },
    {
      id: 'created_at',
      accessorKey: 'created_at_ms',
      header: t('colTime'),
      cell: (c) => formatTime(c.row.original.created_at_ms, true),
      meta: { csv: (r) => new Date(r.created_at_ms).toISOString() },
    },
    { id: 'type', accessorKey: 'type', header: t('colType'), cell: (c) => tx('logType_', c.getValue() as number) },
    { id: 'user_id', accessorKey: 'user_id', header: t('colUser'), cell: (c) => `${c.row.original.user_id} ${c.row.original.username ?? ''}` },
    { id: 'token_id', accessorKey: 'token_id', header: t('colToken'), cell: (c) => `${c.row.original.token_id} ${c.row.original.token_name ?? ''}` },
    { id: 'model_name', accessorKey: 'model_name', header: t('colModel') },
    { id: 'channel_id', accessorKey: 'channel_id', header: t('colChannel') },
    { id: 'group', accessorKey: 'group', header: t('colGroup') },
    { id: 'ip', accessorKey: 'ip', header: t('colIp') },
    num('prompt_tokens', t('colPrompt')),
    num('completion_tokens', t('colCompletion')),
    num('quota', t('colQuota')),
    num('use_time', t('colUseTime')),
    { id: 'frt_ms', accessorKey: 'frt_ms', header: t('colFrt'), meta: { numeric: true } },
    { id: 'is_stream', accessorKey: 'is_stream', header: t('colStream'), cell: (c) => (c.getValue() ? '✓' : '') },
  ];
}
