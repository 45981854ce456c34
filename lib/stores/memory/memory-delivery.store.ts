import { Injectable } from '@nestjs/common';
import type { AttemptStats, AttemptStatsQuery, QueueSnapshot } from '../../domain/stats';
import type { AttemptCompletion, AttemptQuery, ClaimOptions, DeadLetterQuery, DeliveryLease, EnqueueItem, EnqueueOptions, FailureRun, NewDelivery, RateLimitedClaim, RedriveQuery, WebhookDeliveryStore } from '../../domain/stores';
import { InvalidTransactionError } from '../../domain/webhook.error';
import type { ClaimedDelivery, DeliveryAttempt, DeliveryRecord, StoredEvent } from '../../domain/types';
import { compareAttemptsNewestFirst, page } from '../store.utils';
import { MemoryAttemptLog } from './memory-attempt-log';
import { MemoryDueIndex } from './memory-due-index';
import { MemoryClaims } from './memory-claims';
import { MemoryLanes } from './memory-lanes';
import { MemoryRateBuckets } from './memory-rate-buckets';
import { attemptCopy, frozenEvent, pendingRecord } from './memory-records';

const FINAL = new Set(['delivered', 'dead_letter', 'cancelled']);

/**
 * An event with at most this many deliveries finds one by subscription by looking through them; a larger one keeps
 * them keyed. Most events go to a few subscriptions: a key per delivery was a string and a Map entry (about 160
 * bytes) kept for every delivery, for a lookup only redelivery makes.
 */
const SCANNED_DELIVERIES = 16;

/**
 * The attempt log and delivery queue in process memory. Same semantics as the SQL stores (see the contract
 * tests), with heaps ({@link MemoryDueIndex}) so a claim costs O(log n) however much is pending. Nothing
 * survives a restart. Rate limits are kept within this one process (there is no other to share them with).
 */
@Injectable()
export class MemoryDeliveryStore implements WebhookDeliveryStore {
  private readonly events = new Map<string, StoredEvent>();
  private readonly deliveries = new Map<string, DeliveryRecord>();
  /** Delivery ids by event and subscription, for events with more than {@link SCANNED_DELIVERIES} deliveries (the others are scanned). */
  private readonly deliveryByKey = new Map<string, string>();
  private readonly deliveriesByEvent = new Map<string, string[]>();
  private readonly deadLetters = new Set<string>();
  private readonly log = new MemoryAttemptLog();
  private readonly due = new MemoryDueIndex();
  private readonly lanes = new MemoryLanes(this.deliveries, this.due);
  private readonly claims: MemoryClaims;

  constructor(
    /** The subscriptions' rate limits, live (`MemorySubscriptionStore.rateLimits`); none by default. */
    rateLimits: ReadonlyMap<string, number> = new Map(),
  ) {
    this.claims = new MemoryClaims(this.deliveries, this.events, this.due, new MemoryRateBuckets(rateLimits), this.lanes);
  }

  // The queue

  async enqueue(items: readonly EnqueueItem[], options: EnqueueOptions = {}): Promise<boolean[]> {
    if (options.manager !== undefined) {
      throw new InvalidTransactionError(
        "dispatch() was given a transaction's manager, but store_backend is 'memory', which has no transactions: dispatch without a manager, or use store_backend 'typeorm' on the manager's DataSource",
      );
    }
    return items.map((item) => this.enqueueOne(item.event, item.deliveries));
  }

  claimDue(options: ClaimOptions): Promise<ClaimedDelivery[]> {
    return Promise.resolve(this.claims.claimDue(options));
  }

  claimRateLimited(options: ClaimOptions): Promise<RateLimitedClaim> {
    return Promise.resolve(this.claims.claimRateLimited(options));
  }

  async complete(items: readonly AttemptCompletion[]): Promise<boolean[]> {
    return items.map((c) => this.completeOne(c));
  }

  async leaseByIds(deliveryIds: readonly string[], lease: DeliveryLease, now: Date): Promise<string[]> {
    return this.claims.leaseByIds(deliveryIds, lease, now);
  }

  async requeueDelivery(eventId: string, subscriptionId: string, now: Date): Promise<boolean> {
    const d = this.deliveryOf(eventId, subscriptionId);
    if (!d) return false;
    this.revive(d, now);
    return true;
  }

  async requeueDeadLetters(query: RedriveQuery, now: Date): Promise<number> {
    let n = 0;
    for (const id of [...this.deadLetters]) {
      const d = this.deliveries.get(id)!;
      if (query.subscription_id !== undefined && d.subscription_id !== query.subscription_id) continue;
      const at = (d.last_attempt_id ? this.log.get(d.last_attempt_id)?.attempted_at : undefined) ?? d.updated_at;
      if (query.since && at < query.since) continue;
      if (query.until && at >= query.until) continue;
      this.revive(d, now);
      n++;
    }
    return n;
  }

  async releaseLeases(workerId: string, deliveryIds?: readonly string[]): Promise<number> {
    let n = 0;
    const ids = deliveryIds ?? [...this.deliveries.keys()];
    for (const id of ids) {
      const d = this.deliveries.get(id);
      if (d && d.locked_by === workerId) {
        d.locked_by = null;
        d.locked_until = null;
        if (d.lane != null) this.lanes.leaseEnded(d, false);
        else if (d.status === 'pending') this.due.pushDue(d.subscription_id, d.next_attempt_at.getTime(), id);
        n++;
      }
    }
    return n;
  }

  async queueSnapshot(now: Date): Promise<QueueSnapshot> {
    let pending = 0;
    let oldest = Infinity;
    const t = now.getTime();
    for (const d of this.deliveries.values()) {
      if (d.status !== 'pending') continue;
      pending++;
      const due = d.next_attempt_at.getTime();
      if (due <= t && due < oldest) oldest = due;
    }
    return { pending, oldest_due_at: oldest === Infinity ? null : new Date(oldest), dead_letters: this.deadLetters.size };
  }

  // The log

  async recordAttempt(attempt: DeliveryAttempt): Promise<void> {
    this.log.add(attempt);
  }

  async getAttempt(attemptId: string): Promise<DeliveryAttempt | null> {
    const a = this.log.get(attemptId);
    return a ? attemptCopy(a) : null;
  }

  async getAttempts(query: AttemptQuery = {}): Promise<DeliveryAttempt[]> {
    return this.log.list(query);
  }

  async getDeadLetters(query: DeadLetterQuery = {}): Promise<DeliveryAttempt[]> {
    const out: DeliveryAttempt[] = [];
    for (const id of this.deadLetters) {
      const d = this.deliveries.get(id)!;
      if (query.subscription_id !== undefined && d.subscription_id !== query.subscription_id) continue;
      const a = d.last_attempt_id ? this.log.get(d.last_attempt_id) : undefined;
      // Keyset: only those listed after the cursor, newest first.
      if (a && !(query.before && compareAttemptsNewestFirst(query.before, a) >= 0)) out.push(a);
    }
    return page(out.sort(compareAttemptsNewestFirst), query).map(attemptCopy);
  }

  async countDeadLetters(query: Pick<DeadLetterQuery, 'subscription_id'> = {}): Promise<number> {
    if (query.subscription_id === undefined) return this.deadLetters.size;
    let n = 0;
    for (const id of this.deadLetters) if (this.deliveries.get(id)?.subscription_id === query.subscription_id) n++;
    return n;
  }

  async countRecentFailures(subscriptionId: string, since: Date): Promise<number> {
    return this.log.failureRun(subscriptionId, since).failures;
  }

  async recentFailureRun(subscriptionId: string, since: Date): Promise<FailureRun> {
    return this.log.failureRun(subscriptionId, since);
  }

  async getEvent(eventId: string): Promise<StoredEvent | null> {
    return this.events.get(eventId) ?? null;
  }

  async getDelivery(eventId: string, subscriptionId: string): Promise<DeliveryRecord | null> {
    const d = this.deliveryOf(eventId, subscriptionId);
    return d ? { ...d } : null;
  }

  async attemptStats(query: AttemptStatsQuery): Promise<AttemptStats> {
    return this.log.stats(query);
  }

  // Retention

  async purge(before: Date): Promise<{ attempts: number; events: number }> {
    const attempts = this.log.purge(before);
    let events = 0;
    for (const [eventId, event] of this.events) {
      if (event.created_at >= before) continue;
      const ids = this.deliveriesByEvent.get(eventId) ?? [];
      if (!ids.every((id) => FINAL.has(this.deliveries.get(id)?.status ?? 'cancelled'))) continue;
      for (const id of ids) {
        const d = this.deliveries.get(id);
        if (d) this.deliveryByKey.delete(key(d.event_id, d.subscription_id));
        this.deliveries.delete(id);
        this.lanes.forget(id);
        this.deadLetters.delete(id);
      }
      this.deliveriesByEvent.delete(eventId);
      this.events.delete(eventId);
      events++;
    }
    return { attempts, events };
  }

  private enqueueOne(event: StoredEvent, deliveries: readonly NewDelivery[]): boolean {
    if (this.events.has(event.event_id)) return false;
    this.events.set(event.event_id, frozenEvent(event));
    const ids: string[] = [];
    for (const d of deliveries) {
      const record = pendingRecord(event, d);
      this.deliveries.set(record.delivery_id, record);
      if (deliveries.length > SCANNED_DELIVERIES) this.deliveryByKey.set(key(event.event_id, d.subscription_id), record.delivery_id);
      // Leased: claimable again only once the lease expires (then its due entry is made from the lease entry).
      if (record.locked_until) this.due.pushLease(record.locked_until.getTime(), record.delivery_id);
      else if (record.lane != null) this.lanes.join(record);
      else this.due.pushDue(record.subscription_id, record.next_attempt_at.getTime(), record.delivery_id);
      ids.push(record.delivery_id);
    }
    this.deliveriesByEvent.set(event.event_id, ids);
    return true;
  }

  /** The delivery of `eventId` to `subscriptionId`, if stored. */
  private deliveryOf(eventId: string, subscriptionId: string): DeliveryRecord | undefined {
    const ids = this.deliveriesByEvent.get(eventId);
    if (!ids) return undefined;
    if (ids.length > SCANNED_DELIVERIES) {
      const id = this.deliveryByKey.get(key(eventId, subscriptionId));
      return id === undefined ? undefined : this.deliveries.get(id);
    }
    for (const id of ids) {
      const d = this.deliveries.get(id);
      if (d?.subscription_id === subscriptionId) return d;
    }
    return undefined;
  }

  private completeOne({ delivery_id: deliveryId, worker_id: workerId, attempt, next }: AttemptCompletion): boolean {
    this.log.add(attempt);
    const d = this.deliveries.get(deliveryId);
    if (!d || d.locked_by !== workerId) return false;
    d.locked_by = null;
    d.locked_until = null;
    d.attempts = attempt.attempt_number;
    d.last_attempt_id = attempt.attempt_id;
    d.updated_at = attempt.attempted_at;
    d.status = next.status;
    this.deadLetters.delete(deliveryId);
    if (next.status === 'pending') d.next_attempt_at = next.next_attempt_at;
    else if (next.status === 'dead_letter') this.deadLetters.add(deliveryId);
    // A retry keeps its lane's turn; any other outcome passes it on.
    if (d.lane != null) this.lanes.leaseEnded(d, next.status !== 'pending');
    else if (next.status === 'pending') this.due.pushDue(d.subscription_id, d.next_attempt_at.getTime(), deliveryId);
    return true;
  }

  private revive(d: DeliveryRecord, now: Date): void {
    d.status = 'pending';
    d.attempts = 0;
    d.next_attempt_at = now;
    d.locked_by = null;
    d.locked_until = null;
    d.updated_at = now;
    this.deadLetters.delete(d.delivery_id);
    if (d.lane != null) this.lanes.rejoin(d);
    else this.due.pushDue(d.subscription_id, now.getTime(), d.delivery_id);
  }
}

function key(eventId: string, subscriptionId: string): string {
  return `${eventId}\n${subscriptionId}`;
}
