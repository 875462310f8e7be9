// Top: the largest users, tokens, models or channels by tokens, requests or quota; bar chart and sortable table. A
// user or token row opens its recent requests (selection in the URL); a model or channel row opens the Dashboard
// filtered to it.
import { Card, Drawer, Segmented, Space, Typography } from 'antd';
import { useMemo } from 'react';
import { useNavigate } from 'react-router-dom';
import { TOP_BYS, TOP_METRICS, topSubject, useTop, type TopBy, type TopMetric, type TopRow } from '../api/top';
import { useLogs } from '../api/logs';
import Chart, { type ChartOption } from '../components/Chart';
import DataTable, { type Column } from '../components/DataTable';
import { FilterBar, RangeBar } from '../components/RangeBar';
import { QueryState } from '../components/Status';
import { useI18n } from '../i18n';
import { formatCompact, formatNumber } from '../lib/format';
import { quotaIn } from '../lib/money';
import { DAY } from '../lib/range';
import { parseFilters, useRange, useUrlState } from '../lib/urlState';
import { logColumns, spendColumn } from './logColumns';
import EntityLabel from '../components/EntityLabel';
import { useGateway, useRole } from '../api/info';

export default function Top() {
  const { t, tx } = useI18n();
  const navigate = useNavigate();
  const { params, patch } = useUrlState();
  const { spec, range, setSpec } = useRange('24h');
  const analyst = useRole().atLeast('analyst');
  // Users and tokens are an analyst's (README "Roles"); a viewer ranks models and channels.
  const bys = analyst ? TOP_BYS : TOP_BYS.filter((b) => b === 'model' || b === 'channel');
  const by = (bys as string[]).includes(params.get('by') ?? '') ? (params.get('by') as TopBy) : bys[0];
  const metric = (TOP_METRICS as string[]).includes(params.get('metric') ?? '')
    ? (params.get('metric') as TopMetric)
    : 'tokens';
  const filters = useMemo(() => parseFilters(params, analyst), [params, analyst]);
  const limit = 50;
  const known = useRole().role !== 'none';
  const top = useTop({ start_ms: range.start, end_ms: range.end, by, metric, limit, ...filters }, known);
  const rows = useMemo(() => top.data ?? [], [top.data]);
  const { unit, quotaPerUnit } = useGateway();

  const option: ChartOption = useMemo(() => {
    const shown = rows.slice(0, 20);
    return {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: 'value', axisLabel: { formatter: (v: number) => formatCompact(v) } },
      yAxis: {
        type: 'category',
        inverse: true,
        data: shown.map((r) => topSubject(by, r).name),
        axisLabel: { width: 140, overflow: 'truncate' },
      },
      series: [
        {
          type: 'bar',
          name: t(`metric_${metric}` as 'metric_tokens'),
          data: shown.map((r) => (metric === 'quota_sum' ? quotaIn(unit, r.quota_sum, quotaPerUnit) : r[metric])),
        },
      ],
    };
  }, [rows, by, metric, t, unit, quotaPerUnit]);

  const columns = useMemo<Column<TopRow>[]>(() => {
    const idKey = by === 'model' ? 'model_name' : `${by}_id`;
    const nameKey =
      by === 'user' ? 'username' : by === 'token' ? 'token_name' : by === 'channel' ? 'channel_name' : null;
    const cols: Column<TopRow>[] = [
      {
        id: 'rank',
        header: t('colRank'),
        accessorFn: (_r, i) => i + 1,
        cell: (c) => c.row.index + 1,
        enableSorting: false,
        meta: { csv: (r) => rows.indexOf(r) + 1 },
      },
      { id: idKey, accessorKey: idKey, header: by === 'model' ? t('colModel') : t('colId') },
    ];
    if (nameKey && by !== 'model') {
      cols.push({
        id: nameKey,
        accessorKey: nameKey,
        header: t('colName'),
        cell: (c) => (
          <EntityLabel kind={by} id={topSubject(by, c.row.original).id} name={c.getValue() as string} hideId />
        ),
      });
    }
    if (by === 'token') {
      cols.push({
        id: 'user_id',
        accessorKey: 'user_id',
        header: t('colOwner'),
        cell: (c) => <EntityLabel kind="user" id={c.row.original.user_id ?? 0} />,
      });
    }
    for (const k of ['reqs', 'tokens', 'quota_sum', 'errors'] as const) {
      if (k === 'quota_sum') {
        cols.push(spendColumn<TopRow>('quota_sum', t, { unit, quotaPerUnit }));
        continue;
      }
      cols.push({
        id: k,
        accessorKey: k,
        header: t(k === 'reqs' ? 'colReqs' : k === 'tokens' ? 'colTokens' : 'colErrors'),
        cell: (c) => formatNumber(c.getValue() as number),
        meta: { numeric: true },
      });
    }
    return cols;
  }, [by, rows, t, unit, quotaPerUnit]);

  const open = (row: TopRow) => {
    const { id } = topSubject(by, row);
    if (by === 'user' || by === 'token') patch({ sel: id });
    else {
      // The Dashboard filtered to this model or channel, over the same range.
      const next = new URLSearchParams();
      for (const k of ['range', 'start', 'end', 'model', 'channel', 'group', 'user', 'token'])
        if (params.get(k)) next.set(k, params.get(k)!);
      next.set(by, id);
      navigate(`/?${next.toString()}`);
    }
  };

  const sel = params.get('sel');
  // /api/logs reads at most 31 days: the selection's requests come from the range's last 31 days.
  const logsStart = Math.max(range.start, range.end - 31 * DAY);
  const logs = useLogs(
    sel && (by === 'user' || by === 'token') && /^\d+$/.test(sel)
      ? {
          start_ms: logsStart,
          end_ms: range.end,
          limit: 200,
          ...(by === 'user' ? { user_id: Number(sel) } : { token_id: Number(sel) }),
        }
      : null,
  );
  const selected = rows.find((r) => topSubject(by, r).id === sel);
  const logCols = useMemo(() => logColumns(t, tx, { unit, quotaPerUnit }), [t, tx, unit, quotaPerUnit]);

  return (
    <div className="page" data-testid="page-top">
      <Card size="small" className="toolbar">
        <RangeBar spec={spec} range={range} onSpec={setSpec} />
        <Space wrap>
          <Segmented
            data-testid="top-by"
            value={by}
            options={bys.map((b) => ({ label: tx('by_', b), value: b }))}
            onChange={(v) => patch({ by: v as string, sel: undefined })}
          />
          <Segmented
            data-testid="top-metric"
            value={metric}
            options={TOP_METRICS.map((m) => ({ label: tx('metric_', m), value: m }))}
            onChange={(v) => patch({ metric: v as string })}
          />
        </Space>
        <FilterBar filters={filters} onPatch={patch} />
      </Card>
      <Card size="small" title={`${t('topTitle')} ${rows.length ? Math.min(20, rows.length) : ''}`} className="section">
        <QueryState
          isLoading={top.isLoading}
          error={top.error}
          isEmpty={rows.length === 0}
          onRetry={() => top.refetch()}
          minHeight={300}
        >
          <Chart
            option={option}
            height={Math.max(240, Math.min(20, rows.length) * 24 + 40)}
            testId="top-chart"
            onClick={(p) => rows[p.dataIndex] && open(rows[p.dataIndex])}
          />
        </QueryState>
      </Card>
      <Card size="small" className="section">
        <QueryState isLoading={top.isLoading} error={top.error} isEmpty={rows.length === 0}>
          <DataTable
            columns={columns}
            data={rows}
            csvName={`top-${by}-${metric}`}
            onRowClick={open}
            testId="top-table"
            title={<Typography.Text type="secondary">{t('topRowHint')}</Typography.Text>}
          />
        </QueryState>
      </Card>
      <Drawer
        open={!!sel && (by === 'user' || by === 'token')}
        onClose={() => patch({ sel: undefined })}
        width={Math.min(1000, window.innerWidth)}
        title={`${t('subjectRequests')} ${tx('by_', by)} ${sel ?? ''} ${selected ? topSubject(by, selected).name : ''}`}
        data-testid="top-detail"
      >
        <QueryState
          isLoading={logs.isLoading}
          error={logs.error}
          isEmpty={(logs.data ?? []).length === 0}
          onRetry={() => logs.refetch()}
        >
          <DataTable columns={logCols} data={logs.data ?? []} csvName={`logs-${by}-${sel}`} testId="top-logs-table" />
        </QueryState>
      </Drawer>
    </div>
  );
}
