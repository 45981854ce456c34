import { describe, expect, it } from '@jest/globals';
import { FailureWarnings, failuresAtLevel } from '../../lib/subscriptions/failure-warnings';

describe('FailureWarnings (early warnings of a failing endpoint)', () => {
  it('reports 50% and 90% of the threshold once each per run', () => {
    const w = new FailureWarnings();
    const seen = [];
    for (let failures = 1; failures < 50; failures++) seen.push(...w.reached('s', 0, failures, 50).map((level) => [failures, level]));
    expect(seen).toEqual([
      [25, 50],
      [45, 90],
    ]);
  });

  it('does not report a level twice when counts arrive out of order', () => {
    const w = new FailureWarnings();
    expect(w.reached('s', 0, 26, 50)).toEqual([50]);
    expect(w.reached('s', 0, 24, 50)).toEqual([]);
    expect(w.reached('s', 0, 25, 50)).toEqual([]);
  });

  it('reports both levels when one count passes both', () => {
    expect(new FailureWarnings().reached('s', 0, 46, 50)).toEqual([50, 90]);
  });

  it('starts afresh in the run after a success, and keeps endpoints apart', () => {
    const w = new FailureWarnings();
    expect(w.reached('s', 0, 25, 50)).toEqual([50]);
    expect(w.reached('other', 0, 25, 50)).toEqual([50]);
    const afterSuccess = Date.parse('2031-01-01T00:00:00Z');
    expect(w.reached('s', afterSuccess, 3, 50)).toEqual([]);
    expect(w.reached('s', afterSuccess, 25, 50)).toEqual([50]);
    w.forget('s');
    expect(w.reached('s', afterSuccess, 25, 50)).toEqual([50]);
  });

  it('skips levels that fall on the threshold, where the endpoint is disabled instead', () => {
    expect(failuresAtLevel(50, 1)).toBe(1);
    expect(new FailureWarnings().reached('s', 0, 1, 1)).toEqual([]);
    expect(new FailureWarnings().reached('s', 0, 1, 2)).toEqual([50]);
    const w = new FailureWarnings();
    expect([1, 2, 3, 4].flatMap((n) => w.reached('s', 0, n, 4))).toEqual([50]);
    expect(failuresAtLevel(90, 10)).toBe(9);
  });
});
