import type { WebhookSubscription } from '../domain/types';
import { subscriptionControls, type SubscriptionControls } from '../domain/subscription-controls';

/** Page size of list queries that give no `limit`. */
export const DEFAULT_PAGE_LIMIT = 100;
/** Largest page size of list queries: a larger `limit` is cut to this. */
export const MAX_PAGE_LIMIT = 1000;

/** Normalized `limit`/`offset` of a list query. */
export function pageBounds(query: { limit?: number; offset?: number }): { limit: number; offset: number } {
  const limit = Math.min(Math.max(Math.trunc(query.limit ?? DEFAULT_PAGE_LIMIT), 0), MAX_PAGE_LIMIT);
  const offset = Math.max(Math.trunc(query.offset ?? 0), 0);
  return { limit, offset };
}

/** The page of `items` that `limit`/`offset` select (normalized as {@link pageBounds} does). */
export function page<T>(items: T[], query: { limit?: number; offset?: number }): T[] {
  const { limit, offset } = pageBounds(query);
  return items.slice(offset, offset + limit);
}

/** Subscription list order: oldest first, then by id. */
export function compareSubscriptions(a: WebhookSubscription, b: WebhookSubscription): number {
  return a.created_at.getTime() - b.created_at.getTime() || (a.subscription_id < b.subscription_id ? -1 : a.subscription_id > b.subscription_id ? 1 : 0);
}

/** Attempt list order: newest first, then attempt_number, then id descending (stable). */
export function compareAttemptsNewestFirst(
  a: { attempted_at: Date; attempt_number: number; attempt_id: string },
  b: { attempted_at: Date; attempt_number: number; attempt_id: string },
): number {
  return (
    b.attempted_at.getTime() - a.attempted_at.getTime() ||
    b.attempt_number - a.attempt_number ||
    (a.attempt_id < b.attempt_id ? 1 : a.attempt_id > b.attempt_id ? -1 : 0)
  );
}

/** A deep copy, so callers never share mutable state with a store; absent optional fields become null. */
export function cloneSubscription(sub: WebhookSubscription): WebhookSubscription {
  // public_key is derived from the secret, never kept: a stale copy would outlive a rotation.
  const { public_key: _derived, ...fields } = sub;
  return {
    ...fields,
    signature_type: sub.signature_type ?? 'hmac-sha256',
    event_types: sub.event_types ? [...sub.event_types] : null,
    created_at: new Date(sub.created_at),
    // structuredClone of an empty object took half of this function's time in a memory-store profile.
    metadata: isEmpty(sub.metadata) ? {} : structuredClone(sub.metadata),
    previous_secret: sub.previous_secret ?? null,
    previous_secret_expires_at: sub.previous_secret_expires_at ? new Date(sub.previous_secret_expires_at) : null,
    disabled_reason: sub.disabled_reason ?? null,
    headers: { ...sub.headers },
    ...subscriptionControls(sub),
    filter: sub.filter ? structuredClone(sub.filter) : null,
  };
}

/** A plain object with no enumerable key (or none): its structuredClone would be `{}`. */
function isEmpty(value: Record<string, unknown> | null | undefined): boolean {
  if (value === null || value === undefined) return true;
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const _ in value) return false;
  return true;
}

const NO_HEADERS: Record<string, string> = Object.freeze({});
const NO_METADATA: Record<string, unknown> = Object.freeze({});

/** A subscription as a memory store keeps it: every control present (null when unset). */
export type StoredSubscription = WebhookSubscription & SubscriptionControls;

/**
 * The copy a memory store keeps: `cloneSubscription` (which fills in every control), with one shared frozen
 * object for no headers and for no metadata (a million subscriptions would otherwise hold two million empty
 * objects). Replaced on a write, never changed. Handed out only as an index entry to read (the module's own
 * matching); other reads go through `cloneSubscription`.
 */
export function storedSubscription(sub: WebhookSubscription): StoredSubscription {
  // cloneSubscription fills in every control (subscriptionControls).
  const copy = cloneSubscription(sub) as StoredSubscription;
  if (Object.keys(copy.headers!).length === 0) copy.headers = NO_HEADERS;
  if (Object.keys(copy.metadata).length === 0) copy.metadata = NO_METADATA;
  return copy;
}
