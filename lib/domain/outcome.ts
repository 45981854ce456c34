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
  | { type: 'subscription_disabled'; subscription_id: string; reason: string };
