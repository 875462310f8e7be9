// /api/stats/heatmap: weekday x local hour totals of one metric (fetcher, query hook and the chart's data).
import { useQuery } from '@tanstack/react-query';
import { apiGet } from './client';
import type { UsageFilters } from './series';

export type HeatmapMetric = 'reqs' | 'tokens' | 'quota' | 'errors';
export const HEATMAP_METRICS: HeatmapMetric[] = ['reqs', 'tokens', 'quota', 'errors'];

export interface HeatmapAnswer {
  metric: HeatmapMetric;
  tz: string;
  start_ms: number;
  end_ms: number;
  weekdays: string[]; // Mon..Sun
  cells: number[][]; // [weekday][hour]
}

export interface HeatmapParams extends UsageFilters {
  start_ms: number;
  end_ms: number;
  metric: HeatmapMetric;
  tz?: string;
}

export const fetchHeatmap = (p: HeatmapParams, signal?: AbortSignal) =>
  apiGet<HeatmapAnswer>('/api/stats/heatmap', { ...p }, signal);

export function useHeatmap(p: HeatmapParams, enabled = true) {
  return useQuery({ queryKey: ['heatmap', p], queryFn: ({ signal }) => fetchHeatmap(p, signal), enabled });
}

// ECharts heatmap points [hour, weekday, value] and the top of the colour scale: the largest value, or with `clip` the
// 95th percentile of the non-empty cells, so one burst hour does not wash every other cell out (cells above it take
// the top colour; the tooltip and table keep the real numbers).
export function heatmapPoints(a: HeatmapAnswer, clip = false): { points: [number, number, number][]; max: number } {
  const points: [number, number, number][] = [];
  const values: number[] = [];
  a.cells.forEach((row, day) =>
    row.forEach((value, hour) => {
      points.push([hour, day, value]);
      if (value > 0) values.push(value);
    }),
  );
  values.sort((x, y) => x - y);
  const max = values.length ? values[values.length - 1] : 0;
  if (!clip || values.length === 0) return { points, max };
  return { points, max: values[Math.min(values.length - 1, Math.ceil(values.length * 0.95) - 1)] };
}

// One row per weekday with its 24 hours, for the table and its CSV.
export function heatmapRows(a: HeatmapAnswer): Record<string, string | number>[] {
  return a.cells.map((row, day) => {
    const out: Record<string, string | number> = { weekday: a.weekdays[day] ?? String(day) };
    row.forEach((v, hour) => (out[`h${String(hour).padStart(2, '0')}`] = v));
    out.total = row.reduce((s, v) => s + v, 0);
    return out;
  });
}
