import type { QueueSnapshot } from './stats';
import type { ClaimedDelivery, DeliveryAttempt, DeliveryTransition, StoredEvent } from './types';

/** Arguments of {@link DeliveryQueue.claimDue}. */
export interface ClaimOptions {
  /** The claiming worker. */
  worker_id: string;
  /** Most deliveries to claim. */
  limit: number;
  /** Lease length, milliseconds. */
  lease_ms: number;
  /** The current time. */
  now: Date;
  /** Subscriptions whose deliveries must not be claimed now (endpoint at its concurrency cap). */
  exclude_subscription_ids?: readonly string[];
  /** At most this many deliveries of any one subscription in this claim (fairness between endpoints). */
  per_subscription_limit?: number;
  /** Per-subscription exceptions to `per_subscription_limit` (endpoints with their own concurrency cap). */
  per_subscription_limits?: ReadonlyMap<string, number>;
}

/** What {@link DeliveryQueue.claimRateLimited} took, and when a claim would find more. */
export interface RateLimitedClaim {
  /** The deliveries claimed. */
  claimed: ClaimedDelivery[];
  /**
   * The earliest time at which a rate-limited subscription that still has due deliveries gets its next token
   * (as far as this claim could see: a bucket another claimer held at that moment is left out); null when none
   * waits for a token.
   */
  next_at: Date | null;
}

/** A delivery to create with its event. */
export interface NewDelivery {
  /** Generated id. */
  delivery_id: string;
  /** The endpoint. */
  subscription_id: string;
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
  /** The worker holding it. */
  worker_id: string;
  /** When it ends. */
  until: Date;
}

/** One finished attempt and the delivery's next state, for {@link DeliveryQueue.complete}. */
export interface AttemptCompletion {
  /** The delivery tried. */
  delivery_id: string;
  /** The worker that holds its lease. */
  worker_id: string;
  /** The attempt to log. */
  attempt: DeliveryAttempt;
  /** The delivery's next state. */
  next: DeliveryTransition;
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
  /** The event to store. */
  event: StoredEvent;
  /** Its deliveries. */
  deliveries: NewDelivery[];
}

/** Which dead letters a redrive revives. */
export interface RedriveQuery {
  /** Only this endpoint's. */
  subscription_id?: string;
  /** Dead-lettered at or after. */
  since?: Date;
  /** Dead-lettered before. */
  until?: Date;
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
   * {@link claimRateLimited}. A laned delivery is claimable only in its turn: while no other pending delivery of
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
