import { describe, expect, it } from '@jest/globals';
import { formatDuration, InvalidStatsWindowError, parseStatsWindow, windowStart } from '../../lib/observability/stats-window';

const H = 3_600_000;

describe('stats windows', () => {
  it('defaults to 24h in hourly buckets, and picks round buckets (at most 36) for other windows', () => {
    expect(parseStatsWindow()).toEqual({ window: '24h', bucket: '1h', window_ms: 24 * H, bucket_ms: H });
    expect(parseStatsWindow('1h').bucket).toBe('5m');
    expect(parseStatsWindow('6h').bucket).toBe('10m');
    expect(parseStatsWindow('7d').bucket).toBe('6h');
    expect(parseStatsWindow('30d').bucket).toBe('1d');
    expect(parseStatsWindow('35m').bucket).toBe('5m');
    expect(parseStatsWindow('50h').bucket).toBe('2h');
    // no round size divides 430m into at most 36: the smallest whole number of slices that does
    expect(parseStatsWindow('430m').bucket).toBe('215m');
    expect(parseStatsWindow('24h', '15m')).toEqual({ window: '24h', bucket: '15m', window_ms: 24 * H, bucket_ms: H / 4 });
  });

  it.each([
    ['abc', undefined, 'window', /duration such as 1h/],
    ['0h', undefined, 'window', /duration/],
    ['7m', undefined, 'window', /5-minute slices/],
    ['401d', undefined, 'window', /at most 400d/],
    ['24h', '7m', 'bucket', /5-minute slices/],
    ['24h', '7h', 'bucket', /divide the window/],
    ['24h', '2d', 'bucket', /divide the window/],
    ['30d', '5m', 'bucket', /at most 1000/],
    ['24h', '1 h', 'bucket', /duration such as/],
  ])('refuses window %s bucket %s, naming the field', (window, bucket, field, message) => {
    let error: unknown;
    try {
      parseStatsWindow(window, bucket);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidStatsWindowError);
    expect((error as InvalidStatsWindowError).field).toBe(field);
    expect((error as InvalidStatsWindowError).code).toBe('INVALID_STATS_WINDOW');
    expect((error as Error).message).toMatch(message);
  });

  it('ends the series with the current bucket, aligned to the bucket size', () => {
    const now = Date.parse('2031-05-06T07:08:09.123Z');
    expect(windowStart(parseStatsWindow('24h'), now).toISOString()).toBe('2031-05-05T08:00:00.000Z');
    expect(windowStart(parseStatsWindow('1h'), now).toISOString()).toBe('2031-05-06T06:10:00.000Z');
    expect(formatDuration(90 * 60_000)).toBe('90m');
    expect(formatDuration(48 * H)).toBe('2d');
  });
});
