// Anomalies: a tab per rule with its parameters (empty = the running rules), coverage, and the hits table (subject,
// score, threshold, window); a hit opens its detail page.
import { Button, Card, Form, InputNumber, Space, Tabs, Tag, Tooltip, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import {
  isRule,
  RULE_PARAMS,
  RULES,
  useAnomalies,
  type Finding,
  type Rule,
  type RuleOverrides,
} from '../api/anomalies';
import { useInfo, useRole } from '../api/info';
import DataTable, { type Column } from '../components/DataTable';
import { RangeBar } from '../components/RangeBar';
import { QueryState } from '../components/Status';
import CodeText from '../components/CodeText';
import { useI18n } from '../i18n';
import { formatDuration, formatNumber, formatPercent, formatTime } from '../lib/format';
import type { QuickRange } from '../lib/range';
import { useRange, useUrlState } from '../lib/urlState';

// Ranges the anomaly API accepts (at most 7 days).
const ANOMALY_RANGES: QuickRange[] = ['1h', '24h', '7d'];

export function detailPath(f: Finding, range?: { start: number; end: number }): string {
  const q = new URLSearchParams({ rule: f.rule, subject_type: f.subject_type, subject_id: f.subject_id });
  if (range) {
    q.set('start', String(range.start));
    q.set('end', String(range.end));
  }
  return `/anomalies/detail?${q.toString()}`;
}

function overridesFrom(params: URLSearchParams, rule: Rule): RuleOverrides {
  const out: RuleOverrides = {};
  for (const k of RULE_PARAMS[rule]) {
    const v = Number(params.get(k));
    if (params.get(k) && Number.isFinite(v)) out[k] = v;
  }
  return out;
}

export default function Anomalies() {
  const { t, tx } = useI18n();
  const navigate = useNavigate();
  const { params, patch } = useUrlState();
  const { spec, range, setSpec } = useRange('24h', undefined, ANOMALY_RANGES);
  const rule: Rule = isRule(params.get('rule')) ? (params.get('rule') as Rule) : 'burst';
  const overrides = useMemo(() => overridesFrom(params, rule), [params, rule]);
  const hits = useAnomalies({ start_ms: range.start, end_ms: range.end, rule, ...overrides });
  const info = useInfo();
  const [draft, setDraft] = useState<RuleOverrides>(overrides);
  useEffect(() => setDraft(overrides), [overrides]);

  // A viewer gets the findings without their subjects and no detail (README "Roles").
  const analyst = useRole().atLeast('analyst');
  const columns = useMemo<Column<Finding>[]>(
    () => [
      ...(analyst
        ? []
        : [{ id: 'subject_type', accessorKey: 'subject_type', header: t('subjectType') } as Column<Finding>]),
      ...(!analyst
        ? []
        : ([
            {
              id: 'subject_id',
              accessorKey: 'subject_id',
              header: t('colSubject'),
              cell: (c) => (
                <Link to={detailPath(c.row.original, range)} onClick={(e) => e.stopPropagation()}>
                  {c.row.original.subject_type} {c.row.original.subject_id}
                </Link>
              ),
            },
            { id: 'subject_type', accessorKey: 'subject_type', header: t('subjectType') },
            { id: 'subject_name', accessorKey: 'subject_name', header: t('colName') },
          ] as Column<Finding>[])),
      {
        id: 'score',
        accessorKey: 'score',
        header: t('colScore'),
        cell: (c) => formatNumber(c.getValue() as number, 2),
        meta: { numeric: true },
      },
      {
        id: 'threshold',
        accessorKey: 'threshold',
        header: t('colThreshold'),
        cell: (c) => formatNumber(c.getValue() as number, 2),
        meta: { numeric: true },
      },
      {
        id: 'window_sec',
        accessorKey: 'window_sec',
        header: t('colWindow'),
        cell: (c) => ((c.getValue() as number) ? formatDuration(c.getValue() as number) : '—'),
      },
      { id: 'windows', accessorKey: 'windows', header: t('colWindows'), meta: { numeric: true } },
      {
        id: 'first_window_start_ms',
        accessorKey: 'first_window_start_ms',
        header: t('colFirst'),
        cell: (c) => formatTime(c.getValue() as number, true),
        meta: { csv: (r) => new Date(r.first_window_start_ms).toISOString() },
      },
      {
        id: 'last_window_end_ms',
        accessorKey: 'last_window_end_ms',
        header: t('colLast'),
        cell: (c) => formatTime(c.getValue() as number, true),
        meta: { csv: (r) => new Date(r.last_window_end_ms).toISOString() },
      },
    ],
    [t, range, analyst],
  );

  const cov = info.data?.rule_coverage[rule];
  const tab = (r: Rule) => (
    <span data-testid={`rule-tab-${r}`}>
      {tx('rule_', r)}
      {r === rule && hits.data ? <Tag style={{ marginInlineStart: 6 }}>{hits.data.length}</Tag> : null}
    </span>
  );

  return (
    <div className="page" data-testid="page-anomalies">
      <Card size="small" className="toolbar">
        <RangeBar spec={spec} range={range} onSpec={setSpec} quickRanges={ANOMALY_RANGES} />
      </Card>
      <Card size="small" className="section">
        <Tabs
          activeKey={rule}
          onChange={(k) => patch({ rule: k, window_sec: undefined, threshold: undefined, sigma: undefined })}
          items={RULES.map((r) => ({ key: r, label: tab(r) }))}
        />
        <Space direction="vertical" style={{ width: '100%' }}>
          <Typography.Paragraph type="secondary" style={{ margin: 0 }} data-testid="rule-help">
            <CodeText text={tx('ruleDesc_', rule)} />
          </Typography.Paragraph>
          <Form
            layout="inline"
            className="rule-params"
            onFinish={() => patch({ window_sec: draft.window_sec, threshold: draft.threshold, sigma: draft.sigma })}
          >
            {RULE_PARAMS[rule].map((k) => (
              <Form.Item key={k} label={tx('param_', k)}>
                <InputNumber
                  data-testid={`param-${k}`}
                  placeholder={t('paramsDefaultShort')}
                  style={{ width: 150 }}
                  min={k === 'sigma' ? 0.5 : k === 'threshold' ? 2 : 1}
                  step={k === 'sigma' ? 0.5 : 1}
                  value={draft[k] ?? null}
                  onChange={(v) => setDraft((d) => ({ ...d, [k]: v ?? undefined }))}
                />
              </Form.Item>
            ))}
            <Form.Item>
              <Space>
                <Button htmlType="submit" type="primary">
                  {t('apply')}
                </Button>
                <Button onClick={() => patch({ window_sec: undefined, threshold: undefined, sigma: undefined })}>
                  {t('reset')}
                </Button>
              </Space>
            </Form.Item>
            <Form.Item label={<Tooltip title={t('coverageNote')}>{t('coverage')}</Tooltip>}>
              <span data-testid="rule-coverage">
                {info.isLoading ? '…' : cov === undefined ? '—' : formatPercent(cov)}
              </span>
            </Form.Item>
          </Form>
          <Typography.Text type="secondary" className="params-help">
            {t('paramsDefault')}
          </Typography.Text>
          <QueryState
            isLoading={hits.isLoading}
            error={hits.error}
            isEmpty={(hits.data ?? []).length === 0}
            onRetry={() => hits.refetch()}
          >
            <DataTable
              columns={columns}
              data={hits.data ?? []}
              csvName={`anomalies-${rule}`}
              testId="anomaly-table"
              onRowClick={analyst ? (f) => navigate(detailPath(f, range)) : undefined}
              title={<Typography.Text strong>{t('hits')}</Typography.Text>}
            />
          </QueryState>
        </Space>
      </Card>
    </div>
  );
}
