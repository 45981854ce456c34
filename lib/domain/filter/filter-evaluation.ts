import type { FilterCondition, FilterOperators, FilterScalar, FilterSubject, WebhookFilter } from './webhook-filter';

type Test = (subject: FilterSubject) => boolean;
type ValueTest = (value: unknown) => boolean;
type Getter = (subject: FilterSubject) => unknown;

/** Filters compiled once per filter object (a subscription cache snapshot keeps its objects, so once per snapshot). */
const compiled = new WeakMap<WebhookFilter, Test>();

/** A canonical array index: `0`, `12`, never `01` or `-1`. */
const INDEX = /^(?:0|[1-9][0-9]*)$/;

/**
 * Whether `subject` passes `filter`, which must have been validated (`validateFilter`). Pure and bounded: the
 * cost is linear in the filter's size (bounded by `FILTER_LIMITS`) times its path lengths, whatever the payload.
 * Missing fields are `undefined`: they equal nothing, satisfy `$ne`/`$nin`, and fail every other operator.
 */
export function matchesFilter(filter: WebhookFilter, subject: FilterSubject): boolean {
  let test = compiled.get(filter);
  if (!test) compiled.set(filter, (test = compileFilter(filter)));
  return test(subject);
}

function compileFilter(filter: WebhookFilter): Test {
  const tests = Object.keys(filter).map((key): Test => {
    const value = filter[key];
    if (key === '$and') {
      const parts = (value as WebhookFilter[]).map(compileFilter);
      return (s) => parts.every((t) => t(s));
    }
    if (key === '$or') {
      const parts = (value as WebhookFilter[]).map(compileFilter);
      return (s) => parts.some((t) => t(s));
    }
    if (key === '$not') {
      const inner = compileFilter(value as WebhookFilter);
      return (s) => !inner(s);
    }
    const get = compilePath(key);
    const check = compileCondition(value as FilterCondition);
    return (s) => check(get(s));
  });
  return tests.length === 1 ? tests[0] : (s) => tests.every((t) => t(s));
}

function compilePath(path: string): Getter {
  const [root, ...keys] = path.split('.');
  const top: Getter =
    root === 'payload' ? (s) => s.payload : root === 'event_type' ? (s) => s.event_type : root === 'source' ? (s) => s.source : (s) => s.tenant_id;
  if (keys.length === 0) return top;
  const steps = keys.map((key) => ({ key, index: INDEX.test(key) ? Number(key) : -1 }));
  return (s) => {
    let v = top(s);
    for (const step of steps) {
      if (Array.isArray(v)) v = step.index >= 0 && step.index < v.length ? (v[step.index] as unknown) : undefined;
      else if (v !== null && typeof v === 'object' && Object.prototype.hasOwnProperty.call(v, step.key)) v = (v as Record<string, unknown>)[step.key];
      else return undefined;
    }
    return v;
  };
}

function compileCondition(condition: FilterCondition): ValueTest {
  if (condition === null || typeof condition !== 'object') return (v) => v === condition;
  const tests = Object.keys(condition).map((op) => compileOperator(op, (condition as Record<string, unknown>)[op]));
  return tests.length === 1 ? tests[0] : (v) => tests.every((t) => t(v));
}

function compileOperator(op: string, operand: unknown): ValueTest {
  switch (op as keyof FilterOperators) {
    case '$eq':
      return (v) => v === operand;
    case '$ne':
      return (v) => v !== operand;
    case '$in': {
      const set = new Set(operand as FilterScalar[]);
      return (v) => set.has(v as FilterScalar);
    }
    case '$nin': {
      const set = new Set(operand as FilterScalar[]);
      return (v) => !set.has(v as FilterScalar);
    }
    case '$exists':
      return operand ? (v) => v !== undefined : (v) => v === undefined;
    default:
      return ordered(op, operand as number | string);
  }
}

/** `$gt $gte $lt $lte`: numbers against numbers, strings against strings; any other pair is false. */
function ordered(op: string, operand: number | string): ValueTest {
  const type = typeof operand;
  const cmp =
    op === '$gt' ? (v: number | string) => v > operand : op === '$gte' ? (v: number | string) => v >= operand : op === '$lt' ? (v: number | string) => v < operand : (v: number | string) => v <= operand;
  return (v) => typeof v === type && cmp(v as number | string);
}
