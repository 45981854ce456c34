import type { WebhookSubscription } from './types';

/** A subscription's delivery controls with their defaults (besides `headers`, which each reader shapes its own way). */
export type SubscriptionControls = Required<Pick<WebhookSubscription, 'filter' | 'retry_max_attempts' | 'delivery_timeout_seconds' | 'max_concurrent_per_endpoint' | 'rate_limit_per_second' | 'ordered'>>;

/** The controls of `sub`, absent ones as their defaults (null: the module's value; `ordered` false). */
export function subscriptionControls(sub: Partial<SubscriptionControls>): SubscriptionControls {
  return {
    filter: sub.filter ?? null,
    retry_max_attempts: sub.retry_max_attempts ?? null,
    delivery_timeout_seconds: sub.delivery_timeout_seconds ?? null,
    max_concurrent_per_endpoint: sub.max_concurrent_per_endpoint ?? null,
    rate_limit_per_second: sub.rate_limit_per_second ?? null,
    // A boolean column may come back as a number (SQLite).
    ordered: Boolean(sub.ordered),
  };
}
