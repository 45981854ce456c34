import type { WebhookOutcome } from '../../domain/outcome';
import type { DeliveryAttempt } from '../../domain/types';
import { decideAttempt, NOT_SENT, notSentReason, outcomeOf, type AttemptDecision } from './attempt-decision';
import type { AttemptRecorder } from './attempt-recorder';
import type { AttemptSender } from './attempt-sender';
import type { Clock } from './clock';
import type { Held } from './held';
import type { AttemptTelemetry, EndpointHealth, EngineLogger, SubscriptionLookup } from './ports';
import { retryPolicyOf, type RetryConfig } from './retry-policy';
import type { SendTimeouts } from './send-timeouts';

/** What an {@link AttemptRunner} works with. */
export interface AttemptRunnerParts {
  sender: AttemptSender;
  recorder: AttemptRecorder;
  subscriptions: SubscriptionLookup;
  health: EndpointHealth;
  telemetry: AttemptTelemetry;
  retry: RetryConfig;
  timeouts: SendTimeouts;
  clock: Clock;
  random?: () => number;
  logger: EngineLogger;
  /** Aborted when shutdown runs out of patience. */
  signal: AbortSignal;
  /** A retry was scheduled for `at` (ms since the epoch). */
  retryAt(at: number): void;
  /** Publishes an outcome once it is stored. */
  emit(outcome: WebhookOutcome): void;
}

/**
/**
 * One attempt of one held delivery, start to end: send it (unless its subscription is gone or inactive) within
 * its timeout, decide what follows (`decideAttempt`, with the subscription's own `retry_max_attempts`), record
 * both (traced from start to record), then tell the subscriptions what the endpoint's answer means (auto-disable,
 * early warnings) and publish the outcomes.
 */
export class AttemptRunner {
  constructor(private readonly parts: AttemptRunnerParts) {}

  /** `freeSlot` is called as soon as the endpoint answered 2xx (recording goes on in the background). */
  async run(held: Held, freeSlot: () => void): Promise<void> {
    const { claimed } = held;
    const p = this.parts;
    const id = claimed.delivery.subscription_id;
    const subscription = held.recheck ? (p.subscriptions.kept?.(id) ?? (await p.subscriptions.get(id))) : held.subscription;
    const attemptedAt = new Date(p.clock.now());
    const reason = notSentReason(subscription);
    const trace = p.telemetry.startAttempt(claimed, reason ? null : subscription);
    let result = { status_code: null as number | null, error_message: reason, duration_ms: 0 };
    let decision: AttemptDecision = NOT_SENT;
    let attempt: DeliveryAttempt;
    let applied: boolean;
    try {
      if (subscription && !reason) {
        const timeoutMs = p.timeouts.forSend(subscription, claimed.delivery.locked_until?.getTime() ?? 0, p.clock.now());
        const sent = await p.sender.send(subscription, claimed.event, attemptedAt, p.signal, timeoutMs, trace.headers);
        // Interrupted by shutdown: not the receiver's fault, so nothing is recorded; the lease is released.
        if (p.signal.aborted) return trace.end(null);
        if (sent.ok) freeSlot();
        result = sent;
        decision = decideAttempt(sent, claimed.delivery.attempts + 1, retryPolicyOf(p.retry, subscription), p.clock.now(), p.random);
      }
      ({ attempt, applied } = await p.recorder.record(claimed, attemptedAt, result, decision));
    } catch (err) {
      trace.end(null);
      throw err;
    }
    trace.end(attempt);
    if (!applied) {
      p.logger.warn(`delivery ${claimed.delivery.delivery_id} was re-queued or re-claimed while being sent; attempt logged, state left to its new owner`);
      return;
    }
    if (decision.next.status === 'pending') p.retryAt(decision.next.next_attempt_at.getTime());
    p.emit({ type: outcomeOf(decision.status), attempt });
    if (!subscription || decision.effect === 'none') return;
    const effects = decision.effect === 'gone' ? await p.health.gone(subscription, attemptedAt) : await p.health.failed(subscription, attemptedAt);
    for (const outcome of effects) p.emit(outcome);
  }
}
