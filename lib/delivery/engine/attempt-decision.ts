import type { WebhookOutcome } from '../../domain/outcome';
import type { DeliveryStatus, DeliveryTransition, WebhookSubscription } from '../../domain/types';
import type { SendResult } from '../http/transport';
import { isLastAttempt, retryDelayMs, type RetryConfig } from './retry-policy';

/** What an attempt means for its subscription: `gone` disables it now (410), `failure` counts toward auto-disable. */
export type SubscriptionEffect = 'none' | 'gone' | 'failure';

/** The verdict on one attempt: how it is logged, where its delivery goes next, and what it means for the endpoint. */
export interface AttemptDecision {
  /** Status of the logged attempt: `failed` means a retry is scheduled (or, for a 410, the delivery is cancelled). */
  status: Exclude<DeliveryStatus, 'pending'>;
  next: DeliveryTransition;
  effect: SubscriptionEffect;
}

/** The decision for a delivery that was not sent because its subscription is gone or inactive. */
export const NOT_SENT: AttemptDecision = Object.freeze({ status: 'cancelled', next: Object.freeze({ status: 'cancelled' }), effect: 'none' });

const DELIVERED: AttemptDecision = Object.freeze({ status: 'delivered', next: Object.freeze({ status: 'delivered' }), effect: 'none' });

/**
 * Decides one sent attempt (pure): 2xx delivered; 410 Gone cancels the delivery and disables the endpoint; the
 * last attempt of the cycle dead-letters; anything else retries after the backoff delay, or after `Retry-After`
 * when the receiver asked for longer. `now` and `random` are injectable for tests.
 */
export function decideAttempt(result: SendResult, attemptNumber: number, policy: RetryConfig, now: number, random: () => number = Math.random): AttemptDecision {
  if (result.ok) return DELIVERED;
  if (result.gone) return { status: 'failed', next: { status: 'cancelled' }, effect: 'gone' };
  if (isLastAttempt(policy, attemptNumber)) return { status: 'dead_letter', next: { status: 'dead_letter' }, effect: 'failure' };
  const delay = Math.max(retryDelayMs(policy, attemptNumber, random), result.retry_after_ms ?? 0);
  return { status: 'failed', next: { status: 'pending', next_attempt_at: new Date(now + delay) }, effect: 'failure' };
}

/** Why a delivery cannot be sent to `subscription` (then it is cancelled, not sent), or null when it can. */
export function notSentReason(subscription: WebhookSubscription | null): string | null {
  if (!subscription) return 'not sent: subscription was deleted';
  return subscription.active ? null : 'not sent: subscription is inactive';
}

/** The outcome published for an attempt logged with `status`. */
export function outcomeOf(status: AttemptDecision['status']): Exclude<WebhookOutcome['type'], 'subscription_disabled' | 'subscription_failing'> {
  return status === 'delivered' ? 'delivered' : status === 'dead_letter' ? 'dead_lettered' : status === 'cancelled' ? 'cancelled' : 'failed';
}
