import type { DataSource } from 'typeorm';
import type { StatsRow } from '../../attempt-stats';
import { dateCodec } from '../typeorm.utils';
import { WebhookAttemptStatsEntity } from '../webhook-attempt-stats.entity';
import { WebhookDeliveryEntity } from '../webhook-delivery.entity';
import { WebhookLaneEntity } from '../webhook-lane.entity';
import type { LaneDemand } from './lane-sequences';
import { textFor, type SqlStatement } from './sql-statement';

/**
 * The starts of the multi-row INSERTs that MySQL/MariaDB and SQLite finish in their own way (their statements in
 * `./mysql` and `./sqlite`). Hand-written: TypeORM's `insert().values([...])` spends most of its time building and
 * binding a parameter per column and row, which made a large fan-out take seconds.
 */

/** Column order of {@link deliveryInsertHead}. */
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

/** `INSERT INTO <deliveries> (<the 13 columns of DELIVERY_INSERT_COLUMNS>)`, for a VALUES list or a SELECT. */
export function deliveryInsertHead(ds: DataSource): string {
  return textFor(ds, 'rows.deliveries', ({ table, columns }) => `INSERT INTO ${table(WebhookDeliveryEntity)} (${DELIVERY_INSERT_COLUMNS.map(columns(WebhookDeliveryEntity)).join(', ')})`);
}

/**
 * `INSERT INTO webhook_lanes (subscription_id, lane_key, last_seq) VALUES (?, ?, ?), ...` with each new lane's
 * `now_ms + count`, for the dialect to finish with its upsert clause (see `TakeLaneNumbers`).
 */
export function laneRows(ds: DataSource, demands: readonly LaneDemand[], nowMs: number): SqlStatement {
  const head = textFor(ds, 'rows.lanes', ({ table, columns }) => {
    const ln = columns(WebhookLaneEntity);
    return `INSERT INTO ${table(WebhookLaneEntity)} (${ln('subscription_id')}, ${ln('lane_key')}, ${ln('last_seq')}) VALUES `;
  });
  return {
    text: head + demands.map(() => '(?, ?, ?)').join(', '),
    values: demands.flatMap((d) => [d.subscription_id, d.lane_key, nowMs + d.count]),
  };
}

/**
 * `INSERT INTO webhook_attempt_stats (...) VALUES (?, ?, ?, ?, ?, ?), ...`, for the dialect to finish with its
 * "add to the existing row" clause.
 */
export function statsRows(ds: DataSource, rows: readonly StatsRow[]): SqlStatement {
  const head = textFor(ds, 'rows.stats', ({ table, columns }) => {
    const names = ['subscription_id', 'slice_start', 'duration_class', 'attempts', 'delivered', 'failed'] as const;
    return `INSERT INTO ${table(WebhookAttemptStatsEntity)} (${names.map(columns(WebhookAttemptStatsEntity)).join(', ')}) VALUES `;
  });
  const { write } = dateCodec(ds.driver);
  return {
    text: head + rows.map(() => '(?, ?, ?, ?, ?, ?)').join(', '),
    values: rows.flatMap((r) => [r.subscription_id, write(r.slice_start), r.duration_class, r.attempts, r.delivered, r.failed]),
  };
}
