import type { DeliveryAttempt, WebhookSubscription } from './types';

/** The event type of a test send. */
export const TEST_EVENT_TYPE = 'webhook.test';

/** What a test send carries instead of the `webhook.test` event: a catalogued event type and its example payload. */
export interface TestEvent {
  /** The catalogued event type. */
  event_type: string;
  /** Its example payload. */
  payload: unknown;
}

/**
 * Sends one signed `webhook.test` event (or `event`, when given) to a subscription's endpoint, now and once (never
 * retried, whatever the filter), and logs the attempt; resolves with it when it has finished. A port: declared here so that
 * `WebhookSubscriptionService` can offer `sendTest` without depending on the delivery side, which implements it.
 */
export interface SubscriptionTestSender {
  sendTest(subscription: WebhookSubscription, event?: TestEvent): Promise<DeliveryAttempt>;
}
