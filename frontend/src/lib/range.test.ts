// Tests of range resolution: alignment that keeps repeated views on one cache key, slots, previous period, URLs.
import { describe, expect, it } from 'vitest';
import {
  autoSlot,
  DAY,
  effectiveSlot,
  HOUR,
  MINUTE,
  parseRangeSpec,
  previousPeriod,
  rangeSpecParams,
  resolveRange,
  slotsFor,
} from './range';

const T0 = Date.UTC(2025, 4, 6, 10, 17, 23, 456); // 10:17:23.456

describe('resolveRange', () => {
  it('aligns a quick range to the minute, including the current minute', () => {
    const r = resolveRange({ quick: '24h' }, T0);
    expect(r.end).toBe(Date.UTC(2025, 4, 6, 10, 18));
    expect(r.end - r.start).toBe(DAY);
    expect(r.start % MINUTE).toBe(0);
  });

  it('gives the same range for every moment of one slot (so the API cache is hit)', () => {
    const a = resolveRange({ quick: '1h' }, T0, 300_000);
    const b = resolveRange({ quick: '1h' }, T0 + 90_000, 300_000);
    expect(a).toEqual(b);
    expect(a.end).toBe(Date.UTC(2025, 4, 6, 10, 20));
    expect(a.end - a.start).toBe(HOUR);
  });

  it('moves on at the next slot', () => {
    const a = resolveRange({ quick: '1h' }, Date.UTC(2025, 4, 6, 10, 19, 59, 999), 300_000);
    const b = resolveRange({ quick: '1h' }, Date.UTC(2025, 4, 6, 10, 20, 0, 0), 300_000);
    expect(b.end - a.end).toBe(300_000);
  });

  it('never aligns finer than a minute', () => {
    const r = resolveRange({ quick: '1h' }, T0, 1000);
    expect(r.end % MINUTE).toBe(0);
  });

  it('aligns absolute ranges outwards and keeps them non-empty', () => {
    const r = resolveRange({ start: T0, end: T0 + 5000 }, Date.now());
    expect(r.start).toBe(Date.UTC(2025, 4, 6, 10, 17));
    expect(r.end).toBe(Date.UTC(2025, 4, 6, 10, 18));
  });
});

describe('slots', () => {
  it('offers only slots giving at most 1500 buckets', () => {
    const month = { start: 0, end: 30 * DAY };
    expect(slotsFor(month)[0]).toBe(1800);
    expect(slotsFor({ start: 0, end: HOUR })).toContain(60);
  });
  it('picks a slot with at most 300 buckets automatically', () => {
    expect(autoSlot({ start: 0, end: HOUR })).toBe(60);
    expect(autoSlot({ start: 0, end: DAY })).toBe(300);
    expect(autoSlot({ start: 0, end: 7 * DAY })).toBe(3600);
    expect(autoSlot({ start: 0, end: 30 * DAY })).toBe(10800);
  });
  it('keeps a requested slot only when the range allows it', () => {
    expect(effectiveSlot({ start: 0, end: DAY }, 60)).toBe(60);
    expect(effectiveSlot({ start: 0, end: 30 * DAY }, 60)).toBe(10800);
    expect(effectiveSlot({ start: 0, end: DAY }, 123)).toBe(300);
  });
});

describe('previousPeriod', () => {
  it('is the same length, right before', () => {
    expect(previousPeriod({ start: 100, end: 160 })).toEqual({ start: 40, end: 100 });
  });
});

describe('URL', () => {
  it('reads quick and absolute ranges and falls back otherwise', () => {
    expect(parseRangeSpec(new URLSearchParams('range=7d'))).toEqual({ quick: '7d' });
    expect(parseRangeSpec(new URLSearchParams('start=1000&end=2000'))).toEqual({ start: 1000, end: 2000 });
    expect(parseRangeSpec(new URLSearchParams('start=3000&end=2000'), '1h')).toEqual({ quick: '1h' });
    expect(parseRangeSpec(new URLSearchParams('range=2y'))).toEqual({ quick: '24h' });
  });
  it('writes one form and removes the other', () => {
    expect(rangeSpecParams({ quick: '1h' })).toEqual({ range: '1h', start: undefined, end: undefined });
    expect(rangeSpecParams({ start: 1, end: 2 })).toEqual({ range: undefined, start: '1', end: '2' });
  });
});
