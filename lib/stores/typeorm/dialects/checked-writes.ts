import type { DataSource, EntityManager } from 'typeorm';
import type { AttemptCompletion, DeliveryLease, EnqueueItem } from '../../../domain/delivery-queue';
import { statsRowsOf, type StatsRow } from '../../attempt-stats';
import { attemptToRow, copyEvent, deliveryRows, type NewDeliveryRow } from '../typeorm-rows';
import { chunks } from '../typeorm.utils';
import { WebhookDeliveryAttemptEntity } from '../webhook-delivery-attempt.entity';
import { WebhookDeliveryEntity } from '../webhook-delivery.entity';
import { WebhookEventEntity } from '../webhook-event.entity';
import { numberLanes, readLaneNumbers, type LaneDemand, type TakeLaneNumbers } from './lane-sequences';
import { runStatement, type SqlStatement } from './sql-statement';

/**
 * The enqueue and completion that MySQL/MariaDB and SQLite share: several statements inside one transaction
 * (theirs or the caller's), where PostgreSQL needs one statement each. They differ only in how they insert
 * many deliveries at once, which each dialect passes in.
 */

/** Events per multi-row INSERT (7 parameters each). */
const EVENTS_PER_INSERT = 500;
/** Attempts per multi-row INSERT (11 parameters each). */
const ATTEMPTS_PER_INSERT = 500;

/** A dialect's statement writing many rows at once (its text grows with `rows`, or takes them as one value). */
export type StatementOf<Row> = (ds: DataSource, rows: readonly Row[]) => SqlStatement;

/** A dialect's statements for an enqueue, run in `manager`'s transaction. */
export interface EnqueueWriters {
  /** Bulk insert of new pending deliveries, at most {@link deliveriesPerInsert} rows a statement. */
  insertDeliveries: StatementOf<NewDeliveryRow>;
  /** Most rows one {@link insertDeliveries} statement takes. */
  deliveriesPerInsert: number;
  /** The upsert of `TakeLaneNumbers` (the new numbers are read back after it). */
  upsertLanes(ds: DataSource, demands: readonly LaneDemand[], nowMs: number): SqlStatement;
}

/**
 * Looks up which event ids exist, then inserts the new events and their deliveries, inside `manager`'s
 * transaction. A repeated id (stored, or earlier in the batch) is skipped without an error, so a caller's
 * transaction stays usable; only a concurrent enqueue of the same id between the check and the insert fails
 * (unique violation).
 */
export async function enqueueChecked(manager: EntityManager, items: readonly EnqueueItem[], writers: EnqueueWriters): Promise<boolean[]> {
  const ids = [...new Set(items.map((i) => i.event.event_id))];
  const existing = new Set<string>();
  for (const part of chunks(ids)) {
    const rows = await manager.getRepository(WebhookEventEntity).createQueryBuilder('e').select('e.event_id', 'event_id').where('e.event_id IN (:...part)', { part }).getRawMany<{ event_id: string }>();
    for (const r of rows) existing.add(r.event_id);
  }
  const fresh = items.map((item) => {
    if (existing.has(item.event.event_id)) return false;
    existing.add(item.event.event_id);
    return true;
  });
  const accepted = items.filter((_, i) => fresh[i]);
  for (const part of chunks(accepted, EVENTS_PER_INSERT)) {
    await manager.createQueryBuilder().insert().into(WebhookEventEntity).values(part.map((i) => copyEvent(i.event))).updateEntity(false).execute();
  }
  const rows = accepted.flatMap((i) => deliveryRows(i.event, i.deliveries));
  if (rows.length === 0) return fresh;
  const take: TakeLaneNumbers = async (demands, nowMs) => {
    await runStatement(manager, writers.upsertLanes(manager.connection, demands, nowMs));
    return readLaneNumbers(manager, demands);
  };
  await numberLanes(rows, take, Date.now());
  for (const part of chunks(rows, writers.deliveriesPerInsert)) await runStatement(manager, writers.insertDeliveries(manager.connection, part));
  return fresh;
}

/**
 * `DeliveryQueue.leaseByIds` in `manager`'s transaction: leases the takeable ones, then reads back which carry
 * this lease (MySQL has no `UPDATE ... RETURNING`).
 */
export async function leaseByIdsChecked(manager: EntityManager, deliveryIds: readonly string[], lease: DeliveryLease, now: Date): Promise<string[]> {
  if (deliveryIds.length === 0) return [];
  const ids = [...deliveryIds];
  await manager
    .createQueryBuilder()
    .update(WebhookDeliveryEntity)
    .set({ locked_by: lease.worker_id, locked_until: lease.until, updated_at: now })
    .where('delivery_id IN (:...ids)', { ids })
    .andWhere('status = :pending AND lane_key IS NULL AND next_attempt_at <= :now AND (locked_until IS NULL OR locked_until <= :now)', { pending: 'pending', now })
    .execute();
  const rows = await manager
    .getRepository(WebhookDeliveryEntity)
    .createQueryBuilder('d')
    .select('d.delivery_id', 'delivery_id')
    .where('d.delivery_id IN (:...ids)', { ids })
    .andWhere('d.locked_by = :worker AND d.locked_until = :until', { worker: lease.worker_id, until: lease.until })
    .getRawMany<{ delivery_id: string }>();
  return rows.map((r) => r.delivery_id);
}

/** Logs the attempts (multi-row INSERTs) and their stats, then applies each state change whose worker holds the lease. */
export async function completeChecked(manager: EntityManager, items: readonly AttemptCompletion[], addStats: StatementOf<StatsRow>): Promise<boolean[]> {
  for (const part of chunks(items, ATTEMPTS_PER_INSERT)) {
    await manager.createQueryBuilder().insert().into(WebhookDeliveryAttemptEntity).values(part.map((c) => attemptToRow(c.attempt))).updateEntity(false).execute();
  }
  await addStatsChecked(manager, statsRowsOf(items.map((c) => c.attempt)), addStats);
  const out: boolean[] = [];
  for (const c of items) {
    const result = await manager
      .createQueryBuilder()
      .update(WebhookDeliveryEntity)
      .set(completedChanges(c))
      .where('delivery_id = :id AND locked_by = :worker', { id: c.delivery_id, worker: c.worker_id })
      .execute();
    out.push((result.affected ?? 0) > 0);
  }
  return out;
}

/** The delivery's new state after an attempt. */
function completedChanges(c: AttemptCompletion): Partial<WebhookDeliveryEntity> {
  const changes: Partial<WebhookDeliveryEntity> = {
    status: c.next.status,
    attempts: c.attempt.attempt_number,
    last_attempt_id: c.attempt.attempt_id,
    locked_by: null,
    locked_until: null,
    updated_at: c.attempt.attempted_at,
  };
  if (c.next.status === 'pending') changes.next_attempt_at = c.next.next_attempt_at;
  return changes;
}

/** Stats rows per multi-row upsert (6 parameters each). */
const STATS_PER_UPSERT = 500;

/** Adds counts to the stats rows in `manager`'s transaction: one dialect upsert (`statement`) per chunk of rows. */
export async function addStatsChecked(manager: EntityManager, rows: readonly StatsRow[], statement: StatementOf<StatsRow>): Promise<void> {
  for (const part of chunks(rows, STATS_PER_UPSERT)) await runStatement(manager, statement(manager.connection, part));
}
