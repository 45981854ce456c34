import { Inject, Injectable } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { WebhookConfig } from '../config/webhook-config';
import { newId } from '../domain/ids';
import type { WebhookOutcome } from '../domain/outcome';
import { printable } from '../domain/printable';
import type { EnqueueItem, RedriveQuery, WebhookDeliveryStore, WebhookSubscriptionStore } from '../domain/stores';
import type { Result, WebhookEventInput } from '../domain/types';
import { DeliveryAttemptNotFoundError, EventPurgedError, SubscriptionInactiveError, SubscriptionNotFoundError, type WebhookError } from '../domain/webhook.error';
import { SubscriptionCache } from '../subscriptions/subscription-cache';
import { InjectWebhookConfig, InjectWebhookDeliveryStore, InjectWebhookSubscriptionStore, InjectWebhookTelemetry } from '../webhook.constants';
import { DeliveryWorker } from './delivery.worker';
import type { DeliveryEngine } from './engine/delivery-engine';
import { WriteBatcher } from './engine/write-batcher';
import { serializeEvent } from './event-serializer';
import type { WebhookTelemetry } from './telemetry.port';

/** Most events written in one dispatch transaction. */
const ENQUEUE_BATCH = 200;

/** What `dispatch()` accepted. */
export interface DispatchResult {
  event_id: string;
  /** Deliveries created: one per matching active subscription (0 for a duplicate). */
  delivery_count: number;
  /** True when this event_id was already accepted: nothing new was stored or sent. */
  duplicate: boolean;
}

/** Accepts events for delivery and re-sends past ones. */
@Injectable()
export class WebhookDeliveryService {
  private readonly enqueues: WriteBatcher<EnqueueItem, boolean>;
  private readonly engine: DeliveryEngine;

  constructor(
    @InjectWebhookConfig() private readonly config: WebhookConfig,
    @InjectWebhookDeliveryStore() private readonly deliveries: WebhookDeliveryStore,
    @InjectWebhookSubscriptionStore() private readonly subscriptions: WebhookSubscriptionStore,
    @Inject(DeliveryWorker) worker: DeliveryWorker,
    @Inject(SubscriptionCache) private readonly cache: SubscriptionCache,
    @InjectWebhookTelemetry() private readonly telemetry: WebhookTelemetry,
  ) {
    this.engine = worker.engine;
    // Concurrent dispatches share one transaction (group commit): one disk sync for many events.
    // The memory store has no commit to share: there, each dispatch writes at once.
    this.enqueues = new WriteBatcher((items) => this.deliveries.enqueue(items), ENQUEUE_BATCH, 2, config.store_backend === 'memory');
  }

  /** Every delivery outcome (delivered, failed, dead_lettered, cancelled, subscription_disabled), to alert or count. */
  get outcomes$(): Observable<WebhookOutcome> {
    return this.engine.outcomes;
  }

  /**
   * Validates and serializes the event once, stores it with one delivery per matching active subscription in
   * one transaction, and returns; the first attempt starts at once in the background (in this process when
   * its engine has room, without a claim; otherwise by whichever replica claims it first). Dispatching an event_id
   * that was already accepted changes nothing. Throws `WebhookError` (code `INVALID_EVENT`) for an event that
   * cannot be sent, before anything is stored.
   */
  async dispatch<T>(event: WebhookEventInput<T>): Promise<DispatchResult> {
    // The span (a child of the caller's) is stored with the event: every attempt's span links to it.
    const trace = this.telemetry.startDispatch(typeof event?.event_type === 'string' ? event.event_type : 'invalid');
    let result: DispatchResult;
    try {
      result = await this.store(event, trace.traceparent);
    } catch (err) {
      trace.end(null, err);
      throw err;
    }
    trace.end(result);
    return result;
  }

  private async store<T>(event: WebhookEventInput<T>, traceparent: string | null): Promise<DispatchResult> {
    const { tenant_id, ...stored } = serializeEvent(event, this.config.max_payload_bytes, new Date());
    if (traceparent) stored.traceparent = traceparent;
    const subscriptionIds = await this.cache.match(stored.event_type, tenant_id);
    // Those this process's engine has room for are stored leased to it, and start as soon as they commit.
    const reservation = this.engine.reserve(subscriptionIds);
    const deliveryIds = subscriptionIds.map(() => newId());
    let created = false;
    try {
      created = await this.enqueues.add({
        event: stored,
        deliveries: subscriptionIds.map((subscription_id, i) => ({ delivery_id: deliveryIds[i], subscription_id, lease: reservation.leases[i] })),
      });
    } finally {
      reservation.settle(stored, deliveryIds, created);
    }
    return { event_id: stored.event_id, delivery_count: created ? subscriptionIds.length : 0, duplicate: !created };
  }

  /**
   * Sends the event of a logged attempt again, with its original body, to the same subscription: the delivery
   * becomes due now with a fresh retry cycle, also when it was a dead letter. The send happens in the background.
   */
  async redeliver(attemptId: string): Promise<Result<void, WebhookError>> {
    const attempt = typeof attemptId === 'string' && attemptId ? await this.deliveries.getAttempt(attemptId) : null;
    if (!attempt) return { ok: false, error: new DeliveryAttemptNotFoundError(printable(attemptId)) };
    const sub = await this.subscriptions.get(attempt.subscription_id);
    if (!sub) return { ok: false, error: new SubscriptionNotFoundError(attempt.subscription_id) };
    if (!sub.active) return { ok: false, error: new SubscriptionInactiveError(attempt.subscription_id) };
    if (!(await this.deliveries.requeueDelivery(attempt.event_id, attempt.subscription_id, new Date()))) return { ok: false, error: new EventPurgedError(attemptId) };
    this.engine.wake();
    return { ok: true };
  }

  /** Re-queues dead letters (optionally of one subscription and dead-lettered in [since, until)); returns how many. */
  async redrive(query: RedriveQuery = {}): Promise<number> {
    const n = await this.deliveries.requeueDeadLetters(query, new Date());
    if (n > 0) this.engine.wake();
    return n;
  }
}
