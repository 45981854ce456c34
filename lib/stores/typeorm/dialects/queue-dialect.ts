import type { DataSource, EntityManager } from 'typeorm';
import type { WebhookLogger } from '../../../domain/logger';
import type { AttemptCompletion, DeliveryLease, EnqueueItem, RateLimitedClaim } from '../../../domain/delivery-queue';
import type { ClaimedDelivery } from '../../../domain/types';
import type { StatsRow } from '../../attempt-stats';
import type { SqlDialect } from './sql-dialect';

/** What a claim writes on every row it takes. */
export interface LeaseChanges {
  locked_until: Date;
  locked_by: string;
  updated_at: Date;
}

/** A claim as the store hands it to a dialect, already normalized. */
export interface ClaimRequest {
  /** At most this many rows: a positive integer. */
  limit: number;
  now: Date;
  lease: LeaseChanges;
  /** Subscriptions whose deliveries are left alone, or null. */
  excluded: string[] | null;
  /** At most this many rows of any one subscription (a fair claim), or null for plain oldest-due-first. */
  per_subscription: number | null;
  /** Subscriptions whose own limit replaces `per_subscription` (a fair claim), or null. */
  limits: Array<[string, number]> | null;
}

/** Anything that runs raw SQL: a DataSource, or an EntityManager (perhaps inside a transaction). */
export interface QueryExecutor {
  query<T = any>(sql: string, parameters?: any[]): Promise<T>;
}

/** What a {@link SignalListener} reports. */
export interface SignalHandlers {
  /** A notification on the DataSource's channel (its payload). */
  notification(payload: string): void;
  /** Listening again after the connection was lost: notifications of the gap may be missing, so catch up. */
  reconnected(): void;
}

/** One dedicated connection receiving the notifications other replicas send ({@link QueueDialect.notify}). */
export interface SignalListener {
  /** Whether its connection is open now. */
  readonly listening: boolean;
  /** Connects and listens; if that fails, keeps trying in the background (the poll covers the meantime). */
  start(): Promise<void>;
  /** Closes the connection and cancels any reconnection. */
  stop(): Promise<void>;
}

/**
 * The queue writes whose SQL differs per database, one object per database (as pg-boss does): PostgreSQL,
 * MySQL/MariaDB and SQLite each have their dialect class. Each hand-written statement is a function of its own that
 * returns its text beside its values (`SqlStatement`, as graphile-worker keeps them): `postgres/<name>.sql.ts`,
 * `mysql/write.sql.ts`, `sqlite/write.sql.ts`, and the INSERT heads those two share in `row-inserts.sql.ts`
 * (test/stores/queue-sql.spec.ts snapshots them). The stores pick a dialect per DataSource (`queueDialectOf`) and
 * never branch on the database themselves; driver error codes are in `driver-errors.ts`.
 *
 * Same semantics everywhere (see the store contract tests); what differs is how many statements and round
 * trips each takes, and how rows are locked.
 */
export interface QueueDialect {
  readonly name: SqlDialect;
  readonly dataSource: DataSource;
  /**
   * Runs one store operation. SQLite runs them one at a time per DataSource (its one shared connection would
   * nest overlapping transactions); the server databases run them as they come. Not re-entrant.
   */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Stores events with their deliveries atomically, on its own (a single statement, or a transaction of its
   * own); per item, whether its event was new. May throw a unique violation when a concurrent enqueue of the
   * same id commits first: nothing is then written.
   */
  enqueue(items: readonly EnqueueItem[]): Promise<boolean[]>;
  /**
   * The same inside the caller's transaction (`manager` from `DataSource.transaction`): opens no transaction
   * of its own, and a repeated event id is skipped without an error, so it never leaves the caller's
   * transaction aborted.
   */
  enqueueIn(manager: EntityManager, items: readonly EnqueueItem[]): Promise<boolean[]>;
  /**
   * Tells every replica listening on this database that `signal` happened (`DELIVERIES_SIGNAL`,
   * `SUBSCRIPTIONS_SIGNAL`), delivered when `db`'s transaction commits: PostgreSQL `NOTIFY`. Databases without
   * such a channel do nothing (other processes learn at their next poll).
   */
  notify(db: QueryExecutor, signal: string): Promise<void>;
  /**
   * A listener (not started) for what {@link notify} sends: PostgreSQL `LISTEN`. Null on databases without such a
   * channel.
   */
  listener(handlers: SignalHandlers, logger: WebhookLogger): SignalListener | null;
  /**
   * Leases due deliveries (oldest due first) so that no two claimers get the same one, leaving out rate-limited
   * subscriptions (those with a row in `webhook_rate_limits`).
   */
  claim(request: ClaimRequest): Promise<ClaimedDelivery[]>;
  /** The same for rate-limited subscriptions, within the tokens of their buckets (see `claimRateLimited`). */
  claimRateLimited(request: ClaimRequest): Promise<RateLimitedClaim>;
  /** See `DeliveryQueue.leaseByIds` (at most `SQL_CHUNK` ids). */
  leaseByIds(deliveryIds: readonly string[], lease: DeliveryLease, now: Date): Promise<string[]>;
  /**
   * Logs every attempt, adds it to the stats rows, and applies each state change whose worker still holds the
   * lease, atomically; per item, whether its change applied.
   */
  complete(items: readonly AttemptCompletion[]): Promise<boolean[]>;
  /**
   * Adds counts to the stats rows (`webhook_attempt_stats`), creating missing rows, in `manager`'s transaction.
   * `rows` are summed per key and sorted (`statsRowsOf`).
   */
  addStats(manager: EntityManager, rows: readonly StatsRow[]): Promise<void>;
}
