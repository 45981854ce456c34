import type { DataSource } from 'typeorm';
import { WebhookLaneEntity } from '../../webhook-lane.entity';
import type { LaneDemand } from '../lane-sequences';
import { textFor, type SqlStatement } from '../sql-statement';

/**
 * `TakeLaneNumbers` in one statement: each lane's `last_seq` becomes `max(last_seq, now_ms) + count` (a new lane's
 * `now_ms + count`), locking its row until the enqueue's transaction ends; rows are written in the order of
 * `demands` (`WITH ORDINALITY`). Returns `{ s, k, last }` (subscription id, lane key, new `last_seq`) per lane.
 */
export function pgTakeLanes(ds: DataSource, demands: readonly LaneDemand[], nowMs: number): SqlStatement {
  const text = textFor(ds, 'pg.takeLanes', ({ table, columns }) => {
    const ln = columns(WebhookLaneEntity);
    return (
      `INSERT INTO ${table(WebhookLaneEntity)} AS l (${ln('subscription_id')}, ${ln('lane_key')}, ${ln('last_seq')}) ` +
      `SELECT v.s, v.k, $1::bigint + v.n FROM unnest($2::varchar[], $3::varchar[], $4::bigint[]) WITH ORDINALITY AS v(s, k, n, o) ORDER BY v.o ` +
      `ON CONFLICT (${ln('subscription_id')}, ${ln('lane_key')}) DO UPDATE SET ${ln('last_seq')} = GREATEST(l.${ln('last_seq')}, $1::bigint) + (EXCLUDED.${ln('last_seq')} - $1::bigint) ` +
      `RETURNING l.${ln('subscription_id')} AS s, l.${ln('lane_key')} AS k, l.${ln('last_seq')} AS last`
    );
  });
  return { text, values: [nowMs, demands.map((d) => d.subscription_id), demands.map((d) => d.lane_key), demands.map((d) => d.count)] };
}
