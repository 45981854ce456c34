import { Injectable } from '@nestjs/common';
import type { AttemptStats, AttemptStatsQuery, QueueSnapshot } from '../../domain/stats';
import type { AttemptQuery, DeadLetterQuery, FailureRun } from '../../domain/delivery-log';
import type { AttemptCompletion, ClaimOptions, DeliveryLease, EnqueueItem, EnqueueOptions, RateLimitedClaim, RedriveQuery } from '../../domain/delivery-queue';
import type { WebhookDeliveryStore } from '../../domain/delivery-store';
import type { ClaimedDelivery, DeliveryAttempt, DeliveryRecord, StoredEvent } from '../../domain/types';
import { WebhookDataSourceRef } from './data-source.ref';
import { TypeOrmStoreContext } from './store-context';
import { TypeOrmDeliveryLog } from './typeorm-delivery-log';
import { TypeOrmDeliveryQueue } from './typeorm-delivery-queue';
import { TypeOrmDeliveryRetention } from './typeorm-retention';
import { TypeOrmSignals } from './typeorm-signals';

/**
 * The delivery store in the host app's SQL database through TypeORM (tables `webhook_events`,
 * `webhook_deliveries`, `webhook_delivery_attempts`): the queue, the attempt log and retention, each in its own
 * class, on one DataSource. Same semantics as `MemoryDeliveryStore` (see the store contract tests).
 */
@Injectable()
export class TypeOrmDeliveryStore implements WebhookDeliveryStore {
  private readonly queue: TypeOrmDeliveryQueue;
  private readonly log: TypeOrmDeliveryLog;
  private readonly retention: TypeOrmDeliveryRetention;

  constructor(ref: WebhookDataSourceRef, signals: TypeOrmSignals = new TypeOrmSignals(ref)) {
    const ctx = new TypeOrmStoreContext(ref);
    this.queue = new TypeOrmDeliveryQueue(ctx, signals);
    this.log = new TypeOrmDeliveryLog(ctx);
    this.retention = new TypeOrmDeliveryRetention(ctx);
  }

  // The queue

  enqueue(items: readonly EnqueueItem[], options?: EnqueueOptions): Promise<boolean[]> {
    return this.queue.enqueue(items, options);
  }

  claimDue(options: ClaimOptions): Promise<ClaimedDelivery[]> {
    return this.queue.claimDue(options);
  }

  claimRateLimited(options: ClaimOptions): Promise<RateLimitedClaim> {
    return this.queue.claimRateLimited(options);
  }

  complete(items: readonly AttemptCompletion[]): Promise<boolean[]> {
    return this.queue.complete(items);
  }

  leaseByIds(deliveryIds: readonly string[], lease: DeliveryLease, now: Date): Promise<string[]> {
    return this.queue.leaseByIds(deliveryIds, lease, now);
  }

  requeueDelivery(eventId: string, subscriptionId: string, now: Date): Promise<boolean> {
    return this.queue.requeueDelivery(eventId, subscriptionId, now);
  }

  requeueDeadLetters(query: RedriveQuery, now: Date): Promise<number> {
    return this.queue.requeueDeadLetters(query, now);
  }

  releaseLeases(workerId: string, deliveryIds?: readonly string[]): Promise<number> {
    return this.queue.releaseLeases(workerId, deliveryIds);
  }

  queueSnapshot(now: Date): Promise<QueueSnapshot> {
    return this.queue.queueSnapshot(now);
  }

  // The log

  recordAttempt(attempt: DeliveryAttempt): Promise<void> {
    return this.log.recordAttempt(attempt);
  }

  getAttempt(attemptId: string): Promise<DeliveryAttempt | null> {
    return this.log.getAttempt(attemptId);
  }

  getAttempts(query?: AttemptQuery): Promise<DeliveryAttempt[]> {
    return this.log.getAttempts(query);
  }

  getDeadLetters(query?: DeadLetterQuery): Promise<DeliveryAttempt[]> {
    return this.log.getDeadLetters(query);
  }

  countDeadLetters(query?: Pick<DeadLetterQuery, 'subscription_id'>): Promise<number> {
    return this.log.countDeadLetters(query);
  }

  countRecentFailures(subscriptionId: string, since: Date): Promise<number> {
    return this.log.countRecentFailures(subscriptionId, since);
  }

  recentFailureRun(subscriptionId: string, since: Date): Promise<FailureRun> {
    return this.log.recentFailureRun(subscriptionId, since);
  }

  getEvent(eventId: string): Promise<StoredEvent | null> {
    return this.log.getEvent(eventId);
  }

  getDelivery(eventId: string, subscriptionId: string): Promise<DeliveryRecord | null> {
    return this.log.getDelivery(eventId, subscriptionId);
  }

  attemptStats(query: AttemptStatsQuery): Promise<AttemptStats> {
    return this.log.attemptStats(query);
  }

  // Retention

  purge(before: Date): Promise<{ attempts: number; events: number }> {
    return this.retention.purge(before);
  }
}
