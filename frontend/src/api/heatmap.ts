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

// ECharts heatmap points [hour, weekday, value] and the largest value (for the colour scale).
export function heatmapPoints(a: HeatmapAnswer): { points: [number, number, number][]; max: number } {
  const points: [number, number, number][] = [];
  let max = 0;
  a.cells.forEach((row, day) =>
    row.forEach((value, hour) => {
      points.push([hour, day, value]);
      if (value > max) max = value;
    }),
  );
  return { points, max };
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
