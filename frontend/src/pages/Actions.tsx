// Actions (admins): the response actions' audit, newest first, with an Undo button on each disable or block still in
// force.
import { Button, Card, Popconfirm, Result, Tag, message } from 'antd';
import { useMemo } from 'react';
import { canUndo, useActions, useUndo, type AuditRow } from '../api/actions';
import { useRole } from '../api/info';
import DataTable, { type Column } from '../components/DataTable';
import { QueryState } from '../components/Status';
import { useI18n } from '../i18n';
import { formatTime } from '../lib/format';

export default function Actions() {
  const { t } = useI18n();
  const { atLeast, role, undo: undoConfigured } = useRole();
  const admin = atLeast('admin');
  const actions = useActions(admin);
  const undo = useUndo();
  const rows = actions.data ?? [];

  const columns = useMemo<Column<AuditRow>[]>(
    () => [
      { id: 'id', accessorKey: 'id', header: t('colId'), meta: { numeric: true } },
      {
        id: 'at_ms',
        accessorKey: 'at_ms',
        header: t('colTime'),
        cell: (c) => formatTime(c.getValue() as number, true),
      },
      { id: 'action', accessorKey: 'action', header: t('colAction') },
      { id: 'result', accessorKey: 'result', header: t('colResult'), cell: (c) => <Tag>{c.getValue() as string}</Tag> },
      { id: 'user_id', accessorKey: 'user_id', header: t('colUser'), meta: { numeric: true } },
      { id: 'rule', accessorKey: 'rule', header: t('colRule') },
      { id: 'subject', accessorFn: (r) => `${r.subject_type} ${r.subject_id}`, header: t('colSubject') },
      { id: 'actor', accessorKey: 'actor', header: t('colActor') },
      { id: 'detail', accessorKey: 'detail', header: t('colDetail') },
      {
        id: 'undo',
        header: '',
        enableSorting: false,
        cell: (c) => {
          const row = c.row.original;
          if (row.undone_by) return <Tag color="green">{t('undoneBy', { id: row.undone_by })}</Tag>;
          if (!canUndo(row)) return null;
          return (
            <Popconfirm
              title={t('undoConfirm', { id: row.id, action: row.action })}
              onConfirm={() =>
                undo.mutate(row.id, {
                  onSuccess: (r) => void message.success(r.message || t('undoDone')),
                  onError: (e) => void message.error((e as Error).message),
                })
              }
            >
              <Button
                size="small"
                danger
                data-testid={`undo-${row.id}`}
                disabled={!undoConfigured}
                title={undoConfigured ? undefined : t('undoOff')}
              >
                {t('undo')}
              </Button>
            </Popconfirm>
          );
        },
      },
    ],
    [t, undo, undoConfigured],
  );

  if (role !== 'none' && !admin) return <Result status="403" title="403" subTitle={t('adminOnly')} />;
  return (
    <div className="page" data-testid="page-actions">
      <Card size="small" title={t('actionsTitle')} className="section">
        <QueryState
          isLoading={actions.isLoading}
          error={actions.error}
          isEmpty={rows.length === 0}
          onRetry={() => actions.refetch()}
        >
          <DataTable columns={columns} data={rows} csvName="actions" testId="actions-table" />
        </QueryState>
      </Card>
    </div>
  );
}
