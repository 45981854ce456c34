import type { WebhookFilter } from './filter/webhook-filter';
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
  /** Only this customer's. */ tenant_id?: string;
  /** Default 100. */
  limit?: number;
  /** Default 0. Prefer `after`: an offset costs what it skips. */
  offset?: number;
  /** Keyset paging: only subscriptions listed after this one (the last of the previous page). */
  after?: SubscriptionCursor;
}

/** Where a subscription stands in list order (created_at, then id). */
export interface SubscriptionCursor {
  /** `created_at` of the last one seen. */ created_at: Date;
  /** Id of the last one seen. */ subscription_id: string;
}

/**
 * What a process-local index of subscriptions holds (see `SubscriptionIndex`): what `dispatch()` needs to know of
 * an active subscription to match an event to it and to hand the delivery over (null where not set).
 */
export interface SubscriptionIndexEntry {
  /** The subscription. */ subscription_id: string;
  /** Its customer. */ tenant_id: string | null;
  /** Its event types; null for all. */ event_types: string[] | null;
  /** Its payload filter. */ filter: WebhookFilter | null;
  /** Its concurrency override. */ max_concurrent_per_endpoint: number | null;
  /** Its rate limit. */ rate_limit_per_second: number | null;
  /** Whether it delivers in order. */ ordered: boolean;
}

/** One change to a subscription (created, updated or deleted), in the order they were written. */
export interface SubscriptionChange {
  /** Increasing (gaps are possible: a rolled-back write, or one not committed yet). */
  change_id: number;
  /** The subscription that changed. */ subscription_id: string;
}

/** Persistence of subscriptions. Implementations: memory, TypeORM. */
export interface WebhookSubscriptionStore {
  /** Stores a new subscription. */ create(sub: WebhookSubscription): Promise<WebhookSubscription>;
  /** Creates several at once, all or nothing (one transaction); a repeated or existing id refuses them all. */
  createMany(subs: readonly WebhookSubscription[]): Promise<WebhookSubscription[]>;
  /** One subscription, or null. */ get(id: string): Promise<WebhookSubscription | null>;
  /** The subscriptions of these ids that exist, in no particular order (one query for many: sending reads them). */
  getMany(ids: readonly string[]): Promise<WebhookSubscription[]>;
  /** Oldest first (created_at, then id) so paging is stable; page by `after` so that every page costs the same. */
  list(query?: SubscriptionListQuery): Promise<WebhookSubscription[]>;
  /** How many match. */ count(query?: Pick<SubscriptionListQuery, 'active' | 'tenant_id'>): Promise<number>;
  /** Replaces the stored subscription; returns null when it does not exist. */
  update(sub: WebhookSubscription): Promise<WebhookSubscription | null>;
  /** True when something was deleted. */
  delete(id: string): Promise<boolean>;
  /**
   * The active subscriptions that receive an event of `event_type` (of `tenant_id` only, when not null), from an
   * index: its cost follows the matches, not the subscriptions that cannot match (a tenant's subscriptions are
   * found by tenant). Order unspecified.
   */
  match(query: { event_type: string; tenant_id: string | null }): Promise<WebhookSubscription[]>;
  /** Index entries of the active subscriptions, by id after `after` (keyset), `limit` at most: to build an index. */
  scanActive(after: string | null, limit: number): Promise<SubscriptionIndexEntry[]>;
  /** The index entries of those of `ids` that exist and are active. */
  activeEntries(ids: readonly string[]): Promise<SubscriptionIndexEntry[]>;
  /** Changes written after change `after` (0: from the oldest kept), oldest first, `limit` at most. */
  changesSince(after: number, limit: number): Promise<SubscriptionChange[]>;
  /** The newest change id (0 when none): where to follow changes from. */
  lastChangeId(): Promise<number>;
  /** Deletes changes written before `before`; returns how many. */
  purgeChanges(before: Date): Promise<number>;
  /**
   * Stores that keep secrets at rest encrypted (`secret_encryption_keys`): re-encrypts every stored secret and
   * header value with the first key; returns how many subscriptions were rewritten. Absent: nothing is kept at
   * rest (the memory store).
   */
  reencryptSecrets?(): Promise<number>;
}

/** What {@link DeliveryLog.recentFailureRun} finds. */
export interface FailureRun {
  /** Failures since the last success. */ failures: number;
  /** The last success; null if none. */ last_success_at: Date | null;
}

/** Filters of {@link DeliveryLog.getAttempts}. */
export interface AttemptQuery {
  /** Only this endpoint's. */ subscription_id?: string;
  /** Only this event's. */ event_id?: string;
  /** Only attempts with this status. */ status?: DeliveryStatus;
  /** Only this event type's. */ event_type?: string;
  /** Attempted at or after. */
  since?: Date;
  /** Attempted before. */
  until?: Date;
  /** Default 100. */
  limit?: number;
  /** Default 0. Prefer `before`: an offset costs what it skips. */
  offset?: number;
  /** Keyset paging: only attempts listed after this one (the last of the previous page), i.e. older. */
  before?: AttemptCursor;
}

/** Where an attempt stands in log order (newest first: attempted_at, attempt_number, attempt_id, descending). */
export interface AttemptCursor {
  /** Of the last attempt seen. */ attempted_at: Date;
  /** Of the last attempt seen. */ attempt_number: number;
  /** Of the last attempt seen. */ attempt_id: string;
}

/** Filters of {@link DeliveryLog.getDeadLetters}. */
export interface DeadLetterQuery {
  /** Only this endpoint's. */ subscription_id?: string;
  /** Page size. */ limit?: number;
  /** Rows to skip. */ offset?: number;
  /** Keyset paging, as in {@link AttemptQuery.before}. */
  before?: AttemptCursor;
}

/** Which dead letters a redrive revives. */
export interface RedriveQuery {
  /** Only this endpoint's. */ subscription_id?: string;
  /** Dead-lettered at or after. */
  since?: Date;
  /** Dead-lettered before. */
  until?: Date;
}

/** Arguments of {@link DeliveryQueue.claimDue}. */
export interface ClaimOptions {
  /** The claiming worker. */ worker_id: string;
  /** Most deliveries to claim. */ limit: number;
  /** Lease length, milliseconds. */ lease_ms: number;
  /** The current time. */ now: Date;
  /** Subscriptions whose deliveries must not be claimed now (endpoint at its concurrency cap). */
  exclude_subscription_ids?: readonly string[];
  /** At most this many deliveries of any one subscription in this claim (fairness between endpoints). */
  per_subscription_limit?: number;
  /** Per-subscription exceptions to `per_subscription_limit` (endpoints with their own concurrency cap). */
  per_subscription_limits?: ReadonlyMap<string, number>;
}

/** What {@link DeliveryQueue.claimRateLimited} took, and when a claim would find more. */
export interface RateLimitedClaim {
  /** The deliveries claimed. */ claimed: ClaimedDelivery[];
  /**
   * The earliest time at which a rate-limited subscription that still has due deliveries gets its next token
   * (as far as this claim could see: a bucket another claimer held at that moment is left out); null when none
   * waits for a token.
   */
  next_at: Date | null;
}

/** A delivery to create with its event. */
export interface NewDelivery {
  /** Generated id. */ delivery_id: string;
  /** The endpoint. */ subscription_id: string;
  /**
   * Created already leased (as if claimed by `worker_id` until `until`): the dispatching process's worker sends
   * it without a claim. If that process dies, the lease expires and any replica claims it, like any other.
   */
  lease?: DeliveryLease | null;
  /**
   * Its ordering lane (see `DeliveryRecord.lane`), for a subscription with `ordered: true`; null or omitted for
   * none. A laned delivery is never stored leased: only a claim may start it, when its turn has come.
   */
  lane?: string | null;
}

/** Who holds a delivery, and until when. */
export interface DeliveryLease {
  /** The worker holding it. */ worker_id: string;
  /** When it ends. */ until: Date;
}

/** One finished attempt and the delivery's next state, for {@link DeliveryQueue.complete}. */
export interface AttemptCompletion {
  /** The delivery tried. */ delivery_id: string;
  /** The worker that holds its lease. */ worker_id: string;
  /** The attempt to log. */ attempt: DeliveryAttempt;
  /** The delivery's next state. */ next: DeliveryTransition;
}

/** Where {@link DeliveryQueue.enqueue} writes: by default in a transaction of its own. */
export interface EnqueueOptions {
  /**
   * A TypeORM `EntityManager` inside a running transaction of the store's DataSource: the events and their
   * deliveries are written in that transaction, so they exist exactly when it commits. Deliveries written this
   * way are never leased at insert (nothing can be sent before the commit). TypeORM stores only; the memory store
   * refuses it.
   */
  manager?: unknown;
  /**
   * With `manager`: whether to tell the other replicas on commit (PostgreSQL NOTIFY). The dispatching process is
   * woken on commit in any case; telling the others costs every committing transaction a turn at PostgreSQL's
   * notification lock, so it is worth it only when this process cannot take the deliveries itself. Default true.
   */
  wake_others?: boolean;
  /**
   * With `manager`: run once the caller's transaction has committed (never on a rollback), in place of waking
   * this process's engine; `dispatch()` leases the committed deliveries there (`leaseByIds`) and starts them.
   */
  on_commit?: () => void;
}

/** One event and its deliveries, for {@link DeliveryQueue.enqueue}. */
export interface EnqueueItem {
  /** The event to store. */ event: StoredEvent;
  /** Its deliveries. */ deliveries: NewDelivery[];
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
   * (already stored, or earlier in the same batch) writes nothing for that item. With `options.manager`, writes
   * inside the caller's transaction instead (see {@link EnqueueOptions}); a bad manager is refused with an
   * `InvalidTransactionError` before anything is written.
   */
  enqueue(items: readonly EnqueueItem[], options?: EnqueueOptions): Promise<boolean[]>;
  /**
   * Leases up to `limit` pending deliveries that are due and not leased (or whose lease expired), oldest due
   * first. A delivery is held by one claimer at a time. Deliveries of rate-limited subscriptions are left to
   * {@link DeliveryQueue.claimRateLimited}. A laned delivery is claimable only in its turn: while no other pending delivery of
   * its lane (same subscription and lane) was enqueued before it or is leased. Enqueue order in a lane is commit
   * order: enqueues to one lane take turns (the later waits for the earlier's transaction to end).
   */
  claimDue(options: ClaimOptions): Promise<ClaimedDelivery[]>;
  /**
   * The same for subscriptions with a `rate_limit_per_second`: takes tokens from each one's bucket, shared by
   * every claimer of the store (all replicas), and leases no more of its due deliveries than it got tokens for.
   */
  claimRateLimited(options: ClaimOptions): Promise<RateLimitedClaim>;
  /**
   * Logs each attempt and moves its delivery to the next state, releasing the lease, in one transaction. A state
   * change applies only while `worker_id` still holds the lease; returns, per item, whether it applied.
   */
  complete(items: readonly AttemptCompletion[]): Promise<boolean[]>;
  /**
   * Leases to `lease.worker_id` until `lease.until` those of `deliveryIds` that are pending, due by `now`, not
   * leased (or whose lease expired by `now`) and not laned: deliveries whose ids the caller knows (a committed transaction's),
   * taken without a claim. Returns the ids it leased.
   */
  leaseByIds(deliveryIds: readonly string[], lease: DeliveryLease, now: Date): Promise<string[]>;
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
  /** One attempt, or null. */ getAttempt(attemptId: string): Promise<DeliveryAttempt | null>;
  /** Newest first. */
  getAttempts(query?: AttemptQuery): Promise<DeliveryAttempt[]>;
  /** The last attempt of each delivery currently dead-lettered, newest first. */
  getDeadLetters(query?: DeadLetterQuery): Promise<DeliveryAttempt[]>;
  /** How many deliveries are dead-lettered. */ countDeadLetters(query?: Pick<DeadLetterQuery, 'subscription_id'>): Promise<number>;
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
   * Deletes attempts older than `before` (and the stats of the 5-minute slices that ended by then), events (with
   * their deliveries) finished before it, and what ordering lanes idle for a day kept.
   */
  purge(before: Date): Promise<{ attempts: number; events: number }>;
}

/** Everything the delivery store does, by role: the queue, the log, retention. */
export interface WebhookDeliveryStore extends DeliveryQueue, DeliveryLog, DeliveryRetention {}

/** What a store tells this process about changes it cannot observe by itself. */
export interface StoreSignalListener {
  /** Deliveries may have become due: a transaction that stored some committed (here, or on another replica). */
  deliveriesDue(): void;
  /** Subscriptions changed, possibly on another replica: read the changes now. */
  subscriptionsChanged(): void;
}

/**
 * A store's change signals (PostgreSQL LISTEN/NOTIFY, TypeORM post-commit hooks). Started when the app has
 * bootstrapped and stopped when it shuts down; while stopped, nothing is listened to (polling still finds
 * everything, only later).
 */
export interface StoreSignals {
  start(listener: StoreSignalListener): Promise<void>;
  stop(): Promise<void>;
}
