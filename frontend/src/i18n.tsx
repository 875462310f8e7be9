// Chinese and English UI text, the language switch (default from the browser, remembered in local storage).
import { createContext, useContext, useMemo, useState, type ReactNode } from 'react';

const en = {
  appTitle: 'newapi-observer',
  navDashboard: 'Dashboard',
  navTop: 'Top',
  navHeatmap: 'Heatmap',
  navAnomalies: 'Anomalies',
  language: 'Language',
  apiToken: 'API token',
  tokenTitle: 'API token required',
  tokenMissing: 'This API requires a bearer token (API_TOKEN of newapi-exporter). Enter it to continue.',
  tokenWrong: 'The API refused the token: it is wrong or has changed. Enter the right API token.',
  tokenPlaceholder: 'API_TOKEN',
  tokenSave: 'Save and retry',
  tokenClear: 'Forget token',
  loading: 'Loading…',
  empty: 'No data in this range',
  errorTitle: 'The API answered with an error',
  retry: 'Retry',
  quick_1h: '1 h',
  quick_24h: '24 h',
  quick_7d: '7 d',
  quick_30d: '30 d',
  slot: 'Slot',
  slotAuto: 'auto',
  filterModel: 'Model',
  filterChannel: 'Channel',
  filterGroup: 'Group',
  refresh: 'Refresh',
  kpiRequests: 'Requests',
  kpiTokens: 'Tokens',
  kpiSpend: 'Spend (USD)',
  kpiErrorRatio: 'Error ratio',
  kpiActiveUsers: 'Active users',
  vsPrevious: 'vs previous period',
  spendNote: 'quota / {n} (QuotaPerUnit of this new-api)',
  traffic: 'Traffic',
  seriesReqs: 'requests',
  seriesTokens: 'tokens',
  seriesErrors: 'errors',
  buckets: 'Buckets',
  exportCsv: 'CSV',
  rows: 'rows',
  topTitle: 'Top',
  by_user: 'User',
  by_token: 'Token',
  by_model: 'Model',
  by_channel: 'Channel',
  metric_tokens: 'Tokens',
  metric_reqs: 'Requests',
  metric_quota_sum: 'Quota',
  metric_quota: 'Quota',
  metric_errors: 'Errors',
  colRank: '#',
  colSubject: 'Subject',
  colId: 'ID',
  colName: 'Name',
  colUser: 'User',
  colOwner: 'Owner',
  colReqs: 'Requests',
  colTokens: 'Tokens',
  colQuota: 'Quota',
  colErrors: 'Errors',
  colTime: 'Time',
  colType: 'Type',
  colModel: 'Model',
  colChannel: 'Channel',
  colGroup: 'Group',
  colPrompt: 'Prompt',
  colCompletion: 'Completion',
  colUseTime: 'Use time (s)',
  colFrt: 'First token (ms)',
  colIp: 'IP',
  colToken: 'Token',
  colStream: 'Stream',
  colWeekday: 'Weekday',
  colTotal: 'Total',
  topRowHint: 'Click a row for its recent requests',
  subjectRequests: 'Recent requests of',
  heatmapTitle: 'Weekday × hour',
  timezone: 'Time zone',
  anomaliesTitle: 'Anomalies',
  rule_burst: 'Burst',
  rule_multi_user_token: 'Shared key',
  rule_ip_many_users: 'IP farming users',
  rule_big_request: 'Big request',
  ruleDesc_burst: 'A token with at least `threshold` consume requests within any `window_sec` seconds.',
  ruleDesc_multi_user_token: 'A token used from at least `threshold` client IPs within a clock window.',
  ruleDesc_ip_many_users: 'An IP used by at least `threshold` users (consume, error, login) within a clock window.',
  ruleDesc_big_request: 'A request whose log(tokens) exceeds its model’s mean + `sigma` × stddev.',
  param_window_sec: 'Window (s)',
  param_threshold: 'Threshold',
  param_sigma: 'Sigma',
  paramsDefault: 'empty = the running rules',
  apply: 'Apply',
  reset: 'Reset',
  coverage: 'Coverage',
  coverageNote: 'share of recent traffic this rule can see (exporter gauge)',
  colScore: 'Score',
  colThreshold: 'Threshold',
  colWindow: 'Window',
  colWindows: 'Windows over',
  colFirst: 'First window',
  colLast: 'Last window end',
  hits: 'Hits',
  open: 'Open',
  detailTitle: 'Anomaly detail',
  detailMissing: 'This link lacks rule, subject_type or subject_id.',
  detailWhy: 'Why it fired',
  detailWhyText: 'score {score} against threshold {threshold}',
  detailWindow: 'window {window}, {windows} window(s) over the threshold, {first} – {last}',
  detailRange: 'Searched range',
  detailTimeline: 'Timeline (requests per minute)',
  detailRequests: 'Requests',
  detailIps: 'IPs',
  detailUsers: 'Users',
  detailModels: 'Models',
  detailChannels: 'Channels',
  firingWindow: 'firing window',
  back: 'Back to anomalies',
  subjectType: 'Subject type',
  logType_2: 'consume',
  logType_5: 'error',
  logType_7: 'login',
  logType_6: 'refund',
  rangePicker: 'Range',
  notFound: 'Page not found',
};

export type MessageKey = keyof typeof en;

const zh: Record<MessageKey, string> = {
  appTitle: 'newapi-observer',
  navDashboard: '总览',
  navTop: 'Top 排行',
  navHeatmap: '热力图',
  navAnomalies: '异常中心',
  language: '语言',
  apiToken: 'API 令牌',
  tokenTitle: '需要 API 令牌',
  tokenMissing: '此 API 需要 Bearer 令牌（newapi-exporter 的 API_TOKEN），请输入后继续。',
  tokenWrong: 'API 拒绝了该令牌：令牌错误或已更换，请输入正确的 API 令牌。',
  tokenPlaceholder: 'API_TOKEN',
  tokenSave: '保存并重试',
  tokenClear: '清除令牌',
  loading: '加载中…',
  empty: '此时间范围内没有数据',
  errorTitle: 'API 返回错误',
  retry: '重试',
  quick_1h: '1 小时',
  quick_24h: '24 小时',
  quick_7d: '7 天',
  quick_30d: '30 天',
  slot: '粒度',
  slotAuto: '自动',
  filterModel: '模型',
  filterChannel: '渠道',
  filterGroup: '分组',
  refresh: '刷新',
  kpiRequests: '请求数',
  kpiTokens: 'Tokens',
  kpiSpend: '消费（美元）',
  kpiErrorRatio: '错误率',
  kpiActiveUsers: '活跃用户',
  vsPrevious: '较上一周期',
  spendNote: 'quota / {n}（本 new-api 的 QuotaPerUnit）',
  traffic: '流量',
  seriesReqs: '请求',
  seriesTokens: 'tokens',
  seriesErrors: '错误',
  buckets: '时间桶',
  exportCsv: 'CSV',
  rows: '行',
  topTitle: 'Top 排行',
  by_user: '用户',
  by_token: '令牌',
  by_model: '模型',
  by_channel: '渠道',
  metric_tokens: 'Tokens',
  metric_reqs: '请求数',
  metric_quota_sum: '额度',
  metric_quota: '额度',
  metric_errors: '错误数',
  colRank: '#',
  colSubject: '对象',
  colId: 'ID',
  colName: '名称',
  colUser: '用户',
  colOwner: '所属用户',
  colReqs: '请求数',
  colTokens: 'Tokens',
  colQuota: '额度',
  colErrors: '错误数',
  colTime: '时间',
  colType: '类型',
  colModel: '模型',
  colChannel: '渠道',
  colGroup: '分组',
  colPrompt: '提示',
  colCompletion: '补全',
  colUseTime: '耗时（秒）',
  colFrt: '首字（毫秒）',
  colIp: 'IP',
  colToken: '令牌',
  colStream: '流式',
  colWeekday: '星期',
  colTotal: '合计',
  topRowHint: '点击一行查看其最近请求',
  subjectRequests: '最近请求：',
  heatmapTitle: '星期 × 小时',
  timezone: '时区',
  anomaliesTitle: '异常中心',
  rule_burst: '突发请求',
  rule_multi_user_token: '共享密钥',
  rule_ip_many_users: '单 IP 多用户',
  rule_big_request: '超大请求',
  ruleDesc_burst: '同一令牌在任意 `window_sec` 秒内的消费请求数不少于 `threshold`。',
  ruleDesc_multi_user_token: '同一令牌在一个时间窗内来自不少于 `threshold` 个客户端 IP。',
  ruleDesc_ip_many_users: '同一 IP 在一个时间窗内被不少于 `threshold` 个用户使用（消费、错误、登录）。',
  ruleDesc_big_request: '单次请求的 log(tokens) 超过该模型均值 + `sigma` × 标准差。',
  param_window_sec: '窗口（秒）',
  param_threshold: '阈值',
  param_sigma: 'Sigma',
  paramsDefault: '留空 = 当前规则',
  apply: '应用',
  reset: '重置',
  coverage: '覆盖率',
  coverageNote: '该规则可见的近期流量占比（exporter 指标）',
  colScore: '得分',
  colThreshold: '阈值',
  colWindow: '窗口',
  colWindows: '超限窗口数',
  colFirst: '首个窗口',
  colLast: '末个窗口结束',
  hits: '命中',
  open: '打开',
  detailTitle: '异常详情',
  detailMissing: '链接缺少 rule、subject_type 或 subject_id。',
  detailWhy: '触发原因',
  detailWhyText: '得分 {score}，阈值 {threshold}',
  detailWindow: '窗口 {window}，{windows} 个窗口超限，{first} – {last}',
  detailRange: '查询范围',
  detailTimeline: '时间线（每分钟请求数）',
  detailRequests: '请求明细',
  detailIps: 'IP',
  detailUsers: '用户',
  detailModels: '模型',
  detailChannels: '渠道',
  firingWindow: '触发窗口',
  back: '返回异常中心',
  subjectType: '对象类型',
  logType_2: '消费',
  logType_5: '错误',
  logType_7: '登录',
  logType_6: '退款',
  rangePicker: '时间范围',
  notFound: '页面不存在',
};

export type Lang = 'zh' | 'en';
export const MESSAGES: Record<Lang, Record<MessageKey, string>> = { en, zh };
const LANG_KEY = 'newapi-observer.lang';

export function defaultLang(stored: string | null, browser: readonly string[]): Lang {
  if (stored === 'zh' || stored === 'en') return stored;
  for (const l of browser) {
    if (l.toLowerCase().startsWith('zh')) return 'zh';
    if (l.toLowerCase().startsWith('en')) return 'en';
  }
  return 'en';
}

// A message with {name} placeholders filled in.
export function format(template: string, values: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => (k in values ? String(values[k]) : `{${k}}`));
}

interface I18n {
  lang: Lang;
  setLang: (l: Lang) => void;
  t: (key: MessageKey, values?: Record<string, string | number>) => string;
  // A key built at run time (rule_burst, by_user, ...), falling back to the raw value.
  tx: (prefix: string, value: string | number) => string;
}

const Ctx = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(() => {
    let stored: string | null = null;
    try {
      stored = window.localStorage.getItem(LANG_KEY);
    } catch {
      stored = null;
    }
    return defaultLang(stored, navigator.languages?.length ? navigator.languages : [navigator.language]);
  });
  const value = useMemo<I18n>(() => {
    const dict = MESSAGES[lang];
    return {
      lang,
      setLang: (l) => {
        window.localStorage.setItem(LANG_KEY, l);
        setLangState(l);
      },
      t: (key, values) => format(dict[key] ?? key, values),
      tx: (prefix, v) => (dict as Record<string, string>)[`${prefix}${v}`] ?? String(v),
    };
  }, [lang]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useI18n(): I18n {
  const v = useContext(Ctx);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}
