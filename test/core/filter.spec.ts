import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { filterProblem, matchesFilter, validateFilter, type FilterSubject, type WebhookFilter } from '../../lib/domain/filter';
import { FILTER_LIMITS } from '../../lib/domain/filter/webhook-filter';
import { InvalidSubscriptionError } from '../../lib/domain/webhook.error';

const subject = (payload: unknown, over: Partial<FilterSubject> = {}): FilterSubject => ({ event_type: 'invoice.paid', source: 'billing', tenant_id: 'acme', payload, ...over });
const matches = (filter: unknown, s: FilterSubject) => matchesFilter(validateFilter(filter)!, s);
const problemOf = (filter: unknown) => filterProblem(filter);

describe('filter grammar: evaluation', () => {
  const invoice = subject({ amount: 250, currency: 'EUR', customer: { country: 'DE', vip: true }, items: [{ sku: 'A-1' }, { sku: 'B-2' }], note: null });

  it('compares a field path with a bare value ($eq) and with each operator', () => {
    expect(matches({ 'payload.currency': 'EUR' }, invoice)).toBe(true);
    expect(matches({ 'payload.currency': 'USD' }, invoice)).toBe(false);
    expect(matches({ 'payload.amount': { $gte: 100 } }, invoice)).toBe(true);
    expect(matches({ 'payload.amount': { $gt: 250 } }, invoice)).toBe(false);
    expect(matches({ 'payload.amount': { $gt: 100, $lt: 300 } }, invoice)).toBe(true);
    expect(matches({ 'payload.amount': { $lte: 250 } }, invoice)).toBe(true);
    expect(matches({ 'payload.amount': { $lt: 250 } }, invoice)).toBe(false);
    expect(matches({ 'payload.amount': { $ne: 250 } }, invoice)).toBe(false);
    expect(matches({ 'payload.currency': { $in: ['USD', 'EUR'] } }, invoice)).toBe(true);
    expect(matches({ 'payload.currency': { $nin: ['USD', 'EUR'] } }, invoice)).toBe(false);
    expect(matches({ 'payload.customer.country': 'DE', 'payload.customer.vip': true }, invoice)).toBe(true);
    expect(matches({ event_type: 'invoice.paid', source: 'billing', tenant_id: 'acme' }, invoice)).toBe(true);
    expect(matches({ tenant_id: { $in: ['other'] } }, invoice)).toBe(false);
  });

  it('combines with $and, $or and $not', () => {
    const f = { 'payload.amount': { $gte: 100 }, $or: [{ 'payload.currency': 'USD' }, { 'payload.customer.vip': true }] };
    expect(matches(f, invoice)).toBe(true);
    expect(matches({ $and: [{ 'payload.amount': { $gte: 100 } }, { 'payload.currency': 'USD' }] }, invoice)).toBe(false);
    expect(matches({ $not: { 'payload.currency': 'EUR' } }, invoice)).toBe(false);
    expect(matches({ $not: { $or: [{ 'payload.currency': 'USD' }, { 'payload.amount': { $lt: 10 } }] } }, invoice)).toBe(true);
  });

  it('indexes arrays with canonical digit keys only', () => {
    expect(matches({ 'payload.items.1.sku': 'B-2' }, invoice)).toBe(true);
    expect(matches({ 'payload.items.01.sku': { $exists: true } }, invoice)).toBe(false);
    expect(matches({ 'payload.items.2.sku': { $exists: true } }, invoice)).toBe(false);
    expect(matches({ 'payload.items.length': { $exists: true } }, invoice)).toBe(false);
  });

  it('treats a missing field as absent: equal to nothing, $ne and $nin true, ordering false; null is present', () => {
    expect(matches({ 'payload.missing': { $exists: false } }, invoice)).toBe(true);
    expect(matches({ 'payload.note': { $exists: true } }, invoice)).toBe(true);
    expect(matches({ 'payload.note': null }, invoice)).toBe(true);
    expect(matches({ 'payload.missing': null }, invoice)).toBe(false);
    expect(matches({ 'payload.missing': { $ne: 1 } }, invoice)).toBe(true);
    expect(matches({ 'payload.missing': { $nin: [1] } }, invoice)).toBe(true);
    expect(matches({ 'payload.missing': { $gt: 0 } }, invoice)).toBe(false);
    expect(matches({ 'payload.amount.deeper': { $exists: false } }, invoice)).toBe(true);
  });

  it('orders numbers with numbers and strings with strings only', () => {
    expect(matches({ 'payload.amount': { $gt: '100' } }, invoice)).toBe(false);
    expect(matches({ 'payload.currency': { $gt: 'A' } }, invoice)).toBe(true);
    expect(matches({ 'payload.currency': { $gt: 1 } }, invoice)).toBe(false);
    expect(matches({ 'payload.customer': { $gt: 1 } }, invoice)).toBe(false);
  });

  it('reads own keys only: __proto__ and constructor are plain keys of the payload', () => {
    const withProto = subject(JSON.parse('{"__proto__": {"admin": true}, "a": 1}'));
    expect(matches({ 'payload.__proto__.admin': true }, withProto)).toBe(true);
    expect(matches({ 'payload.constructor': { $exists: true } }, withProto)).toBe(false);
    expect(matches({ 'payload.a.toString': { $exists: true } }, withProto)).toBe(false);
  });

  it('compares a scalar payload as a whole through the path payload', () => {
    expect(matches({ payload: 'ping' }, subject('ping'))).toBe(true);
    expect(matches({ payload: { $exists: true } }, subject(null))).toBe(true);
  });
});

describe('filter grammar: validation', () => {
  const cases: Array<[unknown, string]> = [
    [{ $and: [{ 'payload.a': 1 }, { 'payload.amount': { $gt: true } }] }, 'filter.$and[1].payload.amount.$gt: must be a number or a string (got true)'],
    [{ amount: 1 }, 'filter.amount: is not a field'],
    [{ 'source.x': 1 }, 'filter.source.x: source is a string'],
    [{ 'payload..a': 1 }, 'filter.payload..a: has an empty key'],
    [{ $where: 'x' }, 'filter.$where: is not a combinator'],
    [{ 'payload.a': { $regex: '.*' } }, 'filter.payload.a.$regex: is not an operator'],
    [{ 'payload.a': { nested: 1 } }, 'filter.payload.a.nested: nested objects are not compared'],
    [{ 'payload.a': [1, 2] }, 'filter.payload.a: an array cannot be compared'],
    [{ 'payload.a': { $in: [] } }, 'filter.payload.a.$in: must be a non-empty array'],
    [{ 'payload.a': { $in: [1, {}] } }, 'filter.payload.a.$in[1]: must be a string, number, boolean or null (got an object)'],
    [{ 'payload.a': { $exists: 'yes' } }, 'filter.payload.a.$exists: must be true or false'],
    [{ 'payload.a': { $eq: [1] } }, 'filter.payload.a.$eq: must be a string, number, boolean or null (got an array)'],
    [{ 'payload.a': {} }, 'filter.payload.a: must hold at least one operator'],
    [{ $or: [] }, 'filter.$or: must be a non-empty array of filters'],
    [{ $not: [] }, 'filter.$not: must be an object'],
    [{}, 'filter: must hold at least one condition'],
    [[], 'filter: must be an object'],
    ['payload.a == 1', 'filter: must be an object'],
    [{ 'payload.a': Number.POSITIVE_INFINITY }, 'filter.payload.a: must be a string, number, boolean, null or an object of operators (got Infinity)'],
    [{ 'payload.a': new Date(0) }, 'filter.payload.a: must be a string, number, boolean, null or an object of operators (got a Date)'],
    [{ 'payload.a': undefined }, 'filter.payload.a: must be a string, number, boolean, null or an object of operators (got nothing)'],
  ];

  it.each(cases)('%j is refused: %s', (filter, message) => {
    const problem = problemOf(filter)!;
    expect(problem).not.toBeNull();
    expect(`${problem.path}: ${problem.message}`).toContain(message);
    expect(() => validateFilter(filter)).toThrow(InvalidSubscriptionError);
  });

  it('throws an InvalidSubscriptionError naming the filter field and the path', () => {
    try {
      validateFilter({ $and: [{ 'payload.a': 1 }, { 'payload.amount': { $gt: true } }] });
      throw new Error('not thrown');
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidSubscriptionError);
      expect((err as InvalidSubscriptionError).field).toBe('filter');
      expect((err as Error).message).toBe('filter.$and[1].payload.amount.$gt: must be a number or a string (got true)');
    }
  });

  it('null and undefined mean no filter; a valid filter comes back as a plain copy', () => {
    expect(validateFilter(null)).toBeNull();
    expect(validateFilter(undefined)).toBeNull();
    const f = { 'payload.a': { $in: [1, 'x', null, true] } };
    const copy = validateFilter(f);
    expect(copy).toEqual(f);
    expect(copy).not.toBe(f);
  });

  it('bounds depth', () => {
    let deep: WebhookFilter = { 'payload.a': 1 };
    for (let i = 0; i < FILTER_LIMITS.max_depth; i++) deep = { $not: deep };
    expect(problemOf(deep)?.message).toContain('nests deeper than');
    let ok: WebhookFilter = { 'payload.a': 1 };
    for (let i = 0; i < FILTER_LIMITS.max_depth - 2; i++) ok = { $not: ok };
    expect(problemOf(ok)).toBeNull();
  });

  it('bounds the number of conditions and values', () => {
    const values = Array.from({ length: FILTER_LIMITS.max_nodes }, (_, i) => i);
    expect(problemOf({ 'payload.a': { $in: values } })?.message).toContain(`more than ${FILTER_LIMITS.max_nodes}`);
    expect(problemOf({ 'payload.a': { $in: values.slice(0, FILTER_LIMITS.max_nodes - 2) } })).toBeNull();
  });

  it('bounds the serialized size', () => {
    expect(problemOf({ 'payload.a': 'x'.repeat(FILTER_LIMITS.max_bytes) })?.message).toContain('bytes once serialized');
  });

  it('bounds path length', () => {
    const long = ['payload', ...Array.from({ length: FILTER_LIMITS.max_path_keys + 1 }, () => 'k')].join('.');
    expect(problemOf({ [long]: 1 })?.message).toContain('keys after payload');
  });

  it('refuses a cycle or an enormous object quickly, and an accessor that throws', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.$not = cyclic;
    expect(problemOf(cyclic)?.message).toContain('nests deeper');
    const huge: Record<string, number> = {};
    for (let i = 0; i < 100_000; i++) huge[`payload.k${i}`] = i;
    const started = Date.now();
    expect(problemOf(huge)?.message).toContain('more than');
    expect(Date.now() - started).toBeLessThan(1000);
    const trap = Object.defineProperty({}, 'payload.a', { enumerable: true, get: () => { throw new Error('boom'); } });
    expect(problemOf(trap)?.message).toBe('must be plain JSON data');
  });
});

// Property tests -------------------------------------------------------------------------------------------

/** Keys that make paths hit payloads often, plus the tricky ones. */
const key = fc.oneof(fc.constantFrom('a', 'b', 'amount', '0', '1', '__proto__', 'constructor', 'length', 'toString'), fc.string({ minLength: 1, maxLength: 6 }).filter((k) => !k.includes('.')));
const scalar = fc.oneof(fc.string({ maxLength: 8 }), fc.integer({ min: -5, max: 5 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
const path = fc.oneof(
  fc.constantFrom('event_type', 'source', 'tenant_id', 'payload'),
  fc.array(key, { minLength: 1, maxLength: 3 }).map((keys) => ['payload', ...keys].join('.')),
);
const ordered = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.string({ maxLength: 4 }));
const operators = fc
  .record(
    {
      $eq: scalar,
      $ne: scalar,
      $gt: ordered,
      $gte: ordered,
      $lt: ordered,
      $lte: ordered,
      $in: fc.array(scalar, { minLength: 1, maxLength: 4 }),
      $nin: fc.array(scalar, { minLength: 1, maxLength: 4 }),
      $exists: fc.boolean(),
    },
    { requiredKeys: [] },
  )
  .filter((o) => Object.keys(o).length > 0);
const { filter: validFilter } = fc.letrec<{ filter: WebhookFilter }>((tie) => ({
  filter: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.dictionary(path, fc.oneof(scalar, operators), { minKeys: 1, maxKeys: 3 }) as fc.Arbitrary<WebhookFilter>,
    fc.record({ $and: fc.array(tie('filter'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ $or: fc.array(tie('filter'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ $not: tie('filter') }),
  ),
}));
const { payload: structuredPayload } = fc.letrec<{ payload: unknown }>((tie) => ({
  payload: fc.oneof(
    { depthSize: 'small' },
    scalar,
    fc.array(tie('payload'), { maxLength: 3 }),
    fc.dictionary(key, tie('payload'), { maxKeys: 4 }),
  ),
}));
/**
 * Filters of the grammar's shape with any JSON where operands and sub-filters go, and operator and combinator
 * names in every place: what a careless or hostile client might send.
 */
const looseOperators = fc.dictionary(fc.constantFrom('$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists', '$and', 'x'), fc.jsonValue(), { minKeys: 1, maxKeys: 3 });
const { loose: looseFilter } = fc.letrec<{ loose: unknown }>((tie) => ({
  loose: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.dictionary(fc.oneof(path, fc.constantFrom('$and', '$or', '$not', '$in')), fc.oneof(scalar, looseOperators, fc.jsonValue(), tie('loose'), fc.array(tie('loose'), { maxLength: 3 })), { minKeys: 1, maxKeys: 3 }),
    fc.dictionary(fc.constantFrom('$and', '$or', '$not'), fc.oneof(tie('loose'), fc.array(tie('loose'), { maxLength: 3 }), fc.jsonValue()), { minKeys: 1, maxKeys: 2 }),
    fc.jsonValue(),
  ),
}));
/** Any JSON value as it arrives (JSON.parse makes "__proto__" an own key). */
const jsonPayload = fc.oneof(structuredPayload, fc.jsonValue()).map((v) => JSON.parse(JSON.stringify(v ?? null)) as unknown);
const anySubject = fc.record({
  event_type: fc.string({ maxLength: 8 }),
  source: fc.option(fc.string({ maxLength: 8 })),
  tenant_id: fc.option(fc.string({ maxLength: 8 })),
  payload: jsonPayload,
});

describe('filter grammar: properties (fast-check)', () => {
  it('every filter the grammar generates validates, and evaluates to a boolean without throwing on any JSON payload', () => {
    fc.assert(
      fc.property(validFilter, fc.array(anySubject, { minLength: 1, maxLength: 5 }), (filter, subjects) => {
        const problem = filterProblem(filter);
        if (problem && !problem.message.includes('deeper') && !problem.message.includes('more than')) throw new Error(`refused: ${problem.path}: ${problem.message}`);
        if (problem) return;
        const valid = validateFilter(filter)!;
        for (const s of subjects) expect(typeof matchesFilter(valid, s)).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });

  it('whatever JSON comes as a filter, validation either refuses it or evaluation never throws', () => {
    fc.assert(
      fc.property(fc.oneof(looseFilter, validFilter), fc.array(anySubject, { minLength: 1, maxLength: 4 }), (candidate, subjects) => {
        if (filterProblem(candidate)) return;
        const valid = validateFilter(candidate)!;
        for (const s of subjects) expect(typeof matchesFilter(valid, s)).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('validation never throws anything but InvalidSubscriptionError, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true }), (candidate) => {
        try {
          validateFilter(candidate);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidSubscriptionError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('$not inverts, $nin is not-$in, $ne is not-$eq, and a bare value is $eq', () => {
    fc.assert(
      fc.property(validFilter.filter((f) => filterProblem({ $not: f }) === null), path, scalar, fc.array(scalar, { minLength: 1, maxLength: 3 }), anySubject, (f, p, v, list, s) => {
        expect(matchesFilter({ $not: f }, s)).toBe(!matchesFilter(f, s));
        expect(matchesFilter({ [p]: { $nin: list } }, s)).toBe(!matchesFilter({ [p]: { $in: list } }, s));
        expect(matchesFilter({ [p]: { $ne: v } }, s)).toBe(!matchesFilter({ [p]: { $eq: v } }, s));
        expect(matchesFilter({ [p]: v }, s)).toBe(matchesFilter({ [p]: { $eq: v } }, s));
      }),
      { numRuns: 500 },
    );
  });
});
