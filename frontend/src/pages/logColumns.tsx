// Columns shared by pages: a log row table (the API's column allow-list; the Top drawer and the anomaly detail) and a
// quota column shown as spend in new-api's display unit (the CSV keeps the raw quota under its own name).
import type { LogRow } from '../api/logs';
import EntityLabel from '../components/EntityLabel';
import type { Column } from '../components/DataTable';
import type { MessageKey } from '../i18n';
import { formatNumber, formatTime } from '../lib/format';
import { formatMoney, quotaIn, unitLabel, type DisplayUnit } from '../lib/money';

type T = (key: MessageKey, values?: Record<string, string | number>) => string;
type Tx = (prefix: string, value: string | number) => string;

export interface Money {
  unit: DisplayUnit;
  quotaPerUnit: number;
}

export function spendColumn<R>(id: string, t: T, money: Money): Column<R> {
  return {
    id,
    accessorKey: id,
    header: t('colSpend', { unit: unitLabel(money.unit) }),
    cell: (c) => formatMoney(money.unit, quotaIn(money.unit, c.getValue() as number, money.quotaPerUnit)),
    meta: { numeric: true },
  };
}

export function logColumns(t: T, tx: Tx, money: Money): Column<LogRow>[] {
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
    {
      id: 'user_id',
      accessorKey: 'user_id',
      header: t('colUser'),
      cell: (c) => <EntityLabel kind="user" id={c.row.original.user_id} name={c.row.original.username} />,
    },
    {
      id: 'token_id',
      accessorKey: 'token_id',
      header: t('colToken'),
      cell: (c) => <EntityLabel kind="token" id={c.row.original.token_id} name={c.row.original.token_name} />,
    },
    { id: 'model_name', accessorKey: 'model_name', header: t('colModel') },
    {
      id: 'channel_id',
      accessorKey: 'channel_id',
      header: t('colChannel'),
      cell: (c) => <EntityLabel kind="channel" id={c.row.original.channel_id} name={c.row.original.channel_name} />,
    },
    { id: 'group', accessorKey: 'group', header: t('colGroup') },
    { id: 'ip', accessorKey: 'ip', header: t('colIp') },
    num('prompt_tokens', t('colPrompt')),
    num('completion_tokens', t('colCompletion')),
    spendColumn<LogRow>('quota', t, money),
    num('use_time', t('colUseTime')),
    { id: 'frt_ms', accessorKey: 'frt_ms', header: t('colFrt'), meta: { numeric: true } },
    { id: 'is_stream', accessorKey: 'is_stream', header: t('colStream'), cell: (c) => (c.getValue() ? '✓' : '') },
  ];
}
