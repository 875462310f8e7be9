// Time ranges: quick ranges resolved against "now" and aligned to the slot (at least the minute) so repeated views
// form the same API query and hit its cache; bucket sizes the API accepts; the previous period for comparisons.
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export const QUICK_RANGES = { '1h': HOUR, '24h': DAY, '7d': 7 * DAY, '30d': 30 * DAY } as const;
export type QuickRange = keyof typeof QUICK_RANGES;
export const isQuickRange = (v: unknown): v is QuickRange => typeof v === 'string' && v in QUICK_RANGES;

// The API's bucket sizes (seconds) and its cap on buckets per series.
export const SLOT_SIZES = [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400] as const;
export const MAX_BUCKETS = 1500;

export interface TimeRange {
  start: number; // ms, inclusive
  end: number; // ms, exclusive
}

// What the URL says about time: a quick range or absolute start/end (ms).
export type RangeSpec = { quick: QuickRange } | { start: number; end: number };

export function alignDown(ms: number, step: number): number {
  return Math.floor(ms / step) * step;
}
export function alignUp(ms: number, step: number): number {
  return Math.ceil(ms / step) * step;
}

// A range resolved at `now` and aligned outwards to `alignMs` (minimum one minute): a quick range ends at the next
// boundary after now, so the current, partial bucket is included and the query is the same for the whole bucket.
export function resolveRange(spec: RangeSpec, now: number, alignMs = MINUTE): TimeRange {
  const step = Math.max(MINUTE, alignMs);
  if ('quick' in spec) {
    const end = alignUp(now + 1, step);
    return { start: end - alignUp(QUICK_RANGES[spec.quick], step), end };
  }
  return {
    start: alignDown(spec.start, step),
    end: Math.max(alignUp(spec.end, step), alignDown(spec.start, step) + step),
  };
}

export function previousPeriod(r: TimeRange): TimeRange {
  return { start: r.start - (r.end - r.start), end: r.start };
}

// Bucket sizes allowed for a range (at most MAX_BUCKETS buckets).
export function slotsFor(r: TimeRange): number[] {
  const seconds = (r.end - r.start) / 1000;
  return SLOT_SIZES.filter((s) => seconds / s <= MAX_BUCKETS);
}

// About 60-300 buckets: fine enough to see a burst, few enough to draw quickly.
export function autoSlot(r: TimeRange): number {
  const seconds = (r.end - r.start) / 1000;
  const preferred = SLOT_SIZES.find((s) => seconds / s <= 300);
  return preferred ?? SLOT_SIZES[SLOT_SIZES.length - 1];
}

// The slot to use: the requested one when the range allows it, else the automatic one.
export function effectiveSlot(r: TimeRange, requested?: number): number {
  if (requested && slotsFor(r).includes(requested)) return requested;
  return autoSlot(r);
}

// Range from URL parameters: ?range=24h, or ?start=..&end=.. (ms); the fallback otherwise.
export function parseRangeSpec(params: URLSearchParams, fallback: QuickRange = '24h'): RangeSpec {
  const quick = params.get('range');
  if (isQuickRange(quick)) return { quick };
  const start = Number(params.get('start'));
  const end = Number(params.get('end'));
  if (params.get('start') && params.get('end') && Number.isFinite(start) && Number.isFinite(end) && start < end) {
    return { start, end };
  }
  return { quick: fallback };
}

export function rangeSpecParams(spec: RangeSpec): Record<string, string | undefined> {
  if ('quick' in spec) return { range: spec.quick, start: undefined, end: undefined };
  return { range: undefined, start: String(spec.start), end: String(spec.end) };
}

// The browser's time zone, for bucket boundaries in local time.
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}
