import type { DataSource, EntityManager } from 'typeorm';
import type { AttemptCompletion, DeliveryLease, EnqueueItem, RateLimitedClaim } from '../../../domain/delivery-queue';
import type { ClaimedDelivery } from '../../../domain/types';
import { retryOnConflict } from './driver-errors';
import { WebhookDeliveryEntity } from '../webhook-delivery.entity';
import { dueQuery, loadClaimed } from './claim-query';
import type { StatsRow } from '../../attempt-stats';
import { addStatsChecked, completeChecked, enqueueChecked, leaseByIdsChecked, type EnqueueWriters } from './checked-writes';
import type { ClaimRequest, QueueDialect } from './queue-dialect';
import { claimRateLimited } from './rate-limited-claim';
import { mysqlAddStats, mysqlInsertDeliveries, mysqlUpsertLanes } from './mysql/write.sql';

/** Deliveries per multi-row INSERT: a fan-out to 10,000 subscriptions is ten statements. */
const DELIVERIES_PER_INSERT = 1000;

/** The enqueue's bulk writes (statements in `./mysql/write.sql.ts`). */
const WRITERS: EnqueueWriters = { insertDeliveries: mysqlInsertDeliveries, deliveriesPerInsert: DELIVERIES_PER_INSERT, upsertLanes: mysqlUpsertLanes };

/**
 * MySQL 8 / MariaDB 10.6+: claims lock their rows with `FOR UPDATE SKIP LOCKED` in a READ COMMITTED
 * transaction; enqueue and completion are a few statements in one transaction.
 */
export class MysqlQueueDialect implements QueueDialect {
  readonly name = 'mysql';

  constructor(readonly dataSource: DataSource) {}

  run<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
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

  claim(request: ClaimRequest): Promise<ClaimedDelivery[]> {
    // READ COMMITTED: InnoDB then locks only the rows it returns (no gap locks blocking enqueues).
    return retryOnConflict(() =>
      this.dataSource.transaction('READ COMMITTED', async (manager) => {
        const picked = await dueQuery(manager, 'd', request, amongChosen).setLock('pessimistic_write').setOnLocked('skip_locked').getRawMany<{ delivery_id: string }>();
        const ids = picked.map((r) => r.delivery_id);
        if (ids.length === 0) return [];
        await manager.createQueryBuilder().update(WebhookDeliveryEntity).set(request.lease).where('delivery_id IN (:...ids)', { ids }).execute();
        return loadClaimed(manager, ids);
      }),
    );
  }

  /** See `claimRateLimited` (rate-limited-claim.ts): buckets and rows locked with `FOR UPDATE SKIP LOCKED`. */
  claimRateLimited(request: ClaimRequest): Promise<RateLimitedClaim> {
    return retryOnConflict(() => claimRateLimited(this.dataSource, request, (fn) => this.dataSource.transaction('READ COMMITTED', fn), true));
  }

  leaseByIds(deliveryIds: readonly string[], lease: DeliveryLease, now: Date): Promise<string[]> {
    return this.dataSource.transaction('READ COMMITTED', (manager) => leaseByIdsChecked(manager, deliveryIds, lease, now));
  }

  complete(items: readonly AttemptCompletion[]): Promise<boolean[]> {
    return this.dataSource.transaction((manager) => completeChecked(manager, items, mysqlAddStats));
  }

  addStats(manager: EntityManager, rows: readonly StatsRow[]): Promise<void> {
    return addStatsChecked(manager, rows, mysqlAddStats);
  }
}

/** MySQL/MariaDB take no LIMIT directly inside IN (...); a derived table is fine. */
function amongChosen(idColumn: string, chosenSql: string): string {
  return `${idColumn} IN (SELECT x.cid FROM (${chosenSql}) x)`;
}
