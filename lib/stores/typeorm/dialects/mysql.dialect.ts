import type { DataSource, EntityManager } from 'typeorm';
import type { AttemptCompletion, DeliveryLease, EnqueueItem, RateLimitedClaim } from '../../../domain/stores';
import type { ClaimedDelivery } from '../../../domain/types';
import type { NewDeliveryRow } from '../typeorm-rows';
import { chunks, retryOnConflict } from '../typeorm.utils';
import { WebhookDeliveryEntity } from '../webhook-delivery.entity';
import { dueQuery, loadClaimed } from './claim-query';
import type { StatsRow } from '../../attempt-stats';
import { completeChecked, deliveryInsert, enqueueChecked, leaseByIdsChecked, upsertStats } from './checked-writes';
import { laneInsert, type LaneDemand } from './lane-sequences';
import type { ClaimRequest, QueueDialect } from './queue-dialect';
import { claimRateLimited } from './rate-limited-claim';

/** Deliveries per multi-row INSERT: a fan-out to 10,000 subscriptions is ten statements. */
const DELIVERIES_PER_INSERT = 1000;

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

  enqueueIn(manager: EntityManager, items: readonly EnqueueItem[]): Promise<boolean[]> {
    return enqueueChecked(manager, items, { insertDeliveries, upsertLanes });
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
    return this.dataSource.transaction((manager) => completeChecked(manager, items, addStats));
  }

  addStats(manager: EntityManager, rows: readonly StatsRow[]): Promise<void> {
    return addStats(manager, rows);
  }
}

/** `ON DUPLICATE KEY UPDATE` adds the new counts to the existing row. */
function addStats(manager: EntityManager, rows: readonly StatsRow[]): Promise<void> {
  return upsertStats(manager, rows, (col) => `ON DUPLICATE KEY UPDATE ${['attempts', 'delivered', 'failed'].map((c) => `${col(c)} = ${col(c)} + VALUES(${col(c)})`).join(', ')}`);
}

/** MySQL/MariaDB take no LIMIT directly inside IN (...); a derived table is fine. */
function amongChosen(idColumn: string, chosenSql: string): string {
  return `${idColumn} IN (SELECT x.cid FROM (${chosenSql}) x)`;
}

/** Lane numbers: `ON DUPLICATE KEY UPDATE` moves an existing lane on (see `TakeLaneNumbers`). */
async function upsertLanes(manager: EntityManager, demands: readonly LaneDemand[], nowMs: number): Promise<void> {
  const { sql, params, col } = laneInsert(manager, demands, nowMs);
  const last = col('last_seq');
  await manager.query(`${sql} ON DUPLICATE KEY UPDATE ${last} = GREATEST(${last}, ?) + (VALUES(${last}) - ?)`, [...params, nowMs, nowMs]);
}

/** New deliveries as multi-row `INSERT ... VALUES` statements of 11 parameters a row. */
async function insertDeliveries(manager: EntityManager, rows: readonly NewDeliveryRow[]): Promise<void> {
  const { into, at } = deliveryInsert(manager);
  for (const part of chunks(rows, DELIVERIES_PER_INSERT)) {
    const params: unknown[] = [];
    for (const d of part) {
      const t = at(d.at);
      params.push(d.delivery_id, d.subscription_id, d.event_id, d.event_type, t, t, t, d.locked_by, at(d.locked_until), d.lane, d.lane_seq);
    }
    await manager.query(`${into} VALUES ${part.map(() => "(?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?, ?, ?)").join(', ')}`, params);
  }
}
