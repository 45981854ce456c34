import { Injectable } from '@nestjs/common';
import type {
  AttemptCompletion,
  AttemptQuery,
  EnqueueItem,
  ClaimOptions,
  DeadLetterQuery,
  NewDelivery,
  RedriveQuery,
  WebhookDeliveryStore,
} from '../../domain/stores';
import type { ClaimedDelivery, DeliveryAttempt, DeliveryRecord, DeliveryTransition, StoredEvent } from '../../domain/types';
import { compareAttemptsNewestFirst, page } from '../store.utils';
import { BinaryHeap } from './binary-heap';

const FINAL = new Set(['delivered', 'dead_letter', 'cancelled']);

/**
 * The attempt log and delivery queue in process memory. Same semantics as the SQL stores (see the contract
 * tests), with heaps so a claim costs O(log n) however much is pending. Nothing survives a restart.
 */
@Injectable()
export class MemoryDeliveryStore implements WebhookDeliveryStore {
  private readonly events = new Map<string, StoredEvent>();
  private readonly deliveries = new Map<string, DeliveryRecord>();
  private readonly deliveryByKey = new Map<string, string>();
  private readonly deliveriesByEvent = new Map<string, string[]>();
  private readonly attempts = new Map<string, DeliveryAttempt>();
  private readonly attemptsBySubscription = new Map<string, DeliveryAttempt[]>();
  private readonly deadLetters = new Set<string>();
  /** Pending deliveries by next_attempt_at, one heap per subscription; stale entries are skipped on pop. */
  private readonly dueBySubscription = new Map<string, BinaryHeap<string>>();
  /** Subscriptions by the earliest key of their heap (entries may be stale: re-checked on pop). */
  private readonly subscriptionsByDue = new BinaryHeap<string>();
  /** Leased deliveries by locked_until, to reclaim expired leases. */
  private readonly leases = new BinaryHeap<string>();

  async recordAttempt(attempt: DeliveryAttempt): Promise<void> {
    this.addAttempt(attempt);
  }

  async getAttempt(attemptId: string): Promise<DeliveryAttempt | null> {
    const a = this.attempts.get(attemptId);
    return a ? { ...a } : null;
  }

  async getAttempts(query: AttemptQuery = {}): Promise<DeliveryAttempt[]> {
    const source = query.subscription_id !== undefined ? (this.attemptsBySubscription.get(query.subscription_id) ?? []) : [...this.attempts.values()];
    const matches = source.filter(
      (a) => (query.event_id === undefined || a.event_id === query.event_id) && (query.status === undefined || a.status === query.status),
    );
    return page(matches.sort(compareAttemptsNewestFirst), query).map((a) => ({ ...a }));
  }

  async getDeadLetters(query: DeadLetterQuery = {}): Promise<DeliveryAttempt[]> {
    return page(this.deadLetterAttempts(query.subscription_id).sort(compareAttemptsNewestFirst), query).map((a) => ({ ...a }));
  }

  async countDeadLetters(query: Pick<DeadLetterQuery, 'subscription_id'> = {}): Promise<number> {
    if (query.subscription_id === undefined) return this.deadLetters.size;
    let n = 0;
    for (const id of this.deadLetters) if (this.deliveries.get(id)?.subscription_id === query.subscription_id) n++;
    return n;
  }

  async countRecentFailures(subscriptionId: string, since: Date): Promise<number> {
    const list = this.attemptsBySubscription.get(subscriptionId) ?? [];
    let lastSuccess = -Infinity;
    for (const a of list) if (a.status === 'delivered') lastSuccess = Math.max(lastSuccess, a.attempted_at.getTime());
    let n = 0;
    for (const a of list) {
      const t = a.attempted_at.getTime();
      if ((a.status === 'failed' || a.status === 'dead_letter') && t >= since.getTime() && t > lastSuccess) n++;
    }
    return n;
  }

  async enqueue(event: StoredEvent, deliveries: NewDelivery[]): Promise<boolean> {
    if (this.events.has(event.event_id)) return false;
    // A literal of fixed shape: a spread copy gets its own hidden class, tripling its size per pending event.
    this.events.set(
      event.event_id,
      Object.freeze({ event_id: event.event_id, event_type: event.event_type, body: event.body, occurred_at: event.occurred_at, source: event.source, created_at: event.created_at }),
    );
    const ids: string[] = [];
    for (const d of deliveries) {
      const record: DeliveryRecord = {
        delivery_id: d.delivery_id,
        event_id: event.event_id,
        subscription_id: d.subscription_id,
        event_type: event.event_type,
        status: 'pending',
        attempts: 0,
        next_attempt_at: event.created_at,
        locked_until: d.lease?.until ?? null,
        locked_by: d.lease?.worker_id ?? null,
        last_attempt_id: null,
        created_at: event.created_at,
        updated_at: event.created_at,
      };
      this.deliveries.set(record.delivery_id, record);
      this.deliveryByKey.set(key(event.event_id, d.subscription_id), record.delivery_id);
      // Leased: claimable again only once the lease expires (then its due entry is made by the lease heap).
      if (d.lease) this.leases.push(d.lease.until.getTime(), record.delivery_id);
      else this.pushDue(record.subscription_id, record.next_attempt_at.getTime(), record.delivery_id);
      ids.push(record.delivery_id);
    }
    this.deliveriesByEvent.set(event.event_id, ids);
    return true;
  }

  async enqueueMany(items: readonly EnqueueItem[]): Promise<boolean[]> {
    const out: boolean[] = [];
    for (const item of items) out.push(await this.enqueue(item.event, item.deliveries));
    return out;
  }

  async getEvent(eventId: string): Promise<StoredEvent | null> {
    return this.events.get(eventId) ?? null;
  }

  async getDelivery(eventId: string, subscriptionId: string): Promise<DeliveryRecord | null> {
    const id = this.deliveryByKey.get(key(eventId, subscriptionId));
    const d = id ? this.deliveries.get(id) : undefined;
    return d ? { ...d } : null;
  }

  async claimDue(options: ClaimOptions): Promise<ClaimedDelivery[]> {
    const now = options.now.getTime();
    this.reclaimExpiredLeases(now);
    const excluded = new Set(options.exclude_subscription_ids ?? []);
    const perSubscription = options.per_subscription_limit ?? Infinity;
    const setAside: Array<[number, string]> = [];
    const visited = new Set<string>();
    const claimed: ClaimedDelivery[] = [];
    const lockedUntil = new Date(now + options.lease_ms);
    // Visit subscriptions in order of their earliest due delivery, taking up to the per-subscription limit
    // from each: a subscription's backlog never has to be scanned to reach the others.
    while (claimed.length < options.limit && (this.subscriptionsByDue.peekKey() ?? Infinity) <= now) {
      const key = this.subscriptionsByDue.peekKey()!;
      const subscriptionId = this.subscriptionsByDue.pop()!;
      const heap = this.dueBySubscription.get(subscriptionId);
      // Stale entry (a fresher one is queued, the heap is empty, or this claim already took from it).
      if (!heap || heap.peekKey() !== key || visited.has(subscriptionId)) continue;
      visited.add(subscriptionId);
      if (excluded.has(subscriptionId)) {
        setAside.push([key, subscriptionId]);
        continue;
      }
      let taken = 0;
      while (taken < perSubscription && claimed.length < options.limit && (heap.peekKey() ?? Infinity) <= now) {
        const id = heap.pop()!;
        const d = this.deliveries.get(id);
        if (!this.claimable(d, now)) continue;
        const event = this.events.get(d.event_id);
        if (!event) continue;
        d.locked_until = lockedUntil;
        d.locked_by = options.worker_id;
        d.updated_at = options.now;
        this.leases.push(lockedUntil.getTime(), id);
        claimed.push({ delivery: { ...d }, event });
        taken++;
      }
      const next = heap.peekKey();
      if (next === undefined) this.dueBySubscription.delete(subscriptionId);
      else setAside.push([next, subscriptionId]);
    }
    for (const [at, subscriptionId] of setAside) this.subscriptionsByDue.push(at, subscriptionId);
    return claimed;
  }

  async completeAttempt(deliveryId: string, workerId: string, attempt: DeliveryAttempt, next: DeliveryTransition): Promise<boolean> {
    this.addAttempt(attempt);
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
      this.pushDue(d.subscription_id, d.next_attempt_at.getTime(), deliveryId);
    } else if (next.status === 'dead_letter') {
      this.deadLetters.add(deliveryId);
    }
    return true;
  }

  async completeAttempts(items: readonly AttemptCompletion[]): Promise<boolean[]> {
    const out: boolean[] = [];
    for (const c of items) out.push(await this.completeAttempt(c.delivery_id, c.worker_id, c.attempt, c.next));
    return out;
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
      const at = (d.last_attempt_id ? this.attempts.get(d.last_attempt_id)?.attempted_at : undefined) ?? d.updated_at;
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
        if (d.status === 'pending') this.pushDue(d.subscription_id, d.next_attempt_at.getTime(), id);
        n++;
      }
    }
    return n;
  }

  async purge(before: Date): Promise<{ attempts: number; events: number }> {
    let attempts = 0;
    for (const [id, a] of this.attempts) {
      if (a.attempted_at < before) {
        this.attempts.delete(id);
        attempts++;
      }
    }
    for (const [sub, list] of this.attemptsBySubscription) {
      const kept = list.filter((a) => a.attempted_at >= before);
      if (kept.length) this.attemptsBySubscription.set(sub, kept);
      else this.attemptsBySubscription.delete(sub);
    }
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

  async nextDueAt(): Promise<Date | null> {
    let earliest: number | null = null;
    for (const d of this.deliveries.values()) {
      if (d.status !== 'pending') continue;
      const t = Math.max(d.next_attempt_at.getTime(), d.locked_until?.getTime() ?? 0);
      if (earliest === null || t < earliest) earliest = t;
    }
    return earliest === null ? null : new Date(earliest);
  }

  private addAttempt(attempt: DeliveryAttempt): void {
    const copy = { ...attempt };
    this.attempts.set(copy.attempt_id, copy);
    let list = this.attemptsBySubscription.get(copy.subscription_id);
    if (!list) this.attemptsBySubscription.set(copy.subscription_id, (list = []));
    list.push(copy);
  }

  private deadLetterAttempts(subscriptionId?: string): DeliveryAttempt[] {
    const out: DeliveryAttempt[] = [];
    for (const id of this.deadLetters) {
      const d = this.deliveries.get(id)!;
      if (subscriptionId !== undefined && d.subscription_id !== subscriptionId) continue;
      const a = d.last_attempt_id ? this.attempts.get(d.last_attempt_id) : undefined;
      if (a) out.push(a);
    }
    return out;
  }

  private revive(d: DeliveryRecord, now: Date): void {
    d.status = 'pending';
    d.attempts = 0;
    d.next_attempt_at = now;
    d.locked_by = null;
    d.locked_until = null;
    d.updated_at = now;
    this.deadLetters.delete(d.delivery_id);
    this.pushDue(d.subscription_id, now.getTime(), d.delivery_id);
  }

  private reclaimExpiredLeases(now: number): void {
    while ((this.leases.peekKey() ?? Infinity) <= now) {
      const id = this.leases.pop()!;
      const d = this.deliveries.get(id);
      if (d && d.status === 'pending' && d.locked_until && d.locked_until.getTime() <= now) {
        d.locked_until = null;
        d.locked_by = null;
        this.pushDue(d.subscription_id, d.next_attempt_at.getTime(), id);
      }
    }
  }

  private pushDue(subscriptionId: string, at: number, deliveryId: string): void {
    let heap = this.dueBySubscription.get(subscriptionId);
    if (!heap) this.dueBySubscription.set(subscriptionId, (heap = new BinaryHeap<string>()));
    const before = heap.peekKey();
    heap.push(at, deliveryId);
    if (before === undefined || at < before) this.subscriptionsByDue.push(at, subscriptionId);
  }

  /** Whether a delivery id popped from a heap is still claimable now. */
  private claimable(d: DeliveryRecord | undefined, now: number): d is DeliveryRecord {
    return !!d && d.status === 'pending' && !(d.locked_until && d.locked_until.getTime() > now) && d.next_attempt_at.getTime() <= now;
  }
}

function key(eventId: string, subscriptionId: string): string {
  return `${eventId}\n${subscriptionId}`;
}
