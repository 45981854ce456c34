import { Injectable } from '@nestjs/common';
import type { AttemptStats, AttemptStatsQuery, QueueSnapshot } from '../../domain/stats';
import type { AttemptCompletion, AttemptQuery, ClaimOptions, DeadLetterQuery, EnqueueItem, FailureRun, NewDelivery, RedriveQuery, WebhookDeliveryStore } from '../../domain/stores';
import type { ClaimedDelivery, DeliveryAttempt, DeliveryRecord, StoredEvent } from '../../domain/types';
import { compareAttemptsNewestFirst, page } from '../store.utils';
import { MemoryAttemptLog } from './memory-attempt-log';
import { MemoryDueIndex } from './memory-due-index';
import { frozenEvent, pendingRecord } from './memory-records';

const FINAL = new Set(['delivered', 'dead_letter', 'cancelled']);

/**
 * The attempt log and delivery queue in process memory. Same semantics as the SQL stores (see the contract
 * tests), with heaps ({@link MemoryDueIndex}) so a claim costs O(log n) however much is pending. Nothing
 * survives a restart.
 */
@Injectable()
export class MemoryDeliveryStore implements WebhookDeliveryStore {
  private readonly events = new Map<string, StoredEvent>();
  private readonly deliveries = new Map<string, DeliveryRecord>();
  private readonly deliveryByKey = new Map<string, string>();
  private readonly deliveriesByEvent = new Map<string, string[]>();
  private readonly deadLetters = new Set<string>();
  private readonly log = new MemoryAttemptLog();
  private readonly due = new MemoryDueIndex();

  // The queue

  async enqueue(items: readonly EnqueueItem[]): Promise<boolean[]> {
    return items.map((item) => this.enqueueOne(item.event, item.deliveries));
  }

  async claimDue(options: ClaimOptions): Promise<ClaimedDelivery[]> {
    const now = options.now.getTime();
    this.due.popExpiredLeases(now, (id) => {
      const d = this.deliveries.get(id);
      if (d && d.status === 'pending' && d.locked_until && d.locked_until.getTime() <= now) {
        d.locked_until = null;
        d.locked_by = null;
        this.due.pushDue(d.subscription_id, d.next_attempt_at.getTime(), id);
      }
    });
    const claimed: ClaimedDelivery[] = [];
    const lockedUntil = new Date(now + options.lease_ms);
    const request = { now, limit: options.limit, per_subscription: options.per_subscription_limit ?? Infinity, excluded: new Set(options.exclude_subscription_ids ?? []) };
    this.due.claim(request, (id) => {
      const d = this.deliveries.get(id);
      if (!claimable(d, now)) return false;
      const event = this.events.get(d.event_id);
      if (!event) return false;
      d.locked_until = lockedUntil;
      d.locked_by = options.worker_id;
      d.updated_at = options.now;
      this.due.pushLease(lockedUntil.getTime(), id);
      claimed.push({ delivery: { ...d }, event });
      return true;
    });
    return claimed;
  }

  async complete(items: readonly AttemptCompletion[]): Promise<boolean[]> {
    return items.map((c) => this.completeOne(c));
  }

  async requeueDelivery(eventId: string, subscriptionId: string, now: Date): Promise<boolean> {
    const id = this.deliveryByKey.get(key(eventId, subscriptionId));
    const d = id ? this.deliveries.get(id) : undefined;
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
        if (d.status === 'pending') this.due.pushDue(d.subscription_id, d.next_attempt_at.getTime(), id);
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
    return a ? { ...a } : null;
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
      if (a) out.push(a);
    }
    return page(out.sort(compareAttemptsNewestFirst), query).map((a) => ({ ...a }));
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
    const id = this.deliveryByKey.get(key(eventId, subscriptionId));
    const d = id ? this.deliveries.get(id) : undefined;
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
      this.deliveryByKey.set(key(event.event_id, d.subscription_id), record.delivery_id);
      // Leased: claimable again only once the lease expires (then its due entry is made from the lease entry).
      if (d.lease) this.due.pushLease(d.lease.until.getTime(), record.delivery_id);
      else this.due.pushDue(record.subscription_id, record.next_attempt_at.getTime(), record.delivery_id);
      ids.push(record.delivery_id);
    }
    this.deliveriesByEvent.set(event.event_id, ids);
    return true;
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
    if (next.status === 'pending') {
      d.next_attempt_at = next.next_attempt_at;
      this.due.pushDue(d.subscription_id, d.next_attempt_at.getTime(), deliveryId);
    } else if (next.status === 'dead_letter') {
      this.deadLetters.add(deliveryId);
    }
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
    this.due.pushDue(d.subscription_id, now.getTime(), d.delivery_id);
  }
}

/** Whether a delivery id handed back by the due index is still claimable now. */
function claimable(d: DeliveryRecord | undefined, now: number): d is DeliveryRecord {
  return !!d && d.status === 'pending' && !(d.locked_until && d.locked_until.getTime() > now) && d.next_attempt_at.getTime() <= now;
}

function key(eventId: string, subscriptionId: string): string {
  return `${eventId}\n${subscriptionId}`;
}
