import type { DataSource } from 'typeorm';
import type { StatsRow } from '../../../attempt-stats';
import type { NewDeliveryRow } from '../../typeorm-rows';
import { WebhookAttemptStatsEntity } from '../../webhook-attempt-stats.entity';
import { WebhookLaneEntity } from '../../webhook-lane.entity';
import type { LaneDemand } from '../lane-sequences';
import { deliveryInsertHead, laneRows, statsRows } from '../row-inserts.sql';
import { dateParam, textFor, type SqlStatement } from '../sql-statement';

/** New deliveries as one multi-row `INSERT ... VALUES`, 11 parameters a row. */
export function mysqlInsertDeliveries(ds: DataSource, rows: readonly NewDeliveryRow[]): SqlStatement {
  const at = dateParam(ds);
  const values: unknown[] = [];
  for (const d of rows) {
    const t = at(d.at);
    values.push(d.delivery_id, d.subscription_id, d.event_id, d.event_type, t, t, t, d.locked_by, at(d.locked_until), d.lane, d.lane_seq);
  }
  return { text: `${deliveryInsertHead(ds)} VALUES ${rows.map(() => "(?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?, ?, ?)").join(', ')}`, values };
}

/** Lane numbers (see `TakeLaneNumbers`): `ON DUPLICATE KEY UPDATE` moves an existing lane on. */
export function mysqlUpsertLanes(ds: DataSource, demands: readonly LaneDemand[], nowMs: number): SqlStatement {
  const rows = laneRows(ds, demands, nowMs);
  const onDuplicate = textFor(ds, 'mysql.upsertLanes', ({ columns }) => {
    const last = columns(WebhookLaneEntity)('last_seq');
    return ` ON DUPLICATE KEY UPDATE ${last} = GREATEST(${last}, ?) + (VALUES(${last}) - ?)`;
  });
  return { text: rows.text + onDuplicate, values: [...rows.values, nowMs, nowMs] };
}

/** Stats rows: `ON DUPLICATE KEY UPDATE` adds the new counts to the existing row. */
export function mysqlAddStats(ds: DataSource, rows: readonly StatsRow[]): SqlStatement {
  const inserted = statsRows(ds, rows);
  const onDuplicate = textFor(ds, 'mysql.addStats', ({ columns }) => {
    const st = columns(WebhookAttemptStatsEntity);
    return ` ON DUPLICATE KEY UPDATE ${(['attempts', 'delivered', 'failed'] as const).map((c) => `${st(c)} = ${st(c)} + VALUES(${st(c)})`).join(', ')}`;
  });
  return { text: inserted.text + onDuplicate, values: inserted.values };
}
