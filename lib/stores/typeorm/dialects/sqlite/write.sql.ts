import type { DataSource } from 'typeorm';
import type { StatsRow } from '../../../attempt-stats';
import type { NewDeliveryRow } from '../../typeorm-rows';
import { WebhookAttemptStatsEntity } from '../../webhook-attempt-stats.entity';
import { WebhookLaneEntity } from '../../webhook-lane.entity';
import type { LaneDemand } from '../lane-sequences';
import { deliveryInsertHead, laneRows, statsRows } from '../row-inserts.sql';
import { dateParam, textFor, type SqlStatement } from '../sql-statement';

/** New deliveries as one `INSERT ... SELECT FROM json_each(?)`: one parameter (a JSON array of rows) however many rows. */
export function sqliteInsertDeliveries(ds: DataSource, rows: readonly NewDeliveryRow[]): SqlStatement {
  const text = textFor(ds, 'sqlite.insertDeliveries', () => {
    const field = (i: number) => `json_extract(d.value, '$[${i}]')`;
    return (
      `${deliveryInsertHead(ds)} SELECT ${field(0)}, ${field(1)}, ${field(2)}, ${field(3)}, 'pending', 0, ` +
      `${field(4)}, ${field(4)}, ${field(4)}, ${field(5)}, ${field(6)}, ${field(7)}, ${field(8)} ` +
      `FROM json_each(?) AS d ORDER BY d.key`
    );
  });
  const at = dateParam(ds);
  return { text, values: [JSON.stringify(rows.map((d) => [d.delivery_id, d.subscription_id, d.event_id, d.event_type, at(d.at), d.locked_by, at(d.locked_until), d.lane, d.lane_seq]))] };
}

/** Lane numbers (see `TakeLaneNumbers`): `ON CONFLICT DO UPDATE` moves an existing lane on. */
export function sqliteUpsertLanes(ds: DataSource, demands: readonly LaneDemand[], nowMs: number): SqlStatement {
  const rows = laneRows(ds, demands, nowMs);
  const onConflict = textFor(ds, 'sqlite.upsertLanes', ({ columns }) => {
    const ln = columns(WebhookLaneEntity);
    const last = ln('last_seq');
    return ` ON CONFLICT (${ln('subscription_id')}, ${ln('lane_key')}) DO UPDATE SET ${last} = MAX(${last}, ?) + (excluded.${last} - ?)`;
  });
  return { text: rows.text + onConflict, values: [...rows.values, nowMs, nowMs] };
}

/** Stats rows: `ON CONFLICT ... DO UPDATE` adds the new counts to the existing row. */
export function sqliteAddStats(ds: DataSource, rows: readonly StatsRow[]): SqlStatement {
  const inserted = statsRows(ds, rows);
  const onConflict = textFor(ds, 'sqlite.addStats', ({ columns }) => {
    const st = columns(WebhookAttemptStatsEntity);
    return (
      ` ON CONFLICT (${st('subscription_id')}, ${st('slice_start')}, ${st('duration_class')}) DO UPDATE SET ` +
      (['attempts', 'delivered', 'failed'] as const).map((c) => `${st(c)} = ${st(c)} + excluded.${st(c)}`).join(', ')
    );
  });
  return { text: inserted.text + onConflict, values: inserted.values };
}
