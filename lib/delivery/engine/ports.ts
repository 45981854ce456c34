import type { WebhookLogger } from '../../domain/logger';
import type { WebhookOutcome } from '../../domain/outcome';
import type { ClaimedDelivery, DeliveryAttempt, WebhookSubscription } from '../../domain/types';

/** How the engine reads a subscription before sending (the subscription cache, in the module). */
export interface SubscriptionLookup {
  get(subscriptionId: string): Promise<WebhookSubscription | null>;
  /** The subscription when it is at hand now, without a read (undefined: ask {@link get}). */
  kept?(subscriptionId: string): WebhookSubscription | undefined;
}

/** What the engine tells the subscriptions about an endpoint's answers (auto-disable, in the module). */
export interface EndpointHealth {
  /** The receiver answered 410 Gone: stop sending to it. Returns the outcomes to publish. */
  gone(subscription: WebhookSubscription, at: Date): Promise<WebhookOutcome[]>;
  /** An attempt failed (a retry is scheduled, or it was dead-lettered). Returns the outcomes to publish. */
  failed(subscription: WebhookSubscription, at: Date): Promise<WebhookOutcome[]>;
}

/**
 * Where the engine reports each attempt for tracing (OpenTelemetry spans, in the module). {@link NO_TELEMETRY}
 * does nothing and allocates nothing, so an engine without tracing pays nothing for it.
 */
export interface AttemptTelemetry {
  /** An attempt of `claimed` starts (to `subscription`, or not sent at all when it is null or inactive). */
  startAttempt(claimed: ClaimedDelivery, subscription: WebhookSubscription | null): AttemptTrace;
}

/** One attempt being traced. */
export interface AttemptTrace {
  /** Headers to send with the request (`traceparent` when trace context is propagated), or null. */
  readonly headers: Readonly<Record<string, string>> | null;
  /** The attempt was recorded as `attempt`; null when it was not (interrupted by shutdown, or the write failed). */
  end(attempt: DeliveryAttempt | null): void;
}

/** The trace of an engine without telemetry. */
export const NO_TRACE: AttemptTrace = Object.freeze({ headers: null, end: () => undefined });

/** Telemetry that does nothing. */
export const NO_TELEMETRY: AttemptTelemetry = Object.freeze({ startAttempt: () => NO_TRACE });

/** Where the engine reports what went wrong in the background (a Nest `Logger` fits). */
export type EngineLogger = WebhookLogger;
