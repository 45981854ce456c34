import { newId } from '../domain/ids';
import { EVENT_TYPE_PATTERN } from '../domain/event-type';
import type { StoredEvent, WebhookEventInput } from '../domain/types';
import { InvalidEventError } from '../domain/webhook.error';

/** Event ids: 1..255 visible ASCII characters (they travel in a header and in the signed content). */
export const EVENT_ID_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** An event as {@link serializeEvent} makes it: what is stored, and what routes it. */
export interface SerializedEvent {
  event: StoredEvent;
  tenant_id: string | null;
  ordering_key: string | null;
}

/**
 * Validates an event and serializes it once into the body every subscription receives:
 * `{"event_id","event_type","occurred_at","source","payload"}`. Throws {@link InvalidEventError} naming the
 * problem; nothing is stored for a refused event. `traceparent` is stored with it (its dispatch span).
 */
export function serializeEvent(input: WebhookEventInput, maxBytes: number, now: Date, traceparent: string | null = null): SerializedEvent {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new InvalidEventError('event must be an object with event_type and payload');
  const { event_type, payload } = input;
  if (typeof event_type !== 'string' || !EVENT_TYPE_PATTERN.test(event_type)) {
    throw new InvalidEventError(`event_type must be 1-200 characters of letters, digits and . _ - : / (got ${preview(event_type)})`);
  }
  let event_id = input.event_id;
  if (event_id === undefined || event_id === null) event_id = newId();
  else if (typeof event_id !== 'string' || !EVENT_ID_PATTERN.test(event_id)) {
    throw new InvalidEventError(`event_id must be 1-255 visible ASCII characters without spaces (got ${preview(event_id)})`);
  }
  let occurred_at: Date;
  if (input.occurred_at === undefined || input.occurred_at === null) occurred_at = now;
  else {
    occurred_at = Object.prototype.toString.call(input.occurred_at) === '[object Date]' ? new Date(input.occurred_at as Date) : typeof input.occurred_at === 'string' ? new Date(input.occurred_at) : new Date(NaN);
    if (Number.isNaN(occurred_at.getTime())) throw new InvalidEventError(`occurred_at must be a valid Date or ISO-8601 string (got ${preview(input.occurred_at)})`);
  }
  const source = input.source ?? null;
  if (source !== null && (typeof source !== 'string' || source.length > 255)) throw new InvalidEventError('source must be a string of at most 255 characters, or null');
  const tenant_id = input.tenant_id ?? null;
  if (tenant_id !== null && (typeof tenant_id !== 'string' || tenant_id.length === 0 || tenant_id.length > 255)) {
    throw new InvalidEventError('tenant_id must be a non-empty string of at most 255 characters, or null');
  }
  const ordering_key = input.ordering_key ?? null;
  if (ordering_key !== null && (typeof ordering_key !== 'string' || ordering_key.length === 0 || ordering_key.length > 255)) {
    throw new InvalidEventError(`ordering_key must be a non-empty string of at most 255 characters, or null (got ${preview(ordering_key)})`);
  }
  if (payload === undefined || typeof payload === 'function' || typeof payload === 'symbol') {
    throw new InvalidEventError('payload is required and must be JSON-serializable (an object, array, string, number, boolean or null)');
  }
  let body: string;
  try {
    body = JSON.stringify({ event_id, event_type, occurred_at: occurred_at.toISOString(), source, payload });
  } catch (err) {
    throw new InvalidEventError(`payload is not JSON-serializable: ${(err as Error).message.split('\n')[0]} (convert BigInt to string and remove cycles)`);
  }
  // JSON.stringify builds its result as a tree of concatenated parts (V8's string builder). Reading one character
  // flattens it into one string now, while it is young; otherwise the first send flattens it (undici copies the
  // body into a Buffer), by then often in the old generation, and the flat copy it makes there is promoted too
  // (about 320 bytes a delivery kept twice, in a memory-store heap profile at 64 in flight).
  body.charCodeAt(0);
  // A UTF-16 unit is at most 3 UTF-8 bytes: a body that short cannot be over, and is not measured.
  const size = body.length * 3 <= maxBytes ? 0 : Buffer.byteLength(body, 'utf8');
  if (size > maxBytes) {
    throw new InvalidEventError(`event body is ${size} bytes, over max_payload_bytes (${maxBytes}): send a reference (an id or URL) instead of the whole object`);
  }
  return { event: { event_id, event_type, body, occurred_at, source, created_at: now, traceparent }, tenant_id, ordering_key };
}

function preview(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? value.slice(0, 60) + '...' : value);
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return String(JSON.stringify(value) ?? typeof value).slice(0, 60);
  } catch {
    return typeof value;
  }
}
