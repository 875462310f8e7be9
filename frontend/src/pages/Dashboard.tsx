// Dashboard: KPI cards with the change against the previous period (spend in new-api's display unit), the dual-axis
// traffic chart (linear or log scale, so a burst does not flatten the rest), range, slot and model / channel / group /
// user / token filters, and the buckets as a table.
import { Card, Col, Row, Statistic, Tooltip, Typography } from 'antd';
import { ArrowDownOutlined, ArrowUpOutlined } from '@ant-design/icons';
import { useMemo } from 'react';
import { useActive } from '../api/active';
import { useGateway, useRole } from '../api/info';
import { useSeries, type SeriesRow } from '../api/series';
import { useTop } from '../api/top';
import Chart, { type ChartOption } from '../components/Chart';
import DataTable, { type Column } from '../components/DataTable';
import { FilterBar, RangeBar } from '../components/RangeBar';
import ScaleSwitch from '../components/ScaleSwitch';
import { QueryState } from '../components/Status';
import { useI18n, type MessageKey } from '../i18n';
import { formatCompact, formatNumber, formatPercent, formatTime } from '../lib/format';
import { change, totals } from '../lib/kpi';
import { formatMoney, unitLabel } from '../lib/money';
import { spendColumn } from './logColumns';
import {
  browserTimeZone,
  effectiveSlot,
  MINUTE,
  parseRangeSpec,
  previousPeriod,
  rangeSpecParams,
  resolveRange,
} from '../lib/range';
import { parseFilters, useMinuteClock, useUrlState } from '../lib/urlState';

function Kpi({
  title,
  value,
  previous,
  format,
  testId,
  lowerIsBetter,
  loading,
  hint,
}: {
  title: string;
  value: number;
  previous?: number;
  format: (n: number) => string;
  testId: string;
  lowerIsBetter?: boolean;
  loading: boolean;
  hint?: string;
}) {
  const { t } = useI18n();
  const c = change(value, previous);
  const good = c === null ? true : lowerIsBetter ? c <= 0 : c >= 0;
  return (
    <Card size="small" className="kpi" data-testid={testId}>
      <Statistic
        title={hint ? <Tooltip title={hint}>{title}</Tooltip> : title}
        value={value}
        loading={loading}
        formatter={(v) => (
          <span data-testid={`${testId}-value`} data-value={value}>
            {format(Number(v))}
          </span>
        )}
      />
      <Typography.Text type="secondary" className="kpi-change" data-testid={`${testId}-change`}>
        {c === null ? (
          '—'
        ) : (
          <span style={{ color: good ? '#389e0d' : '#cf1322' }}>
            {c >= 0 ? <ArrowUpOutlined /> : <ArrowDownOutlined />} {formatPercent(Math.abs(c))}
          </span>
        )}{' '}
        {t('vsPrevious')}
      </Typography.Text>
    </Card>
  );
}

export default function Dashboard() {
  const { t } = useI18n();
  const { params, patch } = useUrlState();
  const now = useMinuteClock();
  const spec = useMemo(() => parseRangeSpec(params, '24h'), [params]);
  const requestedSlot = Number(params.get('slot')) || undefined;
  const slot = effectiveSlot(resolveRange(spec, now, MINUTE), requestedSlot);
  const range = useMemo(() => resolveRange(spec, now, slot * 1000), [spec, now, slot]);
  const prev = previousPeriod(range);
  const analyst = useRole().atLeast('analyst');
  const filters = useMemo(() => parseFilters(params, analyst), [params, analyst]);
  const tz = params.get('tz') || browserTimeZone();

  const series = useSeries({ start_ms: range.start, end_ms: range.end, slot_sec: slot, tz, ...filters });
  const prevSeries = useSeries({ start_ms: prev.start, end_ms: prev.end, slot_sec: slot, tz, ...filters });
  const active = useActive({ start_ms: range.start, end_ms: range.end, ...filters });
  const prevActive = useActive({ start_ms: prev.start, end_ms: prev.end, ...filters });
  const models = useTop({ start_ms: range.start, end_ms: range.end, by: 'model', metric: 'reqs', limit: 200 });
  const channels = useTop({ start_ms: range.start, end_ms: range.end, by: 'channel', metric: 'reqs', limit: 200 });

  const { unit, quotaPerUnit } = useGateway();
  const cur = totals(series.data, quotaPerUnit, unit);
  const before = prevSeries.data ? totals(prevSeries.data, quotaPerUnit, unit) : undefined;
  const logScale = params.get('scale') === 'log';

  const option: ChartOption = useMemo(() => {
    // A log axis has no 0: empty buckets become gaps there.
    const point = (r: SeriesRow, v: number) => [r.bucket_ms, logScale && v <= 0 ? null : v];
    const axis = (name: string) => ({
      type: logScale ? 'log' : 'value',
      name,
      ...(logScale ? { min: 1, logBase: 10 } : {}),
      axisLabel: { formatter: (v: number) => formatCompact(v) },
    });
    return {
      tooltip: { trigger: 'axis' },
      legend: { data: [t('seriesReqs'), t('seriesErrors'), t('seriesTokens')], top: 0 },
      grid: { left: 56, right: 64, top: 36, bottom: 56 },
      dataZoom: [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 8 }],
      xAxis: { type: 'time' },
      yAxis: [axis(t('seriesReqs')), axis(t('seriesTokens'))],
      series: [
        {
          name: t('seriesReqs'),
          type: 'line',
          showSymbol: false,
          yAxisIndex: 0,
          data: (series.data ?? []).map((r) => point(r, r.reqs)),
        },
        {
          name: t('seriesErrors'),
          type: 'line',
          showSymbol: logScale,
          yAxisIndex: 0,
          data: (series.data ?? []).map((r) => point(r, r.errors)),
        },
        {
          name: t('seriesTokens'),
          type: 'line',
          showSymbol: false,
          yAxisIndex: 1,
          areaStyle: logScale ? undefined : { opacity: 0.08 },
          data: (series.data ?? []).map((r) => point(r, r.tokens)),
        },
      ],
    } as ChartOption;
  }, [series.data, t, logScale]);

  const columns = useMemo<Column<SeriesRow>[]>(
    () => [
      { id: 'bucket', accessorKey: 'bucket', header: t('colTime'), cell: (c) => formatTime(c.row.original.bucket_ms) },
      ...(['reqs', 'tokens', 'quota', 'errors', 'users', 'tokens_cnt'] as const).map((k): Column<SeriesRow> =>
        k === 'quota'
          ? spendColumn<SeriesRow>('quota', t, { unit, quotaPerUnit })
          : {
              id: k,
              accessorKey: k,
              header:
                k === 'tokens_cnt'
                  ? `${t('colToken')} #`
                  : k === 'users'
                    ? t('colUser') + ' #'
                    : t(`col${k[0].toUpperCase()}${k.slice(1)}` as MessageKey),
              cell: (c) => formatNumber(c.getValue() as number),
              meta: { numeric: true },
            },
      ),
    ],
    [t, unit, quotaPerUnit],
  );

  const loadingCards = series.isLoading;
  return (
    <div className="page" data-testid="page-dashboard">
      <Card size="small" className="toolbar">
        <RangeBar
          spec={spec}
          range={range}
          onSpec={(s) => patch(rangeSpecParams(s))}
          slot={requestedSlot ?? 'auto'}
          onSlot={(s) => patch({ slot: s === 'auto' ? undefined : s })}
        />
        <FilterBar
          filters={filters}
          onPatch={patch}
          models={(models.data ?? []).map((m) => m.model_name ?? '').filter(Boolean)}
          channels={(channels.data ?? []).map((c) => ({ id: c.channel_id ?? 0, name: c.channel_name ?? '' }))}
        />
      </Card>
      <QueryState isLoading={false} error={series.error} onRetry={() => series.refetch()}>
        <Row gutter={[12, 12]} className="kpis">
          <Col xs={12} md={8} xl={5}>
            <Kpi
              testId="kpi-requests"
              title={t('kpiRequests')}
              value={cur.reqs}
              previous={before?.reqs}
              format={(n) => formatNumber(n)}
              loading={loadingCards}
            />
          </Col>
          <Col xs={12} md={8} xl={5}>
            <Kpi
              testId="kpi-tokens"
              title={t('kpiTokens')}
              value={cur.tokens}
              previous={before?.tokens}
              format={formatCompact}
              loading={loadingCards}
            />
          </Col>
          <Col xs={12} md={8} xl={5}>
            <Kpi
              testId="kpi-spend"
              title={t('kpiSpend', { unit: unitLabel(unit) })}
              hint={t('spendNote', { n: formatNumber(quotaPerUnit) })}
              value={cur.spend}
              previous={before?.spend}
              format={(n) => formatMoney(unit, n)}
              loading={loadingCards}
            />
          </Col>
          <Col xs={12} md={12} xl={4}>
            <Kpi
              testId="kpi-error-ratio"
              title={t('kpiErrorRatio')}
              value={cur.errorRatio}
              previous={before?.errorRatio}
              format={(n) => formatPercent(n, 2)}
              lowerIsBetter
              loading={loadingCards}
            />
          </Col>
          <Col xs={24} md={12} xl={5}>
            <Kpi
              testId="kpi-active-users"
              title={t('kpiActiveUsers')}
              value={active.data?.users ?? 0}
              previous={prevActive.data?.users}
              format={(n) => formatNumber(n)}
              loading={active.isLoading}
            />
          </Col>
        </Row>
      </QueryState>
      <Card
        size="small"
        title={t('traffic')}
        className="section"
        extra={
          <ScaleSwitch
            testId="traffic-scale"
            scale={params.get('scale')}
            options={[
              { label: t('scaleLinear'), value: 'linear' },
              { label: t('scaleLog'), value: 'log' },
            ]}
            onChange={(scale) => patch({ scale })}
          />
        }
      >
        <QueryState
          isLoading={series.isLoading}
          error={series.error}
          isEmpty={cur.reqs === 0}
          onRetry={() => series.refetch()}
          minHeight={340}
        >
          <Chart option={option} testId="traffic-chart" />
        </QueryState>
      </Card>
      <Card size="small" title={t('buckets')} className="section">
        <QueryState isLoading={series.isLoading} error={series.error} isEmpty={(series.data ?? []).length === 0}>
          <DataTable columns={columns} data={series.data ?? []} csvName="series" testId="series-table" />
        </QueryState>
      </Card>
    </div>
  );
}
