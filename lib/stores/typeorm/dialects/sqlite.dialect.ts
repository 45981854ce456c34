import type { DataSource, EntityManager } from 'typeorm';
import type { AttemptCompletion, DeliveryLease, EnqueueItem, RateLimitedClaim } from '../../../domain/delivery-queue';
import type { ClaimedDelivery } from '../../../domain/types';
import { WebhookDeliveryEntity } from '../webhook-delivery.entity';
import { dueQuery, loadClaimed } from './claim-query';
import type { StatsRow } from '../../attempt-stats';
import { addStatsChecked, completeChecked, enqueueChecked, leaseByIdsChecked, type EnqueueWriters } from './checked-writes';
import type { ClaimRequest, QueueDialect } from './queue-dialect';
import { claimRateLimited } from './rate-limited-claim';
import { sqliteAddStats, sqliteInsertDeliveries, sqliteUpsertLanes } from './sqlite/write.sql';

/** Deliveries per INSERT: one JSON text each, so a fan-out to 10,000 subscriptions is two statements. */
const DELIVERIES_PER_INSERT = 5000;

/** The enqueue's bulk writes (statements in `./sqlite/write.sql.ts`). */
const WRITERS: EnqueueWriters = { insertDeliveries: sqliteInsertDeliveries, deliveriesPerInsert: DELIVERIES_PER_INSERT, upsertLanes: sqliteUpsertLanes };

/**
 * SQLite through better-sqlite3 (one process): a claim is one atomic `UPDATE ... RETURNING`; every operation
 * runs alone on the DataSource's one connection ({@link SqliteQueueDialect.run}). TypeORM shares that one
 * connection with the app, so no claim is made while the app has a transaction open on it.
 */
export class SqliteQueueDialect implements QueueDialect {
  readonly name = 'sqlite';

  constructor(readonly dataSource: DataSource) {}

  run<T>(fn: () => Promise<T>): Promise<T> {
    return serialized(this.dataSource, fn);
  }

  enqueue(items: readonly EnqueueItem[]): Promise<boolean[]> {
    return this.dataSource.transaction((manager) => this.enqueueIn(manager, items));
  }

  /** No notification channel: other processes learn at their next poll. */
  async notify(): Promise<void> {}

  /** No notification channel. */
  listener(): null {
    return null;
  }

  enqueueIn(manager: EntityManager, items: readonly EnqueueItem[]): Promise<boolean[]> {
    return enqueueChecked(manager, items, WRITERS);
  }

  async claim(request: ClaimRequest): Promise<ClaimedDelivery[]> {
    const ds = this.dataSource;
    // Inside the app's open transaction a claim would see, and send, rows that may never commit: claim nothing
    // now (not wait, which could hold up the app's own calls inside that transaction); the commit's wake-up or the
    // next poll claims them.
    if (appTransactionOpen(ds)) return [];
    // One statement picks and leases the rows: atomic even against other processes on the same file.
    const pick = dueQuery(ds.manager, 'due', request, (idColumn, chosenSql) => `${idColumn} IN (SELECT x.cid FROM (${chosenSql}) x)`);
    const [sql, params] = ds
      .createQueryBuilder()
      .update(WebhookDeliveryEntity)
      .set(request.lease)
      .where(`delivery_id IN (${pick.getQuery()})`)
      .setParameters(pick.getParameters())
      .getQueryAndParameters();
    const leased: Array<{ delivery_id: string }> = await ds.query(`${sql} RETURNING delivery_id`, params);
    return loadClaimed(
      ds.manager,
      leased.map((r) => r.delivery_id),
    );
  }

  /** See `claimRateLimited` (rate-limited-claim.ts): one transaction, which the single writer keeps atomic. */
  claimRateLimited(request: ClaimRequest): Promise<RateLimitedClaim> {
    return claimRateLimited(this.dataSource, request, (fn) => this.dataSource.transaction(fn), false);
  }

  leaseByIds(deliveryIds: readonly string[], lease: DeliveryLease, now: Date): Promise<string[]> {
    return this.dataSource.transaction((manager) => leaseByIdsChecked(manager, deliveryIds, lease, now));
  }

  complete(items: readonly AttemptCompletion[]): Promise<boolean[]> {
    return this.dataSource.transaction((manager) => completeChecked(manager, items, sqliteAddStats));
  }

  addStats(manager: EntityManager, rows: readonly StatsRow[]): Promise<void> {
    return addStatsChecked(manager, rows, sqliteAddStats);
  }
}

/**
 * Whether a transaction is open on the DataSource's one query runner. The store's own operations run one at a
 * time through {@link serialized} and close their transactions before they return, so one open when a claim
 * starts is the app's.
 */
function appTransactionOpen(dataSource: DataSource): boolean {
  return (dataSource.driver as unknown as { queryRunner?: { isTransactionActive: boolean } }).queryRunner?.isTransactionActive === true;
}

const queues = new WeakMap<DataSource, Promise<void>>();

/**
 * Runs `fn` after every earlier call for the same DataSource has finished. TypeORM's better-sqlite3 driver
 * shares one connection, so overlapping transactions would nest into each other: the SQLite stores run
 * each operation through here. Must not be called re-entrantly.
 */
async function serialized<T>(dataSource: DataSource, fn: () => Promise<T>): Promise<T> {
  const previous = queues.get(dataSource) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  queues.set(
    dataSource,
    previous.then(() => mine),
  );
  await previous;
  try {
    return await fn();
  } finally {
    release();
  }
}
