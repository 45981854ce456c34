/** A JSON scalar that a filter compares a field with. */
export type FilterScalar = string | number | boolean | null;

/** The operators of one field condition; several in one object must all hold. */
export interface FilterOperators {
  /** Equal (same type and value). */
  $eq?: FilterScalar;
  /** Not equal; also true when the field is missing. */
  $ne?: FilterScalar;
  /** Greater than: numbers with numbers, strings with strings (by UTF-16 code units); false otherwise. */
  $gt?: number | string;
  /** Greater than or equal (compared like `$gt`). */
  $gte?: number | string;
  /** Less than (compared like `$gt`). */
  $lt?: number | string;
  /** Less than or equal (compared like `$gt`). */
  $lte?: number | string;
  /** Equal to one of the values. */
  $in?: FilterScalar[];
  /** Equal to none of the values; also true when the field is missing. */
  $nin?: FilterScalar[];
  /** The field is present (`true`, also when it is null) or absent (`false`). */
  $exists?: boolean;
}

/** What a field path maps to: a scalar (shorthand for `$eq`) or an object of operators. */
export type FilterCondition = FilterScalar | FilterOperators;

/**
 * A subscription's payload filter, evaluated at dispatch against `{ event_type, source, tenant_id, payload }`.
 * Every key of an object must hold: a field path (`event_type`, `source`, `tenant_id`, `payload` or
 * `payload.<key>.<key>...`, where a key of digits indexes an array) mapped to a condition, or a combinator:
 * `$and` / `$or` (non-empty arrays of filters) and `$not` (a filter). Example:
 * `{ "payload.amount": { "$gte": 100 }, "$or": [{ "payload.currency": "EUR" }, { "payload.currency": { "$in": ["USD", "GBP"] } }] }`.
 */
export interface WebhookFilter {
  /** Every filter holds. */
  $and?: WebhookFilter[];
  /** At least one filter holds. */
  $or?: WebhookFilter[];
  /** The filter does not hold. */
  $not?: WebhookFilter;
  /** A field path and its condition. */
  [path: string]: FilterCondition | WebhookFilter | WebhookFilter[] | undefined;
}

/** What a filter is evaluated against: the event as dispatched, with its payload as receivers get it (JSON). */
export interface FilterSubject {
  event_type: string;
  source: string | null;
  tenant_id: string | null;
  payload: unknown;
}

/** Bounds of a filter, so that evaluating one costs little and never stalls `dispatch()`. */
export const FILTER_LIMITS = Object.freeze({
  /** Nesting of objects and arrays (combinators and operator objects). */
  max_depth: 8,
  /** Conditions, combinators and listed values in all. */
  max_nodes: 256,
  /** Serialized size, bytes. */
  max_bytes: 8192,
  /** Keys after `payload` in one path. */
  max_path_keys: 16,
});

/** The fields a path may start with. */
export const FILTER_ROOT_FIELDS: readonly string[] = Object.freeze(['event_type', 'source', 'tenant_id', 'payload']);

/** Combinators, valid where a filter object is expected. */
export const FILTER_COMBINATORS: readonly string[] = Object.freeze(['$and', '$or', '$not']);

/** Operators, valid in a field's condition object. */
export const FILTER_OPERATORS: readonly string[] = Object.freeze(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists']);
