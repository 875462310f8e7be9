// The range picker with quick ranges (1 h / 24 h / 7 d / 30 d), optional slot selection and usage filters (model,
// channel, group), all written to the URL.
import { AutoComplete, Button, DatePicker, Input, Segmented, Select, Space } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { useEffect, useState } from 'react';
import { useIsFetching, useQueryClient } from '@tanstack/react-query';
import { useI18n } from '../i18n';
import { useRole } from '../api/info';
import { QUICK_RANGES, slotsFor, type QuickRange, type RangeSpec, type TimeRange } from '../lib/range';
import { formatDuration } from '../lib/format';
import type { UsageFilters } from '../api/series';
import type { Patch } from '../lib/urlState';

export function RangeBar({
  spec,
  range,
  onSpec,
  slot,
  onSlot,
  quickRanges = Object.keys(QUICK_RANGES) as QuickRange[],
  children,
}: {
  spec: RangeSpec;
  range: TimeRange;
  onSpec: (s: RangeSpec) => void;
  slot?: number | 'auto';
  onSlot?: (s: number | 'auto') => void;
  quickRanges?: QuickRange[];
  children?: React.ReactNode;
}) {
  const { t } = useI18n();
  const client = useQueryClient();
  const fetching = useIsFetching();
  return (
    <Space wrap className="range-bar" data-testid="range-bar">
      <Segmented
        data-testid="quick-ranges"
        value={'quick' in spec ? spec.quick : ''}
        options={quickRanges.map((q) => ({ label: t(`quick_${q}` as 'quick_1h'), value: q }))}
        onChange={(v) => onSpec({ quick: v as QuickRange })}
      />
      <DatePicker.RangePicker
        showTime={{ format: 'HH:mm' }}
        format="YYYY-MM-DD HH:mm"
        aria-label={t('rangePicker')}
        value={[dayjs(range.start), dayjs(range.end)]}
        allowClear={false}
        onChange={(v) => {
          if (v && v[0] && v[1]) onSpec({ start: v[0].valueOf(), end: v[1].valueOf() });
        }}
      />
      {onSlot && (
        <Select
          data-testid="slot-select"
          style={{ minWidth: 110 }}
          value={slot ?? 'auto'}
          onChange={onSlot}
          options={[
            { value: 'auto', label: `${t('slot')}: ${t('slotAuto')}` },
            ...slotsFor(range).map((s) => ({ value: s, label: `${t('slot')}: ${formatDuration(s)}` })),
          ]}
        />
      )}
      {children}
      <Button
        icon={<ReloadOutlined spin={fetching > 0} />}
        aria-label={t('refresh')}
        onClick={() => client.invalidateQueries()}
      />
    </Space>
  );
}

// Model / channel / group / user / token filters; model and channel suggestions come from the range's Top lists.
export function FilterBar({
  filters,
  onPatch,
  models = [],
  channels = [],
}: {
  filters: UsageFilters;
  onPatch: (p: Patch) => void;
  models?: string[];
  channels?: { id: number; name: string }[];
}) {
  const { t } = useI18n();
  const analyst = useRole().atLeast('analyst'); // user and token filters are an analyst's
  const [group, setGroup] = useState(filters.group ?? '');
  const [model, setModel] = useState(filters.model ?? '');
  const [user, setUser] = useState(filters.user?.toString() ?? '');
  const [token, setToken] = useState(filters.token?.toString() ?? '');
  useEffect(() => setGroup(filters.group ?? ''), [filters.group]);
  useEffect(() => setUser(filters.user?.toString() ?? ''), [filters.user]);
  useEffect(() => setToken(filters.token?.toString() ?? ''), [filters.token]);
  // An id filter: digits only, applied on Enter or when leaving the field, cleared with the field.
  const idInput = (name: 'user' | 'token', value: string, set: (v: string) => void, placeholder: string) => (
    <Input
      style={{ width: 120 }}
      allowClear
      inputMode="numeric"
      data-testid={`filter-${name}`}
      placeholder={placeholder}
      value={value}
      onChange={(e) => {
        const v = e.target.value.replace(/\D/g, '');
        set(v);
        if (!v) onPatch({ [name]: undefined });
      }}
      onPressEnter={() => onPatch({ [name]: value || undefined })}
      onBlur={() => onPatch({ [name]: value || undefined })}
    />
  );
  useEffect(() => setModel(filters.model ?? ''), [filters.model]);
  return (
    <Space wrap className="filter-bar" data-testid="filter-bar">
      <AutoComplete
        style={{ minWidth: 180 }}
        value={model}
        placeholder={t('filterModel')}
        allowClear
        options={models.map((m) => ({ value: m }))}
        filterOption={(input, o) =>
          String(o?.value ?? '')
            .toLowerCase()
            .includes(input.toLowerCase())
        }
        onChange={(v) => setModel(v ?? '')}
        onSelect={(v: string) => onPatch({ model: v })}
        onBlur={() => onPatch({ model })}
        onClear={() => onPatch({ model: undefined })}
      />
      <Select
        style={{ minWidth: 160 }}
        allowClear
        showSearch
        placeholder={t('filterChannel')}
        value={filters.channel}
        optionFilterProp="label"
        options={channels.map((c) => ({ value: c.id, label: `${c.id} ${c.name}` }))}
        onChange={(v) => onPatch({ channel: v })}
      />
      <Input
        style={{ width: 140 }}
        allowClear
        placeholder={t('filterGroup')}
        value={group}
        onChange={(e) => {
          setGroup(e.target.value);
          if (!e.target.value) onPatch({ group: undefined });
        }}
        onPressEnter={() => onPatch({ group })}
        onBlur={() => onPatch({ group })}
      />
      {analyst && idInput('user', user, setUser, t('filterUser'))}
      {analyst && idInput('token', token, setToken, t('filterToken'))}
    </Space>
  );
}
