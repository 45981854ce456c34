import type { DeliveryAttempt } from './types';

/**
 * What happened to a delivery, published on `WebhookDeliveryService.outcomes$` so the host app can alert or
 * count. Listeners run after the state is stored; they cannot change it.
 */
export type WebhookOutcome =
  | { type: 'delivered'; attempt: DeliveryAttempt }
  | { type: 'failed'; attempt: DeliveryAttempt }
  | { type: 'dead_lettered'; attempt: DeliveryAttempt }
  | { type: 'cancelled'; attempt: DeliveryAttempt }
  | { type: 'subscription_disabled'; subscription_id: string; reason: string }
  | SubscriptionFailingOutcome;

/**
 * Early warning: an endpoint's run of failures (no success between) reached `level` percent (50, then 90) of
 * `disable_after_consecutive_failures` (`threshold`). Published once per level and run in each process; a success
 * starts a new run.
 */
export interface SubscriptionFailingOutcome {
  /** The outcome's kind. */
  type: 'subscription_failing';
  /** The endpoint that keeps failing. */
  subscription_id: string;
  /** Failures in a row so far. */
  consecutive_failures: number;
  /** The module's `disable_after_consecutive_failures`. */
  threshold: number;
  /** Percent of `threshold` reached: 50, then 90. */
  level: 50 | 90;
}
