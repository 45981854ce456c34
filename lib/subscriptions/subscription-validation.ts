import { EVENT_TYPE_FILTER_PATTERN } from '../domain/event-type';
import { InvalidSubscriptionError } from '../domain/webhook.error';

/** Most event type patterns one subscription may hold. */
export const MAX_EVENT_TYPES = 100;
/** Largest serialized `metadata`, bytes. */
export const MAX_METADATA_BYTES = 16_384;

/** `null`/omitted = every event type; otherwise 1..100 distinct names or `*` patterns. */
export function validateEventTypes(value: unknown): string[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_EVENT_TYPES) {
    throw new InvalidSubscriptionError(`event_types must be null (all events) or an array of 1-${MAX_EVENT_TYPES} event type names`);
  }
  for (const t of value) {
    if (typeof t !== 'string' || !EVENT_TYPE_FILTER_PATTERN.test(t)) {
      throw new InvalidSubscriptionError(`event_types: ${typeof t === 'string' ? JSON.stringify(t) : typeof t} is not an event type (letters, digits, . _ - : / and * wildcards, 1-200 characters)`);
    }
  }
  return [...new Set(value as string[])];
}

export function validateOptionalString(field: string, value: unknown, max: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length > max) throw new InvalidSubscriptionError(`${field} must be a string of at most ${max} characters, or null`);
  return value;
}

export function validateMetadata(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new InvalidSubscriptionError('metadata must be a plain JSON object');
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new InvalidSubscriptionError(`metadata is not JSON-serializable: ${(err as Error).message.split('\n')[0]}`);
  }
  if (Buffer.byteLength(json) > MAX_METADATA_BYTES) throw new InvalidSubscriptionError(`metadata is over ${MAX_METADATA_BYTES} bytes once serialized`);
  return JSON.parse(json) as Record<string, unknown>;
}
