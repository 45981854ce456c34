import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { GRANT_SHARE, nextTokenUs, rateBurst, tatAfter, tokensAvailable, type RateBucket } from '../../lib/domain/rate-limit';

/** Most grants in any half-open window [t, t + 1 s) of `times` (µs, sorted). */
function maxInWindow(times: number[]): number {
  let max = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[j] < times[i] - 999_999) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

/** Claims at `at` (µs, ascending), each wanting `want`; returns the start time of every granted request. */
function run(perSecond: number, claims: Array<{ at: number; want: number }>): number[] {
  const bucket: RateBucket = { per_second: perSecond, tat_us: 0 };
  const granted: number[] = [];
  for (const { at, want } of claims) {
    const n = tokensAvailable(bucket, at, want);
    bucket.tat_us = tatAfter(bucket, at, n);
    for (let i = 0; i < n; i++) granted.push(at);
  }
  return granted;
}

describe('rate limit (GCRA)', () => {
  it('grants at most 90% of per_second + burst - 1 in any one-second window, however claims come', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 300_000 }), want: fc.integer({ min: 0, max: 200 }) }), { minLength: 1, maxLength: 300 }),
        (perSecond, steps) => {
          let t = 1_000_000_000_000;
          const claims = steps.map((s) => ({ at: (t += s.gap), want: s.want }));
          expect(maxInWindow(run(perSecond, claims))).toBeLessThanOrEqual(Math.ceil(perSecond * GRANT_SHARE) + rateBurst(perSecond) - 1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('has no burst below 100/s, and one of at most 1% of the limit above', () => {
    expect(GRANT_SHARE).toBe(0.9);
    for (const perSecond of [1, 10, 50, 99]) expect(rateBurst(perSecond)).toBe(1);
    for (const perSecond of [100, 1000, 10_000]) expect(rateBurst(perSecond) - 1).toBeLessThanOrEqual(perSecond * 0.01);
  });

  it('reaches 90% of the limit when claims come at each next token, and says when that is', () => {
    const bucket: RateBucket = { per_second: 50, tat_us: 0 };
    let now = 5_000_000_000;
    let granted = 0;
    const end = now + 10_000_000;
    while (now < end) {
      const n = tokensAvailable(bucket, now, 100);
      bucket.tat_us = tatAfter(bucket, now, n);
      granted += n;
      const next = nextTokenUs(bucket, now);
      expect(next).toBeGreaterThan(now);
      expect(tokensAvailable(bucket, next - 1, 100)).toBe(0);
      expect(tokensAvailable(bucket, next, 100)).toBeGreaterThan(0);
      now = next;
    }
    expect(granted).toBeGreaterThanOrEqual(450);
    expect(granted).toBeLessThanOrEqual(452);
  });

  it('a fresh bucket grants a burst at once, then one per interval', () => {
    const bucket: RateBucket = { per_second: 400, tat_us: 0 };
    expect(rateBurst(400)).toBe(5);
    expect(tokensAvailable(bucket, 1_000_000, 100)).toBe(5);
    bucket.tat_us = tatAfter(bucket, 1_000_000, 5);
    expect(tokensAvailable(bucket, 1_000_000, 100)).toBe(0);
    expect(nextTokenUs(bucket, 1_000_000)).toBe(1_002_778);
    expect(tokensAvailable(bucket, 1_002_778, 100)).toBe(1);
    expect(tatAfter(bucket, 1_000_000, 0)).toBe(bucket.tat_us);
  });
});
