import type { DataSource, EntityManager } from 'typeorm';
import type { AttemptCompletion, DeliveryLease, EnqueueItem, RateLimitedClaim } from '../../../domain/stores';
import type { ClaimedDelivery } from '../../../domain/types';
import type { NewDeliveryRow } from '../typeorm-rows';
import { chunks } from '../typeorm.utils';
import { WebhookDeliveryEntity } from '../webhook-delivery.entity';
import { dueQuery, loadClaimed } from './claim-query';
import type { StatsRow } from '../../attempt-stats';
import { completeChecked, deliveryInsert, enqueueChecked, leaseByIdsChecked, upsertStats } from './checked-writes';
import { laneInsert, type LaneDemand } from './lane-sequences';
import type { ClaimRequest, QueueDialect } from './queue-dialect';
import { claimRateLimited } from './rate-limited-claim';

/** Deliveries per INSERT: one JSON text each, so a fan-out to 10,000 subscriptions is two statements. */
const DELIVERIES_PER_INSERT = 5000;

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

  enqueueIn(manager: EntityManager, items: readonly EnqueueItem[]): Promise<boolean[]> {
    return enqueueChecked(manager, items, { insertDeliveries, upsertLanes });
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
    return this.dataSource.transaction((manager) => completeChecked(manager, items, addStats));
  }

  addStats(manager: EntityManager, rows: readonly StatsRow[]): Promise<void> {
    return addStats(manager, rows);
  }
}

/** `ON CONFLICT ... DO UPDATE` adds the new counts to the existing row. */
function addStats(manager: EntityManager, rows: readonly StatsRow[]): Promise<void> {
  return upsertStats(
    manager,
    rows,
    (col) => `ON CONFLICT (${col('subscription_id')}, ${col('slice_start')}, ${col('duration_class')}) DO UPDATE SET ${['attempts', 'delivered', 'failed'].map((c) => `${col(c)} = ${col(c)} + excluded.${col(c)}`).join(', ')}`,
  );
}

/** Lane numbers: `ON CONFLICT DO UPDATE` moves an existing lane on (see `TakeLaneNumbers`). */
async function upsertLanes(manager: EntityManager, demands: readonly LaneDemand[], nowMs: number): Promise<void> {
  const { sql, params, col } = laneInsert(manager, demands, nowMs);
  const last = col('last_seq');
  await manager.query(`${sql} ON CONFLICT (${col('subscription_id')}, ${col('lane_key')}) DO UPDATE SET ${last} = MAX(${last}, ?) + (excluded.${last} - ?)`, [...params, nowMs, nowMs]);
}

/** New deliveries as one `INSERT ... SELECT FROM json_each(?)` per chunk: one parameter however many rows. */
async function insertDeliveries(manager: EntityManager, rows: readonly NewDeliveryRow[]): Promise<void> {
  const { into, at } = deliveryInsert(manager);
  for (const part of chunks(rows, DELIVERIES_PER_INSERT)) {
    await manager.query(
      `${into} SELECT json_extract(d.value, '$[0]'), json_extract(d.value, '$[1]'), json_extract(d.value, '$[2]'), json_extract(d.value, '$[3]'), 'pending', 0, ` +
        `json_extract(d.value, '$[4]'), json_extract(d.value, '$[4]'), json_extract(d.value, '$[4]'), json_extract(d.value, '$[5]'), json_extract(d.value, '$[6]'), ` +
        `json_extract(d.value, '$[7]'), json_extract(d.value, '$[8]') ` +
        `FROM json_each(?) AS d ORDER BY d.key`,
      [JSON.stringify(part.map((d) => [d.delivery_id, d.subscription_id, d.event_id, d.event_type, at(d.at), d.locked_by, at(d.locked_until), d.lane, d.lane_seq]))],
    );
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
