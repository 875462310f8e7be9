// Anomaly detail (/anomalies/detail?rule=&subject_type=&subject_id=, the path alert messages and Grafana link to):
// the numbers that made the rule fire, a timeline of the subject's requests, its recent requests, IPs, users,
// models and channels.
import { Alert, Card, Col, Descriptions, Row, Space, Tag, Typography } from 'antd';
import { useMemo } from 'react';
import { Link } from 'react-router-dom';
import {
  isRule,
  RULE_PARAMS,
  useAnomalyDetail,
  type AnomalyDetail as Detail,
  type Rule,
  type RuleOverrides,
} from '../api/anomalies';
import { logSubjectOf, perMinute, useLogs } from '../api/logs';
import Chart, { type ChartOption } from '../components/Chart';
import DataTable, { type Column } from '../components/DataTable';
import { RangeBar } from '../components/RangeBar';
import { QueryState } from '../components/Status';
import CodeText from '../components/CodeText';
import EntityLabel from '../components/EntityLabel';
import { useGateway } from '../api/info';
import { useI18n } from '../i18n';
import { formatDuration, formatNumber, formatTime } from '../lib/format';
import { DAY, MINUTE, type QuickRange } from '../lib/range';
import { useRange, useUrlState } from '../lib/urlState';
import { logColumns } from './logColumns';

const DETAIL_RANGES: QuickRange[] = ['1h', '24h', '7d'];
const TIMELINE_MARGIN = 30 * MINUTE;

type Ip = Detail['ips'][number];
type User = Detail['users'][number];
type Model = Detail['models'][number];
type Channel = Detail['channels'][number];

export default function AnomalyDetail() {
  const { t, tx } = useI18n();
  const { params } = useUrlState();
  const { spec, range, setSpec } = useRange('24h', undefined, DETAIL_RANGES);
  const rule = params.get('rule');
  const subjectType = params.get('subject_type') ?? '';
  const subjectId = params.get('subject_id') ?? '';
  const valid = isRule(rule) && subjectId !== '';
  const overrides: RuleOverrides = {};
  if (isRule(rule)) {
    for (const k of RULE_PARAMS[rule as Rule]) if (params.get(k)) overrides[k] = Number(params.get(k));
  }
  const detail = useAnomalyDetail(
    { start_ms: range.start, end_ms: range.end, rule: (rule ?? 'burst') as Rule, subject_id: subjectId, ...overrides },
    valid,
  );
  const d = detail.data;
  const f = d?.finding;

  // The subject's requests around the firing window, for the timeline.
  const tl = useMemo(
    () =>
      f
        ? {
            start: f.first_window_start_ms - TIMELINE_MARGIN,
            end: Math.min(f.last_window_end_ms + TIMELINE_MARGIN, Date.now() + MINUTE),
          }
        : null,
    [f],
  );
  const subject = f ? logSubjectOf(f.subject_type, f.subject_id, d?.requests[0]?.user_id) : null;
  const logs = useLogs(
    tl && subject
      ? {
          start_ms: Math.floor(tl.start / MINUTE) * MINUTE,
          end_ms: Math.max(Math.ceil(tl.end / MINUTE) * MINUTE, Math.floor(tl.start / MINUTE) * MINUTE + MINUTE),
          limit: 1000,
          ...subject,
        }
      : null,
  );
  const timeline = useMemo(
    () => (tl && logs.data ? perMinute(logs.data, tl.start, Math.min(tl.end, tl.start + 31 * DAY)) : []),
    [logs.data, tl],
  );

  const option: ChartOption = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { top: 0, data: [tx('logType_', 2), tx('logType_', 5)] },
      grid: { left: 48, right: 16, top: 32, bottom: 32 },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        {
          name: tx('logType_', 2),
          type: 'bar',
          stack: 'r',
          data: timeline.map(([m, ok]) => [m, ok]),
          markArea: f
            ? {
                itemStyle: { color: 'rgba(255, 77, 79, 0.12)' },
                data: [[{ name: t('firingWindow'), xAxis: f.first_window_start_ms }, { xAxis: f.last_window_end_ms }]],
              }
            : undefined,
        },
        { name: tx('logType_', 5), type: 'bar', stack: 'r', data: timeline.map(([m, , err]) => [m, err]) },
      ],
    }),
    [timeline, f, t, tx],
  );

  const { unit, quotaPerUnit } = useGateway();
  const logCols = useMemo(() => logColumns(t, tx, { unit, quotaPerUnit }), [t, tx, unit, quotaPerUnit]);
  const ipCols = useMemo<Column<Ip>[]>(
    () => [
      { id: 'ip', accessorKey: 'ip', header: t('colIp') },
      { id: 'reqs', accessorKey: 'reqs', header: t('colReqs'), meta: { numeric: true } },
    ],
    [t],
  );
  const userCols = useMemo<Column<User>[]>(
    () => [
      {
        id: 'user_id',
        accessorKey: 'user_id',
        header: t('colUser'),
        cell: (c) => <EntityLabel kind="user" id={c.row.original.user_id} name={c.row.original.username} />,
      },
      { id: 'reqs', accessorKey: 'reqs', header: t('colReqs'), meta: { numeric: true } },
    ],
    [t],
  );
  const modelCols = useMemo<Column<Model>[]>(
    () => [
      { id: 'model_name', accessorKey: 'model_name', header: t('colModel') },
      { id: 'reqs', accessorKey: 'reqs', header: t('colReqs'), meta: { numeric: true } },
    ],
    [t],
  );
  const channelCols = useMemo<Column<Channel>[]>(
    () => [
      {
        id: 'channel_id',
        accessorKey: 'channel_id',
        header: t('colChannel'),
        cell: (c) => <EntityLabel kind="channel" id={c.row.original.channel_id} name={c.row.original.channel_name} />,
      },
      { id: 'reqs', accessorKey: 'reqs', header: t('colReqs'), meta: { numeric: true } },
    ],
    [t],
  );
  // Rows without an IP (new-api records one only for users who turned on IP logging) are said so, not listed blank.
  const ips = (d?.ips ?? []).filter((i) => i.ip !== '');
  const ipless = (d?.ips ?? []).filter((i) => i.ip === '').reduce((n, i) => n + i.reqs, 0);

  if (!valid) {
    return (
      <div className="page" data-testid="page-anomaly-detail">
        <Alert type="warning" showIcon message={t('detailMissing')} />
      </div>
    );
  }
  const base = `detail-${rule}-${subjectId}`.replace(/[^A-Za-z0-9_.-]/g, '_');
  return (
    <div className="page" data-testid="page-anomaly-detail">
      <Card size="small" className="toolbar">
        <Space wrap>
          <Link to={`/anomalies?rule=${rule}`}>← {t('back')}</Link>
          <Typography.Title level={4} style={{ margin: 0 }} data-testid="detail-subject">
            <Tag color="red">{tx('rule_', rule!)}</Tag>
            {subjectType || f?.subject_type} {subjectId} {f?.subject_name ? `(${f.subject_name})` : ''}
          </Typography.Title>
        </Space>
        <RangeBar spec={spec} range={range} onSpec={setSpec} quickRanges={DETAIL_RANGES} />
      </Card>
      <QueryState isLoading={detail.isLoading} error={detail.error} onRetry={() => detail.refetch()} minHeight={200}>
        {d && f && (
          <>
            <Card size="small" className="section" title={t('detailWhy')} data-testid="detail-why">
              <Descriptions size="small" column={{ xs: 1, sm: 2, lg: 3 }} bordered>
                <Descriptions.Item label={t('colScore')}>
                  <b data-testid="detail-score">{formatNumber(f.score, 2)}</b>
                </Descriptions.Item>
                <Descriptions.Item label={t('colThreshold')}>
                  <span data-testid="detail-threshold">{formatNumber(f.threshold, 2)}</span>
                </Descriptions.Item>
                <Descriptions.Item label={t('colBaseline')}>
                  <span data-testid="detail-baseline">
                    {f.baseline == null ? t('baselineNone') : formatNumber(f.baseline, 2)}
                  </span>
                </Descriptions.Item>
                <Descriptions.Item label={t('colWindow')}>
                  {f.window_sec ? formatDuration(f.window_sec) : '—'}
                </Descriptions.Item>
                <Descriptions.Item label={t('colWindows')}>{f.windows}</Descriptions.Item>
                <Descriptions.Item label={t('colFirst')}>{formatTime(f.first_window_start_ms, true)}</Descriptions.Item>
                <Descriptions.Item label={t('colLast')}>{formatTime(f.last_window_end_ms, true)}</Descriptions.Item>
              </Descriptions>
              <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
                <CodeText text={tx('ruleDesc_', rule!)} /> {t('detailRange')}: {formatTime(range.start)} –{' '}
                {formatTime(range.end)}
              </Typography.Paragraph>
            </Card>
            <Card size="small" className="section" title={t('detailTimeline')}>
              <QueryState
                isLoading={logs.isLoading && !!subject}
                error={logs.error}
                isEmpty={!subject || timeline.every(([, a, b]) => a + b === 0)}
                minHeight={240}
              >
                <Chart option={option} height={260} testId="detail-timeline" />
              </QueryState>
            </Card>
            <Card size="small" className="section" title={t('detailRequests')}>
              <DataTable columns={logCols} data={d.requests} csvName={`${base}-requests`} testId="detail-requests" />
            </Card>
            <Row gutter={[12, 12]}>
              <Col xs={24} lg={12}>
                <Card size="small" className="section" title={t('detailIps')}>
                  {ipless > 0 && (
                    <Alert
                      type="info"
                      showIcon
                      className="ipless"
                      data-testid="detail-ipless"
                      message={t('noIpLogged', { n: formatNumber(ipless) })}
                    />
                  )}
                  {ips.length > 0 && (
                    <DataTable columns={ipCols} data={ips} csvName={`${base}-ips`} pageSize={10} testId="detail-ips" />
                  )}
                </Card>
              </Col>
              <Col xs={24} lg={12}>
                <Card size="small" className="section" title={t('detailUsers')}>
                  <DataTable
                    columns={userCols}
                    data={d.users}
                    csvName={`${base}-users`}
                    pageSize={10}
                    testId="detail-users"
                  />
                </Card>
              </Col>
              <Col xs={24} lg={12}>
                <Card size="small" className="section" title={t('detailModels')}>
                  <DataTable
                    columns={modelCols}
                    data={d.models}
                    csvName={`${base}-models`}
                    pageSize={10}
                    testId="detail-models"
                  />
                </Card>
              </Col>
              <Col xs={24} lg={12}>
                <Card size="small" className="section" title={t('detailChannels')}>
                  <DataTable
                    columns={channelCols}
                    data={d.channels}
                    csvName={`${base}-channels`}
                    pageSize={10}
                    testId="detail-channels"
                  />
                </Card>
              </Col>
            </Row>
          </>
        )}
      </QueryState>
    </div>
  );
}
