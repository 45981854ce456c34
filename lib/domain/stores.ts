/**
 * The store contracts, by role: subscriptions, the delivery queue, the attempt log, the delivery store (with
 * retention) and the change signals. Import from the role's file; this file keeps the older path working.
 */
export type { SubscriptionChange, SubscriptionCursor, SubscriptionIndexEntry, SubscriptionListQuery, WebhookSubscriptionStore } from './subscription-store';
export type { AttemptCompletion, ClaimOptions, DeliveryLease, DeliveryQueue, EnqueueItem, EnqueueOptions, NewDelivery, RateLimitedClaim, RedriveQuery } from './delivery-queue';
export type { AttemptCursor, AttemptQuery, DeadLetterQuery, DeliveryLog, FailureRun } from './delivery-log';
export type { DeliveryRetention, WebhookDeliveryStore } from './delivery-store';
export type { StoreSignalListener, StoreSignals } from './store-signals';
