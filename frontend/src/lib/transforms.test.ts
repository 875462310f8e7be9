// Tests of the data transforms: KPI totals and changes, CSV, heatmap points and rows, per-minute timelines,
// Top subjects, and table CSV with the columns pages define.
import { describe, expect, it } from 'vitest';
import { heatmapPoints, heatmapRows, type HeatmapAnswer } from '../api/heatmap';
import { logSubjectOf, perMinute, type LogRow } from '../api/logs';
import type { SeriesRow } from '../api/series';
import { topSubject } from '../api/top';
import { tableCsv, type Column } from '../components/DataTable';
import { csvCell, toCsv } from './csv';
import { change, totals } from './kpi';

const row = (p: Partial<SeriesRow>): SeriesRow => ({
  bucket: '',
  bucket_ms: 0,
  reqs: 0,
  tokens: 0,
  users: 0,
  tokens_cnt: 0,
  quota: 0,
  errors: 0,
  ...p,
});

describe('kpi', () => {
  it('sums series rows into totals with spend and error ratio', () => {
    const t = totals([
      row({ reqs: 10, tokens: 100, quota: 250_000, errors: 1, users: 3 }),
      row({ reqs: 30, tokens: 50, quota: 250_000, errors: 3, users: 5 }),
    ]);
    expect(t).toMatchObject({ reqs: 40, tokens: 150, quota: 500_000, errors: 4, peakUsers: 5 });
    expect(t.spend).toBe(1);
    expect(t.errorRatio).toBeCloseTo(0.1);
    // The instance's QuotaPerUnit (from /api/info) when known.
    expect(totals([row({ quota: 250_000 })], 100_000).spend).toBe(2.5);
  });
  it('is zero for no rows', () => {
    expect(totals(undefined)).toMatchObject({ reqs: 0, errorRatio: 0, spend: 0 });
  });
  it('computes the change against the previous period, or nothing to compare with', () => {
    expect(change(150, 100)).toBeCloseTo(0.5);
    expect(change(50, 100)).toBeCloseTo(-0.5);
    expect(change(5, 0)).toBeNull();
    expect(change(5, undefined)).toBeNull();
  });
});

describe('csv', () => {
  it('quotes separators, quotes and line breaks', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell(null)).toBe('');
    expect(csvCell(-12.5)).toBe('-12.5');
  });
  it('defuses spreadsheet formulas in names', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('@sum')).toBe("'@sum");
  });
  it('defuses every formula start OWASP lists, signed numbers in text included (the server does the same)', () => {
    expect(csvCell("-2+3+cmd|' /C calc'!A0")).toBe("'-2+3+cmd|' /C calc'!A0");
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-token')).toBe("'-token");
    expect(csvCell('\t=1+1')).toBe("'\t=1+1");
    expect(csvCell('\r=1+1')).toBe(`"'\r=1+1"`);
    expect(csvCell(-2)).toBe('-2');
    expect(csvCell(3)).toBe('3');
  });
  it('writes a header and one line per row', () => {
    const text = toCsv(
      ['a', 'b'],
      [
        [1, 'x'],
        [2, 'y'],
      ],
    );
    expect(text.split('\r\n')).toEqual(['a,b', '1,x', '2,y', '']);
  });
  it('uses column ids as the header and the CSV value where a column gives one', () => {
    type R = { id: number; name: string; at: number };
    const cols: Column<R>[] = [
      { id: 'id', accessorKey: 'id', header: 'ID' },
      { id: 'name', accessorKey: 'name', header: 'Name' },
      { id: 'at', accessorKey: 'at', header: 'Time', meta: { csv: (r) => new Date(r.at).toISOString() } },
    ];
    const csv = tableCsv(cols, [{ id: 1, name: 'a, b', at: 0 }]);
    expect(csv).toBe('id,name,at\r\n1,"a, b",1970-01-01T00:00:00.000Z\r\n');
  });
});

describe('heatmap', () => {
  const answer: HeatmapAnswer = {
    metric: 'reqs',
    tz: 'UTC',
    start_ms: 0,
    end_ms: 0,
    weekdays: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
    cells: Array.from({ length: 7 }, (_, d) => Array.from({ length: 24 }, (_, h) => (d === 2 && h === 13 ? 42 : d))),
  };
  it('gives 168 points [hour, weekday, value] and the maximum', () => {
    const { points, max } = heatmapPoints(answer);
    expect(points).toHaveLength(168);
    expect(points).toContainEqual([13, 2, 42]);
    expect(max).toBe(42);
  });
  it('clips the colour scale at the 95th percentile so one burst hour does not flatten the rest', () => {
    const cells = Array.from({ length: 7 }, () => Array.from({ length: 24 }, () => 10));
    cells[3][4] = 100_000;
    const burst: HeatmapAnswer = { ...answer, cells };
    expect(heatmapPoints(burst).max).toBe(100_000);
    expect(heatmapPoints(burst, true).max).toBe(10);
    expect(heatmapPoints(burst, true).points).toContainEqual([4, 3, 100_000]);
  });
  it('gives a row per weekday with 24 hours and a total', () => {
    const rows = heatmapRows(answer);
    expect(rows).toHaveLength(7);
    expect(rows[2].weekday).toBe('Wed');
    expect(rows[2].h13).toBe(42);
    expect(rows[1].total).toBe(24);
  });
});

describe('timeline', () => {
  const log = (ms: number, type = 2) => ({ created_at_ms: ms, type }) as LogRow;
  it('counts consume and error rows per minute with empty minutes as zeros', () => {
    const m = 60_000;
    const out = perMinute([log(10), log(20), log(m + 5, 5), log(3 * m + 1), log(99 * m)], 0, 4 * m);
    expect(out).toEqual([
      [0, 2, 0],
      [m, 0, 1],
      [2 * m, 0, 0],
      [3 * m, 1, 0],
    ]);
  });
  it('maps finding subjects to log queries', () => {
    expect(logSubjectOf('token', '17')).toEqual({ token_id: 17 });
    expect(logSubjectOf('ip', '10.0.0.1')).toEqual({ ip: '10.0.0.1' });
    expect(logSubjectOf('request', '99', 5)).toEqual({ user_id: 5 });
    expect(logSubjectOf('request', '99')).toBeNull();
    expect(logSubjectOf('token', 'abc')).toBeNull();
  });
});

describe('topSubject', () => {
  it('names each dimension, with the id when the name is missing', () => {
    expect(topSubject('user', { user_id: 3, username: 'ann', reqs: 0, tokens: 0, quota_sum: 0, errors: 0 })).toEqual({
      id: '3',
      name: 'ann',
    });
    expect(topSubject('token', { token_id: 9, token_name: '', reqs: 0, tokens: 0, quota_sum: 0, errors: 0 })).toEqual({
      id: '9',
      name: '#9',
    });
    expect(topSubject('model', { model_name: 'gpt-4o', reqs: 0, tokens: 0, quota_sum: 0, errors: 0 }).id).toBe(
      'gpt-4o',
    );
  });
});
