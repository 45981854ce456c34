import type { WebhookLogger } from '../../domain/logger';
import type { WebhookOutcome } from '../../domain/outcome';
import type { WebhookSubscription } from '../../domain/types';

/** How the engine reads a subscription before sending (the subscription cache, in the module). */
export interface SubscriptionLookup {
  get(subscriptionId: string): Promise<WebhookSubscription | null>;
}

/** What the engine tells the subscriptions about an endpoint's answers (auto-disable, in the module). */
export interface EndpointHealth {
  /** The receiver answered 410 Gone: stop sending to it. Returns the outcomes to publish. */
  gone(subscription: WebhookSubscription, at: Date): Promise<WebhookOutcome[]>;
  /** An attempt failed (a retry is scheduled, or it was dead-lettered). Returns the outcomes to publish. */
  failed(subscription: WebhookSubscription, at: Date): Promise<WebhookOutcome[]>;
}

/** Where the engine reports what went wrong in the background (a Nest `Logger` fits). */
export type EngineLogger = WebhookLogger;
