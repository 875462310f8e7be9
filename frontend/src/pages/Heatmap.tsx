// Heatmap: weekday x local hour of one metric, with the numbers in the tooltip and as a table; the colour scale can
// clip outliers so a burst hour does not flatten the rest.
import { Card, Segmented, Typography } from 'antd';
import { useMemo } from 'react';
import { HEATMAP_METRICS, heatmapPoints, heatmapRows, useHeatmap, type HeatmapMetric } from '../api/heatmap';
import Chart, { type ChartOption } from '../components/Chart';
import DataTable, { type Column } from '../components/DataTable';
import { FilterBar, RangeBar } from '../components/RangeBar';
import ScaleSwitch from '../components/ScaleSwitch';
import { QueryState } from '../components/Status';
import { useI18n } from '../i18n';
import { useRole } from '../api/info';
import { formatCompact, formatNumber } from '../lib/format';
import { browserTimeZone, HOUR } from '../lib/range';
import { parseFilters, useRange, useUrlState } from '../lib/urlState';

const DEFAULT_WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

type HeatRow = Record<string, string | number>;

export default function Heatmap() {
  const { t, tx } = useI18n();
  const { params, patch } = useUrlState();
  const { spec, range, setSpec } = useRange('7d', HOUR);
  const metric = (HEATMAP_METRICS as string[]).includes(params.get('metric') ?? '')
    ? (params.get('metric') as HeatmapMetric)
    : 'reqs';
  const analyst = useRole().atLeast('analyst');
  const filters = useMemo(() => parseFilters(params, analyst), [params, analyst]);
  const tz = params.get('tz') || browserTimeZone();
  const heat = useHeatmap({ start_ms: range.start, end_ms: range.end, metric, tz, ...filters });

  const clip = params.get('scale') === 'clip';
  const { points, max } = useMemo(
    () => (heat.data ? heatmapPoints(heat.data, clip) : { points: [], max: 0 }),
    [heat.data, clip],
  );
  const weekdays = heat.data?.weekdays ?? DEFAULT_WEEKDAYS;
  const metricLabel = tx('metric_', metric);
  const option: ChartOption = useMemo(
    () => ({
      tooltip: {
        position: 'top',
        formatter: (p: { value: [number, number, number] }) =>
          `${weekdays[p.value[1]]} ${String(p.value[0]).padStart(2, '0')}:00–${String(p.value[0] + 1).padStart(2, '0')}:00<br/>${metricLabel}: <b>${formatNumber(p.value[2])}</b>`,
      },
      grid: { left: 48, right: 16, top: 16, bottom: 64 },
      xAxis: { type: 'category', data: Array.from({ length: 24 }, (_, h) => String(h)), splitArea: { show: true } },
      yAxis: { type: 'category', data: weekdays, inverse: true, splitArea: { show: true } },
      visualMap: {
        min: 0,
        max: Math.max(1, max),
        calculable: true,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        formatter: (v: number) => formatCompact(v),
      },
      series: [
        {
          type: 'heatmap',
          name: metricLabel,
          data: points,
          emphasis: { itemStyle: { borderColor: '#333', borderWidth: 1 } },
        },
      ],
    }),
    [points, max, weekdays, metricLabel],
  );

  const rows = useMemo(() => (heat.data ? heatmapRows(heat.data) : []), [heat.data]);
  const columns = useMemo<Column<HeatRow>[]>(
    () => [
      { id: 'weekday', accessorKey: 'weekday', header: t('colWeekday') },
      ...Array.from({ length: 24 }, (_, h): Column<HeatRow> => {
        const id = `h${String(h).padStart(2, '0')}`;
        return {
          id,
          accessorKey: id,
          header: String(h),
          cell: (c) => formatCompact(c.getValue() as number),
          meta: { numeric: true },
        };
      }),
      {
        id: 'total',
        accessorKey: 'total',
        header: t('colTotal'),
        cell: (c) => formatNumber(c.getValue() as number),
        meta: { numeric: true },
      },
    ],
    [t],
  );
  const total = rows.reduce((s, r) => s + Number(r.total), 0);

  return (
    <div className="page" data-testid="page-heatmap">
      <Card size="small" className="toolbar">
        <RangeBar spec={spec} range={range} onSpec={setSpec} />
        <Segmented
          data-testid="heatmap-metric"
          value={metric}
          options={HEATMAP_METRICS.map((m) => ({ label: tx('metric_', m), value: m }))}
          onChange={(v) => patch({ metric: v as string })}
        />
        <FilterBar filters={filters} onPatch={patch} />
      </Card>
      <Card
        size="small"
        className="section"
        title={t('heatmapTitle')}
        extra={
          <>
            <ScaleSwitch
              testId="heatmap-scale"
              scale={params.get('scale')}
              options={[
                { label: t('scaleFull'), value: 'full' },
                { label: t('scaleClip'), value: 'clip' },
              ]}
              onChange={(scale) => patch({ scale })}
            />{' '}
            <Typography.Text type="secondary">
              {t('timezone')}: {heat.data?.tz ?? tz}
            </Typography.Text>
          </>
        }
      >
        <QueryState
          isLoading={heat.isLoading}
          error={heat.error}
          isEmpty={!!heat.data && total === 0}
          onRetry={() => heat.refetch()}
          minHeight={340}
        >
          <Chart option={option} height={360} testId="heatmap-chart" />
        </QueryState>
      </Card>
      <Card size="small" className="section">
        <QueryState isLoading={heat.isLoading} error={heat.error} isEmpty={rows.length === 0}>
          <DataTable columns={columns} data={rows} csvName={`heatmap-${metric}`} testId="heatmap-table" />
        </QueryState>
      </Card>
    </div>
  );
}
