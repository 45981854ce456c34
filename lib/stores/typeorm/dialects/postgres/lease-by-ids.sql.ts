import type { DataSource } from 'typeorm';
import type { DeliveryLease } from '../../../../domain/delivery-queue';
import { WebhookDeliveryEntity } from '../../webhook-delivery.entity';
import { dateParam, textFor, type SqlStatement } from '../sql-statement';

/**
 * `DeliveryQueue.leaseByIds` in one statement: leases those of `deliveryIds` that are pending, unordered, due and
 * not leased (or whose lease expired) by `now`. Returns `{ delivery_id }` of each it leased.
 */
export function pgLeaseByIds(ds: DataSource, deliveryIds: readonly string[], lease: DeliveryLease, now: Date): SqlStatement {
  // A CTE: for a bare `UPDATE ... RETURNING`, TypeORM's query() gives `[rows, rowCount]` rather than the rows.
  const text = textFor(ds, 'pg.leaseByIds', ({ table, columns }) => {
    const dl = columns(WebhookDeliveryEntity);
    return (
      `WITH leased AS (UPDATE ${table(WebhookDeliveryEntity)} SET ${dl('locked_by')} = $1, ${dl('locked_until')} = $2, ${dl('updated_at')} = $3 ` +
      `WHERE ${dl('delivery_id')} = ANY($4::varchar[]) AND ${dl('status')} = 'pending' AND ${dl('lane_key')} IS NULL AND ${dl('next_attempt_at')} <= $3 ` +
      `AND (${dl('locked_until')} IS NULL OR ${dl('locked_until')} <= $3) RETURNING ${dl('delivery_id')} AS delivery_id) SELECT delivery_id FROM leased`
    );
  });
  const at = dateParam(ds);
  return { text, values: [lease.worker_id, at(lease.until), at(now), [...deliveryIds]] };
}
