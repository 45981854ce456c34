import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { runInNewContext } from 'node:vm';
import { CATALOG_SCRIPT } from '../../lib/admin/dashboard/dashboard.catalog';
import { eventTypeMatches, eventTypePatternProblem, MAX_PATTERN_WILDCARDS, wildcardMatches } from '../../lib/domain/event-type';
import { SubscriptionIndex } from '../../lib/domain/subscription-index';
import { InvalidSubscriptionError } from '../../lib/domain/webhook.error';
import { validateEventTypes } from '../../lib/subscriptions/subscription-validation';

/**
 * Issue 18.2: one subscription pattern froze every replica (`*` became `.*` in a backtracking RegExp). The matcher
 * is now linear-ish and agrees with a simple reference; runs of `*` and more than 8 stars are refused.
 */

/** The reference: `*` is any run of characters, by dynamic programming over (pattern index, text index). */
function reference(pattern: string, text: string): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (text.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === pattern.length) result = j === text.length;
    else if (pattern[i] === '*') result = go(i + 1, j) || (j < text.length && go(i, j + 1));
    else result = j < text.length && pattern[i] === text[j] && go(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}

/** The old matcher (a RegExp): safe only for few stars and short texts. */
function oldRegExp(pattern: string, text: string): boolean {
  return new RegExp('^' + pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&')).join('.*') + '$').test(text);
}

const text = fc.string({ unit: fc.constantFrom('a', 'b', '.'), maxLength: 14 });
const pattern = fc.string({ unit: fc.constantFrom('a', 'b', '.', '*', '*'), maxLength: 12 });
/** A text and a pattern made from it (some spans replaced by `*`), so that many pairs match. */
const derived = fc
  .tuple(fc.string({ unit: fc.constantFrom('a', 'b', '.'), minLength: 1, maxLength: 14 }), fc.array(fc.tuple(fc.nat(), fc.nat(3)), { maxLength: 4 }), text)
  .map(([source, cuts, other]) => {
    let p = source;
    for (const [at, length] of cuts) {
      const i = at % (p.length + 1);
      p = p.slice(0, i) + '*' + p.slice(i + length);
    }
    return { pattern: p, text: other.length % 3 === 0 ? other : source };
  });

/** Milliseconds `times` matches take; stops as soon as `budgetMs` is spent, so a slow matcher fails fast. */
function timeMatches(match: (pattern: string, text: string) => boolean, p: string, t: string, times: number, budgetMs: number): number {
  const start = performance.now();
  for (let i = 0; i < times; i++) {
    match(p, t);
    if (performance.now() - start > budgetMs) break;
  }
  return performance.now() - start;
}

/** The dashboard's copy of the matcher, taken from its script and run in a fresh context. */
function dashboardMatcher(): (pattern: string, text: string) => boolean {
  const start = CATALOG_SCRIPT.indexOf('function wildcardMatches(');
  const end = CATALOG_SCRIPT.indexOf('\n  }\n', start);
  expect(start).toBeGreaterThan(-1);
  expect(end).toBeGreaterThan(start);
  return runInNewContext(`(${CATALOG_SCRIPT.slice(start, end + 4)})`) as (pattern: string, text: string) => boolean;
}

describe('event type patterns: matching', () => {
  it('matches exact names, and * as any run of characters (also none)', () => {
    expect(eventTypeMatches(null, 'a.b')).toBe(true);
    expect(eventTypeMatches([], 'a.b')).toBe(false);
    expect(eventTypeMatches(['user.*'], 'user.created')).toBe(true);
    expect(eventTypeMatches(['user.*'], 'user.email.changed')).toBe(true);
    expect(eventTypeMatches(['user.*'], 'user.')).toBe(true);
    expect(eventTypeMatches(['user.*'], 'user')).toBe(false);
    expect(eventTypeMatches(['user.*'], 'xuser.created')).toBe(false);
    expect(eventTypeMatches(['*.created'], 'order.created')).toBe(true);
    expect(eventTypeMatches(['*.created'], 'order.created.late')).toBe(false);
    expect(eventTypeMatches(['a.*.c'], 'a.b.c')).toBe(true);
    expect(eventTypeMatches(['a.*.c'], 'a.c')).toBe(false);
    expect(eventTypeMatches(['a*b*c'], 'abc')).toBe(true);
    expect(eventTypeMatches(['a*b*c'], 'acb')).toBe(false);
    expect(eventTypeMatches(['ab*ba'], 'aba')).toBe(false);
    expect(eventTypeMatches(['ab*ba'], 'abba')).toBe(true);
    expect(eventTypeMatches(['x', '*'], 'anything')).toBe(true);
    // `.` is itself, not any character.
    expect(eventTypeMatches(['a.*'], 'ab.c')).toBe(false);
    expect(wildcardMatches('a.b', 'a.b')).toBe(true);
    expect(wildcardMatches('a.b', 'axb')).toBe(false);
  });

  it('agrees with a reference matcher on random patterns (property)', () => {
    fc.assert(
      fc.property(pattern, text, (p, t) => {
        expect(wildcardMatches(p, t)).toBe(reference(p, t));
        expect(eventTypeMatches([p], t)).toBe(reference(p, t));
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(derived, ({ pattern: p, text: t }) => {
        expect(wildcardMatches(p, t)).toBe(reference(p, t));
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with the old RegExp matcher where that one is quick (few stars, short texts)', () => {
    fc.assert(
      fc.property(pattern.filter((p) => p.split('*').length <= 5), text, (p, t) => {
        expect(wildcardMatches(p, t)).toBe(oldRegExp(p, t));
      }),
      { numRuns: 2000 },
    );
  });

  it('matches the pattern of the issue at once (1.5 s each with the old RegExp)', () => {
    const p = '*'.repeat(10) + 'Z';
    expect(eventTypeMatches([p], 'invoice.payment.succeeded')).toBe(false);
    // 1000 matches; stops at 50 ms (the old RegExp spends 1.5 s on the first).
    expect(timeMatches((a, b) => eventTypeMatches([a], b), p, 'invoice.payment.succeeded', 1000, 50)).toBeLessThan(50);
  });

  it('matches a 200-character type against a 200-character pattern of stars and letters in well under a millisecond', () => {
    const type = 'a'.repeat(200);
    // Within the rules: 8 stars, each piece found late or not at all (the worst case for a backtracking matcher).
    const pieces = ('*' + 'a'.repeat(22) + 'b').repeat(MAX_PATTERN_WILDCARDS) + 'a'.repeat(8);
    const tail = 'a' + '*a'.repeat(MAX_PATTERN_WILDCARDS) + 'a'.repeat(200 - 2 * MAX_PATTERN_WILDCARDS - 2) + 'Z';
    const hit = ('*' + 'a'.repeat(23)).repeat(MAX_PATTERN_WILDCARDS) + 'a'.repeat(8);
    for (const p of [pieces, tail, hit]) {
      expect(p).toHaveLength(200);
      expect(eventTypePatternProblem(p)).toBeNull();
      expect(wildcardMatches(p, type)).toBe(reference(p, type));
      expect(timeMatches(wildcardMatches, p, type, 1000, 50)).toBeLessThan(50);
    }
    expect(wildcardMatches(hit, type)).toBe(true);
  });

  it('matches old-style stored patterns of many stars (from before the rules) just as fast', () => {
    const cases: Array<[string, string]> = [
      ['*'.repeat(100) + 'a'.repeat(99) + 'Z', 'a'.repeat(200)],
      ['*a'.repeat(100), 'a'.repeat(199) + 'b'],
      ['*a'.repeat(100), 'a'.repeat(200)],
      ['*'.repeat(199) + 'Z', 'invoice.payment.succeeded'],
    ];
    for (const [p, t] of cases) {
      expect(eventTypePatternProblem(p)).not.toBeNull();
      expect(wildcardMatches(p, t)).toBe(reference(p, t));
      const ms = timeMatches(wildcardMatches, p, t, 1000, 50);
      expect(ms).toBeLessThan(50);
    }
  });

  it('matches old-style patterns in the subscription index without stalling', () => {
    const index = new SubscriptionIndex();
    index.set({ subscription_id: 'never', tenant_id: null, event_types: ['*'.repeat(60) + 'Z'] });
    index.set({ subscription_id: 'payments', tenant_id: null, event_types: ['*'.repeat(30) + 'payment' + '*'.repeat(30)] });
    index.set({ subscription_id: 'invoices', tenant_id: null, event_types: ['invoice.' + '*'.repeat(60)] });
    const start = performance.now();
    expect(index.match('invoice.payment.succeeded', null).map((s) => s.subscription_id).sort()).toEqual(['invoices', 'payments']);
    expect(index.match('user.created', null)).toEqual([]);
    expect(performance.now() - start).toBeLessThan(50);
  });
});

describe('event type patterns: the dashboard script matches the same way', () => {
  it('agrees with the module matcher on random patterns (property), without a RegExp', () => {
    const match = dashboardMatcher();
    expect(match.toString()).not.toMatch(/RegExp|\/\^/);
    fc.assert(
      fc.property(fc.oneof(fc.tuple(pattern, text), derived.map((d) => [d.pattern, d.text] as [string, string])), ([p, t]) => {
        expect(match(p, t)).toBe(wildcardMatches(p, t));
      }),
      { numRuns: 3000 },
    );
    expect(match('invoice.*', 'invoice.paid')).toBe(true);
    expect(match('ab*ba', 'aba')).toBe(false);
    expect(timeMatches(match, '*'.repeat(10) + 'Z', 'invoice.payment.succeeded', 1000, 50)).toBeLessThan(50);
    expect(timeMatches(match, '*a'.repeat(100), 'a'.repeat(199) + 'b', 1000, 50)).toBeLessThan(50);
  });
});

describe('event type patterns: the rules', () => {
  it('accepts names, single stars and up to 8 of them', () => {
    for (const p of ['invoice.paid', '*', 'user.*', '*.created', 'a.*.b.*', 'a*'.repeat(MAX_PATTERN_WILDCARDS)]) expect(eventTypePatternProblem(p)).toBeNull();
    expect(validateEventTypes(['user.*', 'a*'.repeat(8)])).toEqual(['user.*', 'a*'.repeat(8)]);
  });

  it('refuses a run of stars, naming the pattern and why', () => {
    expect(eventTypePatternProblem('a**b')).toBe(`"a**b" has consecutive '*'; one '*' already matches any run of characters`);
    expect(eventTypePatternProblem('**')).toMatch(/consecutive '\*'/);
    expect(eventTypePatternProblem('*'.repeat(10) + 'Z')).toMatch(/consecutive '\*'/);
  });

  it('refuses more than 8 stars, naming the count and the limit', () => {
    expect(eventTypePatternProblem('a*'.repeat(9))).toBe(`"${'a*'.repeat(9)}" has 9 '*' wildcards; a pattern may hold at most 8`);
  });

  it('is checked by validateEventTypes, which throws InvalidSubscriptionError naming event_types', () => {
    for (const [bad, why] of [
      ['a**b', /^event_types: "a\*\*b" has consecutive '\*'; one '\*' already matches any run of characters$/],
      ['*'.repeat(10) + 'Z', /consecutive/],
      ['x.*'.repeat(9), /has 9 '\*' wildcards; a pattern may hold at most 8/],
    ] as const) {
      let caught: unknown;
      try {
        validateEventTypes(['ok.*', bad]);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(InvalidSubscriptionError);
      expect((caught as InvalidSubscriptionError).field).toBe('event_types');
      expect((caught as Error).message).toMatch(why);
    }
  });
});
