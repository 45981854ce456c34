import type { EntityManager } from 'typeorm';
import type { AttemptCompletion, DeliveryLease, EnqueueItem } from '../../../domain/stores';
import { statsRowsOf, type StatsRow } from '../../attempt-stats';
import { attemptToRow, copyEvent, deliveryRows, type NewDeliveryRow } from '../typeorm-rows';
import { chunks, dateCodec, quotedTable } from '../typeorm.utils';
import { WebhookAttemptStatsEntity } from '../webhook-attempt-stats.entity';
import { WebhookDeliveryAttemptEntity } from '../webhook-delivery-attempt.entity';
import { WebhookDeliveryEntity } from '../webhook-delivery.entity';
import { WebhookEventEntity } from '../webhook-event.entity';
import { numberLanes, readLaneNumbers, type LaneDemand, type TakeLaneNumbers } from './lane-sequences';

/**
 * The enqueue and completion that MySQL/MariaDB and SQLite share: several statements inside one transaction
 * (theirs or the caller's), where PostgreSQL needs one statement each. They differ only in how they insert
 * many deliveries at once, which each dialect passes in.
 */

/** Events per multi-row INSERT (7 parameters each). */
const EVENTS_PER_INSERT = 500;
/** Attempts per multi-row INSERT (11 parameters each). */
const ATTEMPTS_PER_INSERT = 500;

/** A dialect's statements for an enqueue, run in `manager`'s transaction. */
export interface EnqueueWriters {
  /** Bulk insert of new pending deliveries. */
  insertDeliveries(manager: EntityManager, rows: readonly NewDeliveryRow[]): Promise<void>;
  /** The upsert of `TakeLaneNumbers` (the new numbers are read back after it). */
  upsertLanes(manager: EntityManager, demands: readonly LaneDemand[], nowMs: number): Promise<void>;
}

/** A dialect's upsert of stats rows (see `QueueDialect.addStats`). */
export type AddStats = (manager: EntityManager, rows: readonly StatsRow[]) => Promise<void>;

/** Stats rows per multi-row upsert (6 parameters each). */
const STATS_PER_UPSERT = 500;

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
    await writers.upsertLanes(manager, demands, nowMs);
    return readLaneNumbers(manager, demands);
  };
  await numberLanes(rows, take, Date.now());
  await writers.insertDeliveries(manager, rows);
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
export async function completeChecked(manager: EntityManager, items: readonly AttemptCompletion[], addStats: AddStats): Promise<boolean[]> {
  for (const part of chunks(items, ATTEMPTS_PER_INSERT)) {
    await manager.createQueryBuilder().insert().into(WebhookDeliveryAttemptEntity).values(part.map((c) => attemptToRow(c.attempt))).updateEntity(false).execute();
  }
  await addStats(manager, statsRowsOf(items.map((c) => c.attempt)));
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

/**
 * The start of a hand-written INSERT of new deliveries (`INSERT INTO <table> (<13 columns>)`, in the order of
 * {@link DELIVERY_INSERT_COLUMNS}) and the driver's form of a date: TypeORM's `insert().values([...])` spends
 * most of its time building and binding 12 parameters per row, which made a large fan-out take seconds.
 */
export function deliveryInsert(manager: EntityManager): { into: string; at: (d: Date | null) => unknown } {
  const driver = manager.connection.driver;
  const meta = manager.connection.getMetadata(WebhookDeliveryEntity);
  const col = (name: keyof WebhookDeliveryEntity) => driver.escape(meta.findColumnWithPropertyName(name)!.databaseName);
  const dateColumn = meta.findColumnWithPropertyName('next_attempt_at')!;
  return {
    into: `INSERT INTO ${quotedTable(manager.connection, WebhookDeliveryEntity)} (${DELIVERY_INSERT_COLUMNS.map(col).join(', ')})`,
    at: (d) => (d ? driver.preparePersistentValue(d, dateColumn) : null),
  };
}

/** Column order of {@link deliveryInsert}. */
export const DELIVERY_INSERT_COLUMNS = [
  'delivery_id',
  'subscription_id',
  'event_id',
  'event_type',
  'status',
  'attempts',
  'next_attempt_at',
  'created_at',
  'updated_at',
  'locked_by',
  'locked_until',
  'lane_key',
  'lane_seq',
] as const;

/**
 * A multi-row stats upsert per chunk: `INSERT INTO webhook_attempt_stats (...) VALUES (...), ... <onConflict>`, where
 * `onConflict` is the dialect's "add to the existing row" clause.
 */
export async function upsertStats(manager: EntityManager, rows: readonly StatsRow[], onConflict: (column: (name: string) => string) => string): Promise<void> {
  if (rows.length === 0) return;
  const connection = manager.connection;
  const meta = connection.getMetadata(WebhookAttemptStatsEntity);
  const col = (name: string) => connection.driver.escape(meta.findColumnWithPropertyName(name)!.databaseName);
  const { write } = dateCodec(connection.driver);
  const into = `INSERT INTO ${quotedTable(connection, WebhookAttemptStatsEntity)} (${['subscription_id', 'slice_start', 'duration_class', 'attempts', 'delivered', 'failed'].map(col).join(', ')})`;
  for (const part of chunks(rows, STATS_PER_UPSERT)) {
    const params = part.flatMap((r) => [r.subscription_id, write(r.slice_start), r.duration_class, r.attempts, r.delivered, r.failed]);
    await manager.query(`${into} VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')} ${onConflict(col)}`, params);
  }
}
