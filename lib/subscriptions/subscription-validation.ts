import { webhookConfigProblem, type WebhookConfig } from '../config/webhook-config';
import { EVENT_TYPE_FILTER_PATTERN, eventTypePatternProblem } from '../domain/event-type';
import { InvalidSubscriptionError } from '../domain/webhook.error';

/** Most event type patterns one subscription may hold. */
export const MAX_EVENT_TYPES = 100;
/** Largest serialized `metadata`, bytes. */
export const MAX_METADATA_BYTES = 16_384;

/** `null`/omitted = every event type; otherwise 1..100 distinct names or `*` patterns (no `**`, at most 8 `*` each). */
export function validateEventTypes(value: unknown): string[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_EVENT_TYPES) {
    throw new InvalidSubscriptionError(`event_types must be null (all events) or an array of 1-${MAX_EVENT_TYPES} event type names`, 'event_types');
  }
  for (const t of value) {
    if (typeof t !== 'string' || !EVENT_TYPE_FILTER_PATTERN.test(t)) {
      throw new InvalidSubscriptionError(`event_types: ${typeof t === 'string' ? JSON.stringify(t) : typeof t} is not an event type (letters, digits, . _ - : / and * wildcards, 1-200 characters)`, 'event_types');
    }
    const problem = eventTypePatternProblem(t);
    if (problem) throw new InvalidSubscriptionError(`event_types: ${problem}`, 'event_types');
  }
  return [...new Set(value as string[])];
}

export function validateOptionalString(field: string, value: unknown, max: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length > max) throw new InvalidSubscriptionError(`${field} must be a string of at most ${max} characters, or null`, field);
  return value;
}

export function validateMetadata(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new InvalidSubscriptionError('metadata must be a plain JSON object', 'metadata');
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new InvalidSubscriptionError(`metadata is not JSON-serializable: ${(err as Error).message.split('\n')[0]}`, 'metadata');
  }
  if (Buffer.byteLength(json) > MAX_METADATA_BYTES) throw new InvalidSubscriptionError(`metadata is over ${MAX_METADATA_BYTES} bytes once serialized`, 'metadata');
  const parsed: unknown = JSON.parse(json);
  // A Date, a boxed primitive or an object with toJSON serializes as something other than an object.
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidSubscriptionError('metadata must be a plain JSON object', 'metadata');
  return parsed as Record<string, unknown>;
}

/** Module config keys a subscription may override (null = the module's value), within the same bounds. */
export const SUBSCRIPTION_OVERRIDES = ['retry_max_attempts', 'delivery_timeout_seconds', 'max_concurrent_per_endpoint'] as const;
export type SubscriptionOverride = (typeof SUBSCRIPTION_OVERRIDES)[number];

/** Highest `rate_limit_per_second`. */
export const MAX_RATE_LIMIT_PER_SECOND = 10_000;

/** The module config an override is checked against: the lease a timeout must leave room in, and the ceilings. */
export type OverrideLimits = Pick<WebhookConfig, 'lease_seconds' | 'retry_max_attempts_ceiling' | 'delivery_timeout_seconds_ceiling' | 'max_concurrent_per_endpoint_ceiling'>;

/** The config key that bounds each override, and what it is when not set. */
export const OVERRIDE_CEILINGS: Readonly<Record<SubscriptionOverride, { key: Exclude<keyof OverrideLimits, 'lease_seconds'>; byDefault: string }>> = {
  retry_max_attempts: { key: 'retry_max_attempts_ceiling', byDefault: '25, or retry_max_attempts if higher' },
  delivery_timeout_seconds: { key: 'delivery_timeout_seconds_ceiling', byDefault: '60, or delivery_timeout_seconds if higher' },
  max_concurrent_per_endpoint: { key: 'max_concurrent_per_endpoint_ceiling', byDefault: 'half of max_concurrent_deliveries' },
};

/**
 * What is wrong with an override's value, or null (also for null: the module's value). With `config`, it must
 * also be at most its ceiling (so that one subscription cannot hold every delivery slot, retry for ever or keep
 * a request open for hours), and a timeout must leave its lease room: `lease_seconds` is what a claimed delivery
 * is held for.
 */
export function overrideProblem(key: SubscriptionOverride, value: unknown, config?: OverrideLimits): string | null {
  if (value === undefined || value === null) return null;
  const problem = webhookConfigProblem(key, value);
  if (problem) return `${key} ${problem}, or null for the module's value`;
  if (!config) return null;
  const ceiling = OVERRIDE_CEILINGS[key];
  const most = config[ceiling.key];
  if ((value as number) > most) {
    return `${key} ${value as number} is over the ceiling ${most} (${ceiling.key}; by default ${ceiling.byDefault}): choose ${most} or less (null: the module's value), or raise the ceiling in the module config`;
  }
  if (key === 'delivery_timeout_seconds' && (value as number) >= config.lease_seconds) {
    return `delivery_timeout_seconds must be less than lease_seconds (${config.lease_seconds}) so that a lease outlives its request: choose a shorter timeout or raise lease_seconds in the module config`;
  }
  return null;
}

/** An override as stored: the number, or null for the module's value. Throws naming the field. */
export function validateOverride(key: SubscriptionOverride, value: unknown, config: OverrideLimits): number | null {
  const problem = overrideProblem(key, value, config);
  if (problem) throw new InvalidSubscriptionError(problem, key);
  return (value as number | null | undefined) ?? null;
}

/** What is wrong with a `rate_limit_per_second`, or null (also for null: no limit). */
export function rateLimitProblem(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_RATE_LIMIT_PER_SECOND
    ? null
    : `rate_limit_per_second must be an integer between 1 and ${MAX_RATE_LIMIT_PER_SECOND} (requests per second to this endpoint, over all replicas), or null for no limit`;
}

/** `ordered` as stored: true or false (null: false). Throws naming the field. */
export function validateOrdered(value: unknown): boolean {
  if (value === null) return false;
  if (typeof value !== 'boolean') throw new InvalidSubscriptionError('ordered must be true or false', 'ordered');
  return value;
}

/** A rate limit as stored (null = none). Throws naming the field. */
export function validateRateLimit(value: unknown): number | null {
  const problem = rateLimitProblem(value);
  if (problem) throw new InvalidSubscriptionError(problem, 'rate_limit_per_second');
  return (value as number | null | undefined) ?? null;
}
