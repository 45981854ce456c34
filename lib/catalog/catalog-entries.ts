import { EVENT_TYPE_PATTERN } from '../domain/event-type';
import type { EventCatalogEntry } from './event-catalog.types';

/** The keys an `event_catalog` entry may have. */
const ENTRY_KEYS: ReadonlySet<string> = new Set(['event_type', 'description', 'schema', 'example']);

/** How an entry is named in an error: its index, and its event type when it has a usable one. */
export function entryLabel(index: number, entry: unknown): string {
  const type = (entry as { event_type?: unknown } | null)?.event_type;
  return typeof type === 'string' && type.length <= 200 ? `[${index}] ${JSON.stringify(type)}` : `[${index}]`;
}

/** Whether `value` is a class (what class-validator decorates), not an arrow or a plain function call. */
export function isClass(value: unknown): value is abstract new (...args: any[]) => object {
  return typeof value === 'function' && typeof value.prototype === 'object' && value.prototype !== null;
}

/** Whether `value` is a plain object (`{...}` or `Object.create(null)`): the JSON Schema form of a schema. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * What is wrong with the shape of `event_catalog` (an array of entries with a valid, unique `event_type`, an
 * optional string `description`, a `schema` that is a class or a plain object, and no other keys), naming the
 * entry; null when the shape is fine. Compiling the schemas and checking the examples is
 * {@link EventCatalog.create}'s part, at start-up.
 */
export function eventCatalogProblem(value: unknown): string | null {
  if (!Array.isArray(value)) return 'must be an array of { event_type, description?, schema, example? } entries';
  const seen = new Map<string, number>();
  for (const [i, entry] of (value as unknown[]).entries()) {
    const problem = entryProblem(entry, seen, i);
    if (problem) return `${entryLabel(i, entry)}: ${problem}`;
  }
  return null;
}

function entryProblem(entry: unknown, seen: Map<string, number>, index: number): string | null {
  if (!isPlainObject(entry)) return 'must be an object { event_type, description?, schema, example? }';
  const unknown = Object.keys(entry).filter((k) => !ENTRY_KEYS.has(k));
  if (unknown.length > 0) return `unknown key ${unknown.map((k) => JSON.stringify(k)).join(', ')}: an entry has event_type, description, schema and example`;
  const { event_type, description, schema } = entry as Partial<EventCatalogEntry>;
  if (typeof event_type !== 'string' || !EVENT_TYPE_PATTERN.test(event_type)) {
    return 'event_type must be an event type name: 1-200 letters, digits and . _ - : / (no * wildcards: those are for subscriptions)';
  }
  const previous = seen.get(event_type);
  if (previous !== undefined) return `event_type is already catalogued by entry [${previous}]: each event type has one entry`;
  seen.set(event_type, index);
  if (description !== undefined && description !== null && typeof description !== 'string') return 'description must be a string';
  if (schema === undefined || schema === null) return 'schema is required: a class-validator class or a JSON Schema object';
  if (!isClass(schema) && !isPlainObject(schema)) {
    return `schema must be a class-validator class or a JSON Schema object (got ${typeof schema === 'function' ? 'a function that is not a class' : Array.isArray(schema) ? 'an array' : typeof schema})`;
  }
  return null;
}
