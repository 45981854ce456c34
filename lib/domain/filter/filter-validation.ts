import { InvalidSubscriptionError } from '../webhook.error';
import { FILTER_COMBINATORS, FILTER_LIMITS, FILTER_OPERATORS, FILTER_ROOT_FIELDS, type WebhookFilter } from './webhook-filter';

/** The first thing wrong with a filter: where (`filter.$and[1].payload.amount.$gt`) and what. */
export interface FilterProblem {
  path: string;
  message: string;
}

/** Keys of a payload path: anything but an empty key (a `.` always separates keys). */
const PATH_KEY = /^[^.]+$/;

class Walk {
  nodes = 0;
  problem: FilterProblem | null = null;

  fail(path: string, message: string): false {
    this.problem ??= { path, message };
    return false;
  }

  /** Counts one node; false (with the problem noted) past the bound. */
  count(path: string): boolean {
    return ++this.nodes <= FILTER_LIMITS.max_nodes || this.fail(path, `the filter has more than ${FILTER_LIMITS.max_nodes} conditions and values: split it or simplify it`);
  }
}

/**
 * What is wrong with `value` as a {@link WebhookFilter}, or null when it is valid. Checks the grammar and the
 * bounds ({@link FILTER_LIMITS}); every filter it accepts evaluates without throwing on any JSON payload.
 */
export function filterProblem(value: unknown, root = 'filter'): FilterProblem | null {
  const walk = new Walk();
  try {
    // The walk is bounded by depth and node count, so a cycle or a huge object is refused quickly.
    if (!filterObject(walk, value, root, 1)) return walk.problem;
  } catch {
    // An accessor that throws, a proxy: not the plain JSON a filter is.
    return { path: root, message: 'must be plain JSON data' };
  }
  const bytes = Buffer.byteLength(JSON.stringify(value));
  return bytes > FILTER_LIMITS.max_bytes ? { path: root, message: `is ${bytes} bytes once serialized, over ${FILTER_LIMITS.max_bytes}: simplify it` } : null;
}

/**
 * A valid filter as a fresh plain JSON copy, or null for `null`/`undefined` (no filter). Throws
 * {@link InvalidSubscriptionError} naming the bad part, e.g. `filter.$and[1].payload.amount.$gt: must be a
 * number or a string (got true)`.
 */
export function validateFilter(value: unknown): WebhookFilter | null {
  if (value === undefined || value === null) return null;
  const problem = filterProblem(value);
  if (problem) throw new InvalidSubscriptionError(`${problem.path}: ${problem.message}`, 'filter');
  // JSON.parse makes own data properties even for keys such as "__proto__".
  return JSON.parse(JSON.stringify(value)) as WebhookFilter;
}

function filterObject(walk: Walk, value: unknown, path: string, depth: number): boolean {
  if (depth > FILTER_LIMITS.max_depth) return walk.fail(path, `nests deeper than ${FILTER_LIMITS.max_depth} levels: flatten it`);
  if (!isPlainObject(value)) return walk.fail(path, `must be an object of field paths and $and/$or/$not (got ${describe(value)})`);
  const keys = Object.keys(value);
  if (keys.length === 0) return walk.fail(path, 'must hold at least one condition (use null for no filter)');
  for (const key of keys) {
    const at = `${path}.${key}`;
    if (!walk.count(at)) return false;
    const v = (value as Record<string, unknown>)[key];
    if (key.startsWith('$')) {
      if (!FILTER_COMBINATORS.includes(key)) {
        return walk.fail(at, `is not a combinator: use $and, $or or $not here, or put ${key} inside a field's condition`);
      }
      if (key === '$not') {
        if (!filterObject(walk, v, at, depth + 1)) return false;
      } else if (!filterList(walk, v, at, depth + 1)) return false;
    } else if (!fieldPath(walk, key, at) || !condition(walk, v, at, depth + 1)) return false;
  }
  return true;
}

function filterList(walk: Walk, value: unknown, path: string, depth: number): boolean {
  if (!Array.isArray(value) || value.length === 0) return walk.fail(path, `must be a non-empty array of filters (got ${describe(value)})`);
  if (depth > FILTER_LIMITS.max_depth) return walk.fail(path, `nests deeper than ${FILTER_LIMITS.max_depth} levels: flatten it`);
  for (let i = 0; i < value.length; i++) if (!filterObject(walk, value[i], `${path}[${i}]`, depth + 1)) return false;
  return true;
}

function fieldPath(walk: Walk, key: string, path: string): boolean {
  const parts = key.split('.');
  if (!FILTER_ROOT_FIELDS.includes(parts[0])) {
    return walk.fail(path, `is not a field: paths start with ${FILTER_ROOT_FIELDS.join(', ')} (payload fields as payload.amount)`);
  }
  if (parts.length > 1 && parts[0] !== 'payload') return walk.fail(path, `${parts[0]} is a string: only payload has nested fields`);
  if (parts.length - 1 > FILTER_LIMITS.max_path_keys) return walk.fail(path, `has more than ${FILTER_LIMITS.max_path_keys} keys after payload`);
  if (!parts.every((p) => PATH_KEY.test(p))) return walk.fail(path, 'has an empty key: separate keys with single dots (payload.a.b)');
  return true;
}

function condition(walk: Walk, value: unknown, path: string, depth: number): boolean {
  if (isScalar(value)) return true;
  if (Array.isArray(value)) return walk.fail(path, 'an array cannot be compared: use {"$in": [...]} to match one of several values');
  if (!isPlainObject(value)) return walk.fail(path, `must be a string, number, boolean, null or an object of operators (got ${describe(value)})`);
  if (depth > FILTER_LIMITS.max_depth) return walk.fail(path, `nests deeper than ${FILTER_LIMITS.max_depth} levels: flatten it`);
  const keys = Object.keys(value);
  if (keys.length === 0) return walk.fail(path, 'must hold at least one operator ($eq, $gt, $in, ...)');
  for (const op of keys) {
    const at = `${path}.${op}`;
    if (!walk.count(at)) return false;
    const operand = (value as Record<string, unknown>)[op];
    if (!FILTER_OPERATORS.includes(op)) {
      return walk.fail(at, op.startsWith('$') ? `is not an operator: use one of ${FILTER_OPERATORS.join(' ')}` : 'nested objects are not compared: address nested fields with a dot path (payload.a.b)');
    }
    if (!operandOk(walk, op, operand, at)) return false;
  }
  return true;
}

function operandOk(walk: Walk, op: string, operand: unknown, path: string): boolean {
  switch (op) {
    case '$eq':
    case '$ne':
      return isScalar(operand) || walk.fail(path, `must be a string, number, boolean or null (got ${describe(operand)})`);
    case '$in':
    case '$nin':
      if (!Array.isArray(operand) || operand.length === 0) return walk.fail(path, `must be a non-empty array of strings, numbers, booleans or nulls (got ${describe(operand)})`);
      for (let i = 0; i < operand.length; i++) {
        if (!walk.count(`${path}[${i}]`)) return false;
        if (!isScalar(operand[i])) return walk.fail(`${path}[${i}]`, `must be a string, number, boolean or null (got ${describe(operand[i])})`);
      }
      return true;
    case '$exists':
      return typeof operand === 'boolean' || walk.fail(path, `must be true or false (got ${describe(operand)})`);
    default:
      return (typeof operand === 'string' || isFiniteNumber(operand)) || walk.fail(path, `must be a number or a string (got ${describe(operand)})`);
  }
}

function isScalar(v: unknown): boolean {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || isFiniteNumber(v);
}

function isFiniteNumber(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint' || typeof v === 'symbol' || typeof v === 'function') return typeof v;
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object' && v !== null) return isPlainObject(v) ? 'an object' : `a ${(v.constructor as { name?: string } | undefined)?.name ?? 'non-plain object'}`;
  const text = JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
