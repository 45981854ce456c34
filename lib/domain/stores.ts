import type { AttemptStats, AttemptStatsQuery, QueueSnapshot } from './stats';
import type {
  ClaimedDelivery,
  DeliveryAttempt,
  DeliveryRecord,
  DeliveryStatus,
  DeliveryTransition,
  StoredEvent,
  WebhookSubscription,
} from './types';

/** Filters of {@link WebhookSubscriptionStore.list}. */
export interface SubscriptionListQuery {
  /** Only active subscriptions (default true). */
  active_only?: boolean;
  /** Exactly this active state (overrides `active_only`). */
  active?: boolean;
  /** Subscriptions that would receive this event type (null event_types, exact name or wildcard). */
  event_type?: string;
  tenant_id?: string;
  /** Default 100. */
  limit?: number;
  /** Default 0. */
  offset?: number;
}

/** Persistence of subscriptions. Implementations: memory, TypeORM. */
export interface WebhookSubscriptionStore {
  create(sub: WebhookSubscription): Promise<WebhookSubscription>;
  get(id: string): Promise<WebhookSubscription | null>;
  /** Oldest first (created_at, then id) so paging is stable. */
  list(query?: SubscriptionListQuery): Promise<WebhookSubscription[]>;
  count(query?: Pick<SubscriptionListQuery, 'active' | 'tenant_id'>): Promise<number>;
  /** Replaces the stored subscription; returns null when it does not exist. */
  update(sub: WebhookSubscription): Promise<WebhookSubscription | null>;
  /** True when something was deleted. */
  delete(id: string): Promise<boolean>;
}

/** What {@link DeliveryLog.recentFailureRun} finds. */
export interface FailureRun {
  failures: number;
  last_success_at: Date | null;
}

/** Filters of {@link DeliveryLog.getAttempts}. */
export interface AttemptQuery {
  subscription_id?: string;
  event_id?: string;
  status?: DeliveryStatus;
  event_type?: string;
  /** Attempted at or after. */
  since?: Date;
  /** Attempted before. */
  until?: Date;
  /** Default 100. */
  limit?: number;
  /** Default 0. */
  offset?: number;
}

/** Filters of {@link DeliveryLog.getDeadLetters}. */
export interface DeadLetterQuery {
  subscription_id?: string;
  limit?: number;
  offset?: number;
}

/** Which dead letters a redrive revives. */
export interface RedriveQuery {
  subscription_id?: string;
  /** Dead-lettered at or after. */
  since?: Date;
  /** Dead-lettered before. */
  until?: Date;
}

/** Arguments of {@link DeliveryQueue.claimDue}. */
export interface ClaimOptions {
  worker_id: string;
  limit: number;
  lease_ms: number;
  now: Date;
  /** Subscriptions whose deliveries must not be claimed now (endpoint at its concurrency cap). */
  exclude_subscription_ids?: readonly string[];
  /** At most this many deliveries of any one subscription in this claim (fairness between endpoints). */
  per_subscription_limit?: number;
}

/** A delivery to create with its event. */
export interface NewDelivery {
  delivery_id: string;
  subscription_id: string;
  /**
   * Created already leased (as if claimed by `worker_id` until `until`): the dispatching process's worker sends
   * it without a claim. If that process dies, the lease expires and any replica claims it, like any other.
   */
  lease?: DeliveryLease | null;
}

/** Who holds a delivery, and until when. */
export interface DeliveryLease {
  worker_id: string;
  until: Date;
}

/** One finished attempt and the delivery's next state, for {@link DeliveryQueue.complete}. */
export interface AttemptCompletion {
  delivery_id: string;
  worker_id: string;
  attempt: DeliveryAttempt;
  next: DeliveryTransition;
}

/** One event and its deliveries, for {@link DeliveryQueue.enqueue}. */
export interface EnqueueItem {
  event: StoredEvent;
  deliveries: NewDelivery[];
}

/**
 * The delivery queue: what `dispatch()` and the delivery engine use. Every backend keeps the same semantics
 * (see the store contract tests): a delivery is held by one claimer at a time, and a state change applies only
 * while its claimer still holds the lease.
 */
export interface DeliveryQueue {
  /**
   * Stores events with their deliveries in one transaction, all due at their event's `created_at` (leased to
   * `lease.worker_id` for those that carry a lease). Returns, per item, whether its event was new: a repeated id
   * (already stored, or earlier in the same batch) writes nothing for that item.
   */
  enqueue(items: readonly EnqueueItem[]): Promise<boolean[]>;
  /**
   * Leases up to `limit` pending deliveries that are due and not leased (or whose lease expired), oldest due
   * first. A delivery is held by one claimer at a time.
   */
  claimDue(options: ClaimOptions): Promise<ClaimedDelivery[]>;
  /**
   * Logs each attempt and moves its delivery to the next state, releasing the lease, in one transaction. A state
   * change applies only while `worker_id` still holds the lease; returns, per item, whether it applied.
   */
  complete(items: readonly AttemptCompletion[]): Promise<boolean[]>;
  /** Makes one delivery due now with a fresh retry cycle (whatever its state). False when it does not exist. */
  requeueDelivery(eventId: string, subscriptionId: string, now: Date): Promise<boolean>;
  /** Revives dead letters matching the query; returns how many. */
  requeueDeadLetters(query: RedriveQuery, now: Date): Promise<number>;
  /** Drops the leases this worker holds (all, or those listed) so others may claim them at once. */
  releaseLeases(workerId: string, deliveryIds?: readonly string[]): Promise<number>;
  /** Pending deliveries, the oldest due one, and dead letters: a few indexed reads (gauges, health). */
  queueSnapshot(now: Date): Promise<QueueSnapshot>;
}

/** The attempt log and what operators read: the admin API, auto-disable. */
export interface DeliveryLog {
  /** Appends one attempt to the log (no queue change): attempts made outside the queue, such as test sends. */
  recordAttempt(attempt: DeliveryAttempt): Promise<void>;
  getAttempt(attemptId: string): Promise<DeliveryAttempt | null>;
  /** Newest first. */
  getAttempts(query?: AttemptQuery): Promise<DeliveryAttempt[]>;
  /** The last attempt of each delivery currently dead-lettered, newest first. */
  getDeadLetters(query?: DeadLetterQuery): Promise<DeliveryAttempt[]>;
  countDeadLetters(query?: Pick<DeadLetterQuery, 'subscription_id'>): Promise<number>;
  /** Failed attempts of the subscription since `since` and after its last success. */
  countRecentFailures(subscriptionId: string, since: Date): Promise<number>;
  /**
   * The same count, with the last success at or after `since` (null when none) that started the run: a run of
   * failures is told from the next one by it (early warnings are reported once per run).
   */
  recentFailureRun(subscriptionId: string, since: Date): Promise<FailureRun>;
  /** An accepted event with its body as sent, until it is purged. */
  getEvent(eventId: string): Promise<StoredEvent | null>;
  /** The queue state of one event's delivery to one subscription. */
  getDelivery(eventId: string, subscriptionId: string): Promise<DeliveryRecord | null>;
  /** Endpoint health over a range: counts, estimated p50/p95, last success, the current run of failures, a series. */
  attemptStats(query: AttemptStatsQuery): Promise<AttemptStats>;
}

/** Retention: what the scheduled purge deletes. */
export interface DeliveryRetention {
  /**
   * Deletes attempts older than `before` (and the stats of the 5-minute slices that ended by then), and events
   * (with their deliveries) finished before it.
   */
  purge(before: Date): Promise<{ attempts: number; events: number }>;
}

/** Everything the delivery store does, by role: the queue, the log, retention. */
export interface WebhookDeliveryStore extends DeliveryQueue, DeliveryLog, DeliveryRetention {}
